"""What a citizen sees of one case behind its tracking code: never a name, phone or LINE ID.

The status page shows the type, village, photos, the responsible organization and department,
the date the work should be done by (the time limits the case was reported with, seed 001) and
the public events: where the case went when it was forwarded or referred, and a crew's closing
that a dispatcher still checks as such, not as done. Staff's internal notes are never public.
"""
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from mapdash.cases import handover, information, kinds, proposals
from mapdash.cases.photos import is_public
from mapdash.field.evidence import before_after
from mapdash.i18n import LazyText, Localized, _l, _lp
from mapdash.models import DEFAULT_SLA_MINUTES, Incident, IncidentEvent, Organization, Photo
from mapdash.services import bookings
from mapdash.vocabulary import PROPOSAL_OUTCOME_LABELS, STATUS_LABELS, UNDER_REVIEW_LABEL

# The staff steps of seed 001 in order: acknowledge, check, inform, print, set the status,
# do the work (about 7 days), report back.
SERVICE_STEPS = tuple(DEFAULT_SLA_MINUTES)
# Public events whose note the public pages leave out: the report's repeats its label, the
# citizen's answer to a question and their "not fixed" are their own words (see replies.py,
# ratings.py), what was sent to an outside agency may carry the reporter's contact (the
# agency's name is public).
HIDDEN_NOTES = ("report", "reply", "not_fixed", "refer")


def expected_completion(incident: Incident) -> datetime:
    """When the case should be done: its report time plus every step's time limit (the
    limits it was reported with)."""
    minutes = sum(incident.time_limits.minutes[step] for step in SERVICE_STEPS)
    return incident.created_at + timedelta(minutes=minutes)


# How the status page names each public event; others by the status they led to.
TIMELINE_LABELS = {
    "report": _l("Report received"),
    "accept": _l("Accepted by the staff"),
    "request_info": _l("The staff asked for more information"),
    "reply": _l("More information received from the reporter"),
    "assign": _l("Assigned to a crew"),
    "start": _l("Work started"),
    "resolve": _lp("timeline.resolve", "Done"),
    "reject": _l("Not accepted"),
    "mark_duplicate": _l("Merged with an earlier report"),
    "reopen": _l("Reopened"),
    "not_fixed": _l("The reporter said it is not fixed: reopened"),
    "forward": _l("Forwarded to another organization"),
    "take_into_plan": _l("Taken into the development plan"),
    "leave_out_of_plan": _l("Not taken into the development plan"),
    "cancel": _l("Appointment cancelled by the citizen"),
    "reschedule": _l("Appointment moved by the staff"),
}


# Where a kind of service reads otherwise: an application is approved, an information request
# answered, a payment receipted, a proposal decided; none is "done".
KIND_LABELS = {
    "registration": {
        "report": _l("Application received"),
        "resolve": _l("Application approved"),
        "reject": _l("Application not approved"),
    },
    "proposal": {"mark_duplicate": PROPOSAL_OUTCOME_LABELS["merged"]},
    "information": {"resolve": _l("Answered: the information is ready")},
    "payment": {"resolve": _l("Receipt issued")},
}
KIND_STATUS_LABELS = {
    "registration": {"resolved": _l("Approved"), "rejected": _l("Not approved")},
    # A proposal is decided (proposals.py), never "done".
    "proposal": {"resolved": PROPOSAL_OUTCOME_LABELS["taken"],
                 "rejected": PROPOSAL_OUTCOME_LABELS["not_taken"],
                 "duplicate": PROPOSAL_OUTCOME_LABELS["merged"]},
    "information": {"resolved": _l("Answered")},
    "payment": {"resolved": _l("Receipt issued")},
}


# A crew's closing the dispatcher sent back: the crew said done, the office did not agree.
REPORTED_DONE = _l("The crew reported the work done")


def event_label(event: IncidentEvent, organizations: dict | None = None,
                kind: str = "report") -> str:
    """The event as the citizen reads it ("Accepted by the staff"), in the chosen language,
    in the words of the case's kind of service."""
    detail = event.detail or {}
    if event.action in KIND_LABELS.get(kind, {}):
        return str(KIND_LABELS[kind][event.action])
    if event.action == "refer" and detail.get("agency"):
        return str(_l("Referred to %(agency)s", agency=detail["agency"]))
    if event.action == "forward" and organizations:
        return str(_l("Forwarded from %(from)s to %(to)s",
                      **{"from": Localized(organizations[detail["from_organization_id"]]),
                         "to": Localized(organizations[detail["to_organization_id"]])}))
    return str(TIMELINE_LABELS.get(event.action) or STATUS_LABELS[event.to_status or "new"])


