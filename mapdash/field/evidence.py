"""The checks on a crew's closing evidence, and the before/after photos of a closed case.

Photos of unrelated work used to close cases are a known problem: each evidence photo must
not be the citizen's own picture or one already used as evidence (a perceptual hash catches
re-saved and resized copies), should have been taken after the report, and the crew should
have been near the case when closing. A failed check never blocks the crew: the case is
flagged "evidence needs review" for a dispatcher, who accepts it or sends it back.
"""
import io
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

import imagehash
from flask import current_app
from PIL import Image
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from mapdash.cases.photos import is_public
from mapdash.i18n import LOCAL_TZ, _l
from mapdash.models import Closing, Incident, Photo

# Of the 64 bits of a pHash: re-saved or resized copies land within a few bits, photos of
# other scenes around 32.
PHASH_MAX_BITS = 8

_EXIF_IFD = 0x8769
_DATETIME_ORIGINAL, _DATETIME_DIGITIZED = 36867, 36868
_OFFSET_ORIGINAL, _OFFSET_DIGITIZED = 36881, 36882
_EARLIEST_YEAR, _LATEST_YEAR = 1900, 9000


def perceptual_hash(image: Image.Image) -> int:
    """The 64-bit DCT pHash as a signed integer, as PostgreSQL's bigint stores it."""
    value = int(str(imagehash.phash(image)), 16)
    return value - (1 << 64) if value >= 1 << 63 else value


def capture_time(data: bytes) -> datetime | None:
    """When the photo says it was taken (EXIF DateTimeOriginal), or None.

    Must be read from the original upload: stored photos have their metadata stripped.
    Cameras write local time; without an offset tag it is taken as Thai time."""
    try:
        exif = Image.open(io.BytesIO(data)).getexif().get_ifd(_EXIF_IFD)
    except Exception:  # unreadable metadata is "no capture time", never an error
        return None
    for stamp_tag, offset_tag in ((_DATETIME_ORIGINAL, _OFFSET_ORIGINAL),
                                  (_DATETIME_DIGITIZED, _OFFSET_DIGITIZED)):
        stamp = str(exif.get(stamp_tag) or "").strip("\x00 ")
        try:
            moment = datetime.strptime(stamp[:19], "%Y:%m:%d %H:%M:%S")
        except ValueError:
            continue
        # Years PostgreSQL keeps but Python cannot read back once in UTC (before year 1,
        # after 9999) are no camera's clock.
        if not _EARLIEST_YEAR <= moment.year <= _LATEST_YEAR:
            continue
        return moment.replace(tzinfo=_parse_offset(exif.get(offset_tag)) or LOCAL_TZ)
    return None


def _parse_offset(value) -> timezone | None:
    """"+07:00" as a time zone; None for anything else (an offset of a day or more too)."""
    text_ = str(value or "").strip("\x00 ")
    if len(text_) != 6 or text_[0] not in "+-" or text_[3] != ":":
        return None
    try:
        minutes = int(text_[1:3]) * 60 + int(text_[4:6])
    except ValueError:
        return None
    if minutes >= 24 * 60:
        return None
    return timezone(timedelta(minutes=minutes if text_[0] == "+" else -minutes))


@dataclass
class EvidencePhoto:
    """One photo as the checks see it: decoded pixels plus what the upload itself said."""
    image: Image.Image
    captured_at: datetime | None
    phash: int = field(init=False)

    def __post_init__(self):
        self.phash = perceptual_hash(self.image)


def similar_photos(session: Session, incident: Incident, phash: int) -> list[dict]:
    """Photos on file that look like `phash`: this case's report photos, and every evidence
    photo of the organization. Nearest first."""
    rows = session.execute(text("""
        SELECT p.id, p.kind, i.tracking_code, bit_count((p.phash # :hash)::bit(64)) AS bits
        FROM photos p JOIN incidents i ON i.id = p.incident_id
        WHERE p.phash IS NOT NULL
          AND ((p.kind = 'report' AND p.incident_id = :incident)
               OR (p.kind = 'evidence' AND i.organization_id = :org))
          AND bit_count((p.phash # :hash)::bit(64)) <= :max_bits
        ORDER BY bits, p.id LIMIT 5"""),
        {"hash": phash, "incident": incident.id, "org": incident.organization_id,
         "max_bits": PHASH_MAX_BITS}).mappings()
    return [dict(row) for row in rows]


