"""The worker's share of a photo: the clean copy and thumbnail of an upload the request only
checked (photos.py receive_uploads, stored pending in incoming/).

Several workers may run: each claims a few pending photos with FOR UPDATE SKIP LOCKED, counts
an attempt and holds them for a lease, committed before any work, so no two workers clean the
same photo and a worker killed mid-way leaves it due again once the lease runs out. A claim
past MAX_ATTEMPTS (the file kept killing the worker) gives the photo up.

Per photo: the clean copy and thumbnail are written beside the other clean copies, the row
points at them (pending no more) in one transaction, still ours (the same attempt), and only
then is the original deleted. A crash in between leaves a file no row points at, which the
photo sweep removes (photo_sweep.py). A photo whose pixels cannot be read (a truncated or
damaged file with a valid header) is removed, row and file, and the case gets an internal note
for staff; the citizen's report stands.
"""
import logging
import os
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from mapdash.cases import photos
from mapdash.errors import UserError
from mapdash.i18n import _l, in_office_language
from mapdash.models import Incident, IncidentEvent

log = logging.getLogger(__name__)

LEASE_SECONDS = 300         # far above a photo's ~0.2 s: a claim past it was abandoned
RETRY_SECONDS = 30          # after an unexpected error (a full disk, say)
MAX_ATTEMPTS = 3
BATCH = 10


@dataclass(frozen=True)
class Claimed:
    id: int
    incident_id: int
    path: str
    attempts: int   # this claim's count: tells our claim from a later one


def claim(session: Session, batch: int = BATCH) -> list[Claimed]:
    """Due pending photos, oldest first, counted and leased to this worker. The caller
    commits before working on them."""
    rows = session.execute(text("""
        UPDATE photos p
        SET process_attempts = p.process_attempts + 1,
            process_after = now() + make_interval(secs => :lease)
        WHERE p.id IN (SELECT id FROM photos
                       WHERE pending AND process_after <= now()
                       ORDER BY process_after, id
                       LIMIT :batch
                       FOR UPDATE SKIP LOCKED)
        RETURNING p.id, p.incident_id, p.path, p.process_attempts"""),
        {"lease": LEASE_SECONDS, "batch": batch}).all()
    return [Claimed(row.id, row.incident_id, row.path, row.process_attempts)
            for row in sorted(rows, key=lambda row: row.id)]


def process_pending(engine: Engine, batch: int = BATCH) -> int:
    """Claim and clean one batch. Needs the app context (PHOTO_DIR, the office's language).
    Returns how many photos were claimed."""
    with Session(engine) as session, session.begin():
        claimed = claim(session, batch)
    for photo in claimed:
        process_one(engine, photo)
    return len(claimed)


def process_one(engine: Engine, photo: Claimed) -> str:
    """Clean one claimed photo. Returns what became of it: processed, removed, retry, or lost
    (another worker took it over, or its row is gone)."""
    original = photos.photo_root() / photo.path
    if photo.attempts > MAX_ATTEMPTS:
        return _give_up(engine, photo, "gave up after %d attempts" % MAX_ATTEMPTS)
    try:
        processed = photos.process_image(original.read_bytes())
    except FileNotFoundError:
        return _give_up(engine, photo, "the uploaded file is missing")
    except UserError as refused:  # valid header, unreadable pixels
        return _give_up(engine, photo, refused.code)
    except Exception:
        log.exception("photo %s: cleaning failed; trying again in %d s", photo.id, RETRY_SECONDS)
        _retry_later(engine, photo)
        return "retry"
    try:
        return _keep_clean_copy(engine, photo, original, processed)
    except OSError:  # a full or read-only disk: the worker goes on with the rest
        log.exception("photo %s: the clean copy could not be written; trying again in %d s",
                      photo.id, RETRY_SECONDS)
        _retry_later(engine, photo)
        return "retry"


def _keep_clean_copy(engine: Engine, photo: Claimed, original: Path,
                     processed: photos.ProcessedPhoto) -> str:
    root = photos.photo_root()
    folder = datetime.now(UTC).strftime("%Y/%m")
    name = secrets.token_urlsafe(18)
    relative = {"path": f"{folder}/{name}.jpg", "thumb_path": f"{folder}/{name}-thumb.jpg"}
    (root / folder).mkdir(parents=True, exist_ok=True)
    placed = []
    try:
        for key, content in (("path", processed.data), ("thumb_path", processed.thumb)):
            final = root / relative[key]
            os.replace(photos.write_temporary(root / folder, content), final)
            placed.append(final)
        with Session(engine) as session, session.begin():
            ours = session.execute(text("""
                UPDATE photos SET pending = false, process_after = NULL, path = :path,
                    thumb_path = :thumb_path, content_type = :content_type, sha256 = :sha256,
                    size_bytes = :size_bytes, width = :width, height = :height
                WHERE id = :id AND pending AND process_attempts = :attempts
                RETURNING id"""),
                {"id": photo.id, "attempts": photo.attempts, **relative,
                 "content_type": processed.content_type, "sha256": processed.sha256,
                 "size_bytes": len(processed.data), "width": processed.width,
                 "height": processed.height}).first() is not None
    except BaseException:
        for path in placed:
            path.unlink(missing_ok=True)
        raise
    if not ours:
        for path in placed:
            path.unlink(missing_ok=True)
        return "lost"
    original.unlink(missing_ok=True)
    return "processed"


def _give_up(engine: Engine, photo: Claimed, reason: str) -> str:
    """Remove a photo that cannot be cleaned, row and file, with a note for staff."""
    log.warning("photo %s of case %s removed: %s", photo.id, photo.incident_id, reason)
    with Session(engine) as session, session.begin():
        deleted = session.execute(text("""
            DELETE FROM photos WHERE id = :id AND pending AND process_attempts = :attempts
            RETURNING id"""), {"id": photo.id, "attempts": photo.attempts}).first()
        if deleted is None:
            return "lost"
        incident = session.get(Incident, photo.incident_id)
        if incident is not None:
            session.add(IncidentEvent(
                incident_id=incident.id, actor_label=in_office_language(_l("System")),
                action="comment", from_status=incident.status, to_status=incident.status,
                public=False, note=in_office_language(_l(
                    "A photo sent with this case could not be read (the file is damaged) and "
                    "was removed"))))
    (photos.photo_root() / photo.path).unlink(missing_ok=True)
    return "removed"


def _retry_later(engine: Engine, photo: Claimed) -> None:
    with Session(engine) as session, session.begin():
        session.execute(text("""
            UPDATE photos SET process_after = now() + make_interval(secs => :wait)
            WHERE id = :id AND pending AND process_attempts = :attempts"""),
            {"id": photo.id, "attempts": photo.attempts, "wait": RETRY_SECONDS})