def under_review(incident: Incident) -> bool:
    """Resolved by a crew whose evidence a dispatcher has still to check."""
    return incident.status == "resolved" and incident.evidence_review == "needs_review"


def status_label(incident: Incident) -> LazyText:
    if under_review(incident):
        return UNDER_REVIEW_LABEL
    return KIND_STATUS_LABELS.get(incident.category.kind, {}).get(incident.status) \
        or STATUS_LABELS[incident.status]


def public_timeline(session: Session, incident: Incident) -> list[dict]:
    # Internal events are read too, only to tell which closings were sent back.
    events = list(session.scalars(select(IncidentEvent).where(
        IncidentEvent.incident_id == incident.id,
        IncidentEvent.public | (IncidentEvent.action == "send_back"))
        .order_by(IncidentEvent.created_at, IncidentEvent.id)))
    organizations = handover.organization_names(session, {
        org_id for event in events if event.action == "forward" and event.detail
        for org_id in (event.detail["from_organization_id"], event.detail["to_organization_id"])})
    timeline: list[dict] = []
    last_closing = None
    for event in events:
        if event.action == "send_back":  # that closing was not the end of it
            if last_closing is not None:
                last_closing["label"] = str(REPORTED_DONE)
            continue
        # Staff notes are for the citizen; HIDDEN_NOTES are not.
        timeline.append({"at": event.created_at,
                         "label": event_label(event, organizations, incident.category.kind),
                         "status": event.to_status,
                         "note": event.note if event.action not in HIDDEN_NOTES else ""})
        if event.action == "resolve":
            last_closing = timeline[-1]
    if last_closing is not None and under_review(incident):
        last_closing["label"] = str(UNDER_REVIEW_LABEL)
    return timeline


def where_it_went(session: Session, incident: Incident) -> dict | None:
    """The agency a referred case went to ({"agency": name}), or the organization a case was
    forwarded from ({"from": Organization}), for the top of the status page."""
    last = session.scalars(select(IncidentEvent).where(
        IncidentEvent.incident_id == incident.id,
        IncidentEvent.action.in_(("refer", "forward"))).order_by(IncidentEvent.id.desc())
        .limit(1)).first()
    if last is None or not last.detail:
        return None
    if last.action == "refer":
        return {"agency": last.detail["agency"]} if incident.status == "referred" else None
    return {"from": session.get(Organization, last.detail["from_organization_id"])}


def public_photos(incident: Incident) -> list[Photo]:
    """The citizen's own photos; the crew's evidence is shown apart, as the "after"."""
    return [photo for photo in incident.photos if photo.kind == "report" and is_public(photo)]


def status_page(session: Session, incident: Incident, now: datetime) -> dict:
    """Everything the status page shows. Sensitive cases show no place and no photos."""
    due = expected_completion(incident)
    sensitive = incident.category.sensitive
    timeline = public_timeline(session, incident)
    request = information.of(session, incident)  # an information request's legal clock
    answer_clock = information.clock(request, now, incident.is_open) if request else None
    return {
        "texts": kinds.texts(incident.category),
        "responsible_contact": kinds.responsible(incident.category, incident.organization),
        "answer_clock": answer_clock,
        "incident": incident,
        "status_label": status_label(incident),
        "under_review": under_review(incident),
        "went": where_it_went(session, incident),
        "sensitive": sensitive,
        "village": None if sensitive else incident.village,
        "photos": [] if sensitive else public_photos(incident),
        "before_after": None if sensitive else before_after(session, incident),
        "due": due,
        # An appointment's booked slot: shown instead of a completion date (there is none).
        "booking": bookings.of_case(session, incident.id),
        "due_with_time": due - incident.created_at < timedelta(days=1),
        "overdue": answer_clock.overdue if answer_clock else incident.is_open and now > due,
        "timeline": timeline,
        # A proposal for the development plan: its title, supporters and outcome.
        "proposal": proposals.for_status_page(session, incident),
        # The question the case waits on, shown on top (the timeline has it too).
        "question": timeline[-1]["note"] if incident.status == "info_requested" and timeline
        else None,
    }
