"""One case as staff read it in the dispatcher's panel and on the printed form: the details,
photos, reporter contact and how the reporter can be reached, the timeline with the time spent
per step, where the case came from, and what the reader may do next. Reads only; changes go
through workflow.perform."""
from dataclasses import dataclass, field
from datetime import UTC, datetime

from geoalchemy2.shape import to_shape
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from mapdash.cases import documents, handover, information, intake, tracking, workflow
from mapdash.errors import UserError
from mapdash.field import evidence
from mapdash.i18n import _l, localized
from mapdash.models import (
    CaseDocument,
    CaseRating,
    Incident,
    IncidentEvent,
    InformationRequest,
    Organization,
    User,
)
from mapdash.office.response_templates import templates_for
from mapdash.vocabulary import PRIORITY_LABELS

# Actions with a place of their own in the panel, not in its list of workflow actions.
_OWN_PLACE = {"print_form", "comment", "set_priority", "reschedule"}
# Actions whose note the citizen reads on the status page (the others' notes are staff's).
PUBLIC_NOTES = frozenset(action for action, transition in workflow.TRANSITIONS.items()
                         if transition.public and action not in tracking.HIDDEN_NOTES)


@dataclass(frozen=True)
class Reach:
    """How the reporter can be reached, for the question a dispatcher is about to ask."""
    email: bool
    line: bool
    phone: bool
    reply_code: bool    # given a reply code when reporting on the web form (replies.py)

    @property
    def told(self) -> bool:
        """The question reaches them by itself (e-mail or LINE)."""
        return self.email or self.line

    @property
    def nobody(self) -> bool:
        return not (self.told or self.phone or self.reply_code)


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
    can_comment: bool           # write an internal note
    can_set_priority: bool
    reach: Reach
    organizations: list[Organization]   # where "forward" may send it
    forwarded_from: Organization | None  # the organization that sent it here, if any
    details: dict[int, str]     # what an event did besides its note, by event id
    rating: CaseRating | None   # the reporter's stars and comment (ratings.py)
    # An information request's delivery and its legal clock, which replaces the steps' one.
    info_request: InformationRequest | None = None
    answer_clock: information.Clock | None = None
    answer_files: list[CaseDocument] = field(default_factory=list)  # to the department only
    can_attach: bool = False    # attach the answer's files when resolving

    @property
    def overdue(self) -> bool:
        if self.answer_clock is not None:
            return self.answer_clock.overdue
        return self.current is not None and self.current.over


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
    now = now or datetime.now(UTC)
    entries, current = workflow.timeline(incident, now)
    request = information.of(session, incident)
    allowed = workflow.allowed_actions(actor, incident)
    crew = workflow.crew_members(session, incident.organization_id) if "assign" in allowed else []
    organizations = handover.forward_targets(session, incident) if "forward" in allowed else []
    point = to_shape(incident.location) if incident.location is not None else None
    return CaseFile(
        incident=incident, entries=entries, current=current,
        actions=[action for action in allowed if action not in _OWN_PLACE
                 and (action != "forward" or organizations)],
        can_print="print_form" in allowed,
        crew=crew,
        lon=point.x if point else None, lat=point.y if point else None,
        review=evidence.review(session, incident),
        can_comment="comment" in allowed, can_set_priority="set_priority" in allowed,
        reach=reach(incident), organizations=organizations,
        forwarded_from=_forwarded_from(session, incident),
        details=_details(session, incident), rating=session.get(CaseRating, incident.id),
        info_request=request,
        answer_clock=information.clock(request, now, incident.is_open) if request else None,
        answer_files=documents.documents_of(session, incident.id, information.ANSWER)
        if request and documents.staff_may_read(actor, incident) else [],
        can_attach=bool(request) and information.may_attach(actor, incident))


def reach(incident: Incident) -> Reach:
    return Reach(email=bool(incident.reporter_email), line=bool(incident.reporter_line_user),
                 phone=bool(incident.reporter_phone),
                 reply_code=incident.reply_code_sha256 is not None)


def _details(session: Session, incident: Incident) -> dict[int, str]:
    """The priority set, where the case was forwarded or referred, in the reader's words."""
    with_detail = [(event, event.detail) for event in incident.events if event.detail]
    organizations = handover.organization_names(session, {
        detail[key] for event, detail in with_detail if event.action == "forward"
        for key in ("from_organization_id", "to_organization_id")})
    details = {}
    for event, detail in with_detail:
        if event.action == "set_priority":
            details[event.id] = f"{PRIORITY_LABELS[detail['before']]} → " \
                                f"{PRIORITY_LABELS[detail['priority']]}"
        else:
            details[event.id] = tracking.event_label(event, organizations)
    return details


def _forwarded_from(session: Session, incident: Incident) -> Organization | None:
    last = next((event for event in reversed(incident.events) if event.action == "forward"),
                None)
    if last is None or not last.detail:
        return None
    return session.get(Organization, last.detail["from_organization_id"])


def response_templates(session: Session, incident: Incident, action: str) -> list[dict]:
    """The canned messages ({title, text} in the reader's language) a dispatcher may start
    `action`'s message from: the case type's own and those for every type (/admin/templates)."""
    return [{"title": template.title, "text": localized(template, "text")}
            for template in templates_for(session, incident.organization_id,
                                          incident.category_id, action)]


def case_id_by_code(session: Session, organization_id: int, code: str) -> int:
    """The id of the organization's case with this tracking code (as a person types it)."""
    found = intake.find_by_code(session, code)
    if found is None or found.organization_id != organization_id:
        raise UserError("unknown_code", _l("No case with the code '%(code)s'", code=code.strip()),
                        field="duplicate_of")
    return found.id