def distance_to_case(session: Session, incident: Incident, lon: float, lat: float) -> float | None:
    """Metres on the ground from the point to the case, or None for a case without a place."""
    return session.execute(text("""
        SELECT ST_Distance(location::geography,
                           ST_SetSRID(ST_MakePoint(:lon, :lat), 4326)::geography)
        FROM incidents WHERE id = :id"""), {"id": incident.id, "lon": lon, "lat": lat}).scalar()


def run_checks(session: Session, incident: Incident, photos: list[EvidencePhoto],
               position: tuple[float, float] | None) -> list[dict]:
    """Every check as {"check", "photo" (1-based, or None), "ok" (True/False/None = could not
    tell), "detail"}. Report photos must have their hashes (see `hash_report_photos`)."""
    checks = []
    for number, photo in enumerate(photos, start=1):
        checks.append({"check": "real_image", "photo": number, "ok": True,
                       "detail": {"width": photo.image.width, "height": photo.image.height}})
        matches = similar_photos(session, incident, photo.phash)
        checks.append({"check": "not_reused", "photo": number, "ok": not matches,
                       "detail": {"matches": matches}})
        taken = photo.captured_at
        checks.append({"check": "taken_after_report", "photo": number,
                       "ok": None if taken is None else taken > incident.created_at,
                       "detail": {"captured_at": taken.isoformat() if taken else None,
                                  "reported_at": incident.created_at.isoformat()}})
    limit = current_app.config["EVIDENCE_MAX_DISTANCE_M"]
    meters = distance_to_case(session, incident, *position) if position else None
    checks.append({"check": "near_case", "photo": None,
                   "ok": None if meters is None else meters <= limit,
                   "detail": {"meters": None if meters is None else round(meters, 1),
                              "limit": limit}})
    return checks


# The state of a crew's closing under review, as the dispatcher reads it.
REVIEW_LABELS = {
    "needs_review": _l("Evidence needs review"),
    "accepted": _l("Evidence accepted"),
    "sent_back": _l("Sent back to the crew"),
}


def needs_review(checks: list[dict]) -> bool:
    return any(check["ok"] is False for check in checks)


def hash_report_photos(session: Session, incident: Incident, open_original) -> None:
    """Give this case's report photos their perceptual hash where intake did not store one.

    `open_original(photo)` returns the stored file's bytes."""
    for photo in session.scalars(select(Photo).where(
            Photo.incident_id == incident.id, Photo.kind == "report", Photo.phash.is_(None),
            Photo.pending.is_(False))):  # a pending one is hashed once the worker cleans it
        with Image.open(io.BytesIO(open_original(photo))) as image:
            photo.phash = perceptual_hash(image)
    session.flush()


def latest_closing(session: Session, incident_id: int) -> Closing | None:
    return session.scalars(select(Closing).where(Closing.incident_id == incident_id)
                           .order_by(Closing.id.desc()).limit(1)).first()


def before_after(session: Session, incident: Incident) -> dict | None:
    """For the citizen's status page of a case a crew closed: the result, and the citizen's
    photos beside the crew's. None for a case not (or no longer) resolved by a crew.

    Evidence still waiting for a dispatcher's review is not shown as the "after"."""
    if incident.status != "resolved":
        return None
    closing = latest_closing(session, incident.id)
    if closing is None:
        return None
    under_review = incident.evidence_review == "needs_review"
    return {
        "closing": closing,
        "result": closing.result,
        "reason": closing.reason,
        "closed_at": closing.closed_at,
        "before": [p for p in incident.photos if p.kind == "report" and is_public(p)],
        "after": [] if under_review else [p for p in closing.photos if is_public(p)],
    }


def review(session: Session, incident: Incident) -> dict | None:
    """For dispatchers: the latest closing of the case with its checks, the crew's photos
    and the citizen's. None when no crew has closed it."""
    closing = latest_closing(session, incident.id)
    if closing is None:
        return None
    lat, lon = session.execute(text("""
        SELECT ST_Y(position::geometry), ST_X(position::geometry) FROM closings WHERE id = :id"""),
        {"id": closing.id}).one()
    return {
        "closing": closing,
        "needs_review": incident.evidence_review == "needs_review",
        "state": incident.evidence_review,
        "checks": [_readable(check) for check in closing.checks["checks"]],
        "position": None if lat is None else {"lat": lat, "lon": lon},
        "before": [p for p in incident.photos if p.kind == "report"],
        "after": list(closing.photos),
    }


def _readable(check: dict) -> dict:
    """A stored check with its capture time as a datetime again, for showing."""
    detail = dict(check["detail"])
    if detail.get("captured_at"):
        detail["captured_at"] = datetime.fromisoformat(detail["captured_at"])
    return {**check, "detail": detail}
