"""Household files uploaded at /admin/households: checked and shown on a map first, stored
only when the administrator confirms, as village files are (office/village_uploads.py).

A file with any bad row keeps nothing: the preview lists every row's problems for one round
of corrections. A good file waits in household_uploads (sql/036, office/pending_uploads.py),
so the confirm step stores exactly what was checked; its duplicates are checked again then,
against what was added meanwhile.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from mapdash.households import register
from mapdash.households.checks import CheckedRow, Problem, check_rows
from mapdash.households.survey_file import read_survey_file, refused
from mapdash.i18n import _l
from mapdash.models import HouseholdUpload, User
from mapdash.office import changes, pending_uploads

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


def check_upload(session: Session, actor: User, file_name: str, data: bytes,
                 now: datetime | None = None) -> CheckedUpload:
    """Read and check an uploaded file; when every row is usable, keep it for the confirm
    step. No household is stored. Flushes."""
    now = now or datetime.now(UTC)
    if len(data) > MAX_BYTES:
        raise refused(_l("The file is larger than %(mb)s MB", mb=MAX_BYTES // 2**20))
    rows, kind = read_survey_file(file_name, data)
    households, problems = check_rows(session, actor.organization_id, rows, kind)
    token = None if problems else pending_uploads.keep(
        session, HouseholdUpload, actor, file_name, now,
        households=[{"row": h.index, "village_id": h.village_id, "house_number": h.house_number,
                     "lon": h.lon, "lat": h.lat} for h in households])
    return CheckedUpload(file_name, kind, households, problems, token)


def confirm(session: Session, actor: User, token: str, now: datetime | None = None) -> int:
    """Store the households of a checked upload of the actor's and record it; the number
    stored. Flushes; the request commits."""
    now = now or datetime.now(UTC)
    upload = pending_uploads.take(session, HouseholdUpload, actor, token, now,
                                  "household_upload_gone")
    rows = [CheckedRow(item["row"], item["village_id"], item["house_number"], item["lon"],
                       item["lat"]) for item in upload.households]
    register.refuse_taken(session, actor.organization_id, rows)
    stored = register.store_rows(session, actor, rows)
    changes.record(session, actor, "household", "imported", label=upload.file_name,
                   after={"households": stored})
    return stored
