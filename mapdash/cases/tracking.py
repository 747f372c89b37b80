"""What a citizen sees of one case behind its tracking code: never a name, phone or LINE ID.

The status page shows the type, village, photos, the responsible department, the date the
work should be done by (the time limits the case was reported with, seed 001) and the public
events.
"""
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from mapdash.cases.photos import is_public
from mapdash.field.evidence import before_after
from mapdash.i18n import _l, _lp
from mapdash.models import DEFAULT_SLA_MINUTES, Incident, IncidentEvent, Photo
from mapdash.vocabulary import STATUS_LABELS

# The staff steps of seed 001 in order: acknowledge, check, inform, print, set the status,
# do the work (about 7 days), report back.
SERVICE_STEPS = tuple(DEFAULT_SLA_MINUTES)
# Public events whose note the public pages leave out: the report's repeats its label, the
# citizen's answer to a question is their own words (see replies.py).
HIDDEN_NOTES = ("report", "reply")


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
}


def event_label(event: IncidentEvent) -> str:
    """The event as the citizen reads it ("Accepted by the staff"), in the chosen language."""
    return str(TIMELINE_LABELS.get(event.action) or STATUS_LABELS[event.to_status or "new"])


def public_timeline(session: Session, incident: Incident) -> list[dict]:
    events = session.scalars(select(IncidentEvent).where(
        IncidentEvent.incident_id == incident.id, IncidentEvent.public)
        .order_by(IncidentEvent.created_at, IncidentEvent.id))
    # Staff notes are for the citizen; HIDDEN_NOTES are not.
    return [{"at": event.created_at, "label": event_label(event), "status": event.to_status,
             "note": event.note if event.action not in HIDDEN_NOTES else ""}
            for event in events]


def public_photos(incident: Incident) -> list[Photo]:
    """The citizen's own photos; the crew's evidence is shown apart, as the "after"."""
    return [photo for photo in incident.photos if photo.kind == "report" and is_public(photo)]


def status_page(session: Session, incident: Incident, now: datetime) -> dict:
    """Everything the status page shows. Sensitive cases show no place and no photos."""
    due = expected_completion(incident)
    sensitive = incident.category.sensitive
    timeline = public_timeline(session, incident)
    return {
        "incident": incident,
        "sensitive": sensitive,
        "village": None if sensitive else incident.village,
        "photos": [] if sensitive else public_photos(incident),
        "before_after": None if sensitive else before_after(session, incident),
        "due": due,
        "due_with_time": due - incident.created_at < timedelta(days=1),
        "overdue": incident.is_open and now > due,
        "timeline": timeline,
        # The question the case waits on, shown on top (the timeline has it too).
        "question": timeline[-1]["note"] if incident.status == "info_requested" and timeline
        else None,
    }
