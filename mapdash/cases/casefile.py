"""One case as staff read it in the dispatcher's panel and on the printed form: the details,
photos, reporter contact, the timeline with the time spent per step, and what the reader may
do next. Reads only; changes go through workflow.perform."""
from dataclasses import dataclass
from datetime import UTC, datetime

from geoalchemy2.shape import to_shape
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from mapdash.cases import intake, workflow
from mapdash.errors import UserError
from mapdash.field import evidence
from mapdash.i18n import _l
from mapdash.models import Incident, IncidentEvent, User

# Actions with a button of their own, not in the panel's list of workflow actions.
_OWN_BUTTON = {"print_form"}


@dataclass(frozen=True)
class CaseFile:
    incident: Incident
    entries: list[workflow.TimelineEntry]
    current: workflow.CurrentStep | None
    actions: list[str]          # workflow actions the reader may take now, in table order
    can_print: bool
    crew: list[User]            # whom "assign" may choose
    lon: float | None
    lat: float | None
    review: dict | None         # a crew's closing with its evidence checks (evidence.review)


def load_case(session: Session, actor: User, incident_id: int) -> Incident:
    """The case, if `actor` may see it; else the same 404 as a case that does not exist."""
    incident = session.scalars(select(Incident).where(Incident.id == incident_id).options(
        selectinload(Incident.events).selectinload(IncidentEvent.actor),
        selectinload(Incident.photos))).first()
    if incident is None or not workflow.can_see(actor, incident):
        raise UserError("not_found", _l("No such case, or it is not yours to see"), status=404)
    return incident


def case_file(session: Session, actor: User, incident_id: int,
              now: datetime | None = None) -> CaseFile:
    incident = load_case(session, actor, incident_id)
    entries, current = workflow.timeline(incident, now or datetime.now(UTC))
    allowed = workflow.allowed_actions(actor, incident)
    crew = workflow.crew_members(session, incident.organization_id) if "assign" in allowed else []
    point = to_shape(incident.location) if incident.location is not None else None
    return CaseFile(
        incident=incident, entries=entries, current=current,
        actions=[action for action in allowed if action not in _OWN_BUTTON],
        can_print="print_form" in allowed,
        crew=crew,
        lon=point.x if point else None, lat=point.y if point else None,
        review=evidence.review(session, incident))


def case_id_by_code(session: Session, organization_id: int, code: str) -> int:
    """The id of the organization's case with this tracking code (as a person types it)."""
    found = intake.find_by_code(session, code)
    if found is None or found.organization_id != organization_id:
        raise UserError("unknown_code", _l("No case with the code '%(code)s'", code=code.strip()),
                        field="duplicate_of")
    return found.id
