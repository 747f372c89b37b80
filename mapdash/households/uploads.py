"""Household files uploaded at /admin/households: checked and shown on a map first, stored
only when the administrator confirms, as village files are (office/village_uploads.py).

A file with any bad row keeps nothing: the preview lists every row's problems for one round
of corrections. A good file waits in household_uploads (sql/036) for UPLOAD_MINUTES, found by
the SHA-256 of the token the confirm form carries, so the confirm step stores exactly what
was checked; its duplicates are checked again then, against what was added meanwhile.
"""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.orm import Session

from mapdash.errors import UserError
from mapdash.households import register
from mapdash.households.checks import CheckedRow, Problem, check_rows
from mapdash.households.survey_file import read_survey_file, refused
from mapdash.i18n import _l
from mapdash.models import HouseholdUpload, User
from mapdash.office import changes

UPLOAD_MINUTES = 60
MAX_BYTES = 10 * 2**20


@dataclass(frozen=True)
class CheckedUpload:
    file_name: str
    kind: str                 # "row" (CSV) or "feature" (GeoJSON)
    households: list[CheckedRow]
    problems: list[Problem]
    token: str | None         # None when any row was bad: nothing can be stored

    @property
    def bad_rows(self) -> int:
        return len({problem.index for problem in self.problems})


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def check_upload(session: Session, actor: User, file_name: str, data: bytes,
                 now: datetime | None = None) -> CheckedUpload:
    """Read and check an uploaded file; when every row is usable, keep it for the confirm
    step. No household is stored. Flushes."""
    now = now or datetime.now(UTC)
    if len(data) > MAX_BYTES:
        raise refused(_l("The file is larger than %(mb)s MB", mb=MAX_BYTES // 2**20))
    rows, kind = read_survey_file(file_name, data)
    households, problems = check_rows(session, actor.organization_id, rows, kind)
    session.execute(delete(HouseholdUpload).where(
        HouseholdUpload.created_at < now - timedelta(minutes=UPLOAD_MINUTES)))
    token = None
    if not problems:
        token = secrets.token_urlsafe(32)
        session.add(HouseholdUpload(
            token_sha256=_digest(token), organization_id=actor.organization_id, user_id=actor.id,
            file_name=file_name[:200], created_at=now,
            households=[{"row": h.index, "village_id": h.village_id,
                         "house_number": h.house_number, "lon": h.lon, "lat": h.lat}
                        for h in households]))
        session.flush()
    return CheckedUpload(file_name, kind, households, problems, token)


def confirm(session: Session, actor: User, token: str, now: datetime | None = None) -> int:
    """Store the households of a checked upload of the actor's and record it; the number
    stored. Flushes; the request commits."""
    now = now or datetime.now(UTC)
    upload = session.get(HouseholdUpload, _digest(token))
    if upload is None or upload.user_id != actor.id \
            or upload.organization_id != actor.organization_id \
            or upload.created_at < now - timedelta(minutes=UPLOAD_MINUTES):
        raise UserError("household_upload_gone", _l(
            "This checked file is no longer waiting (over an hour old, or already stored): "
            "upload it again"), status=410)
    rows = [CheckedRow(item["row"], item["village_id"], item["house_number"], item["lon"],
                       item["lat"]) for item in upload.households]
    register.refuse_taken(session, actor.organization_id, rows)
    stored = register.store_rows(session, actor, rows)
    session.delete(upload)
    changes.record(session, actor, "household", "imported", label=upload.file_name,
                   after={"households": stored})
    return stored
