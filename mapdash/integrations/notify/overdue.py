"""Staff alerts for overdue cases: once per case and step, to the case's department.

A case is late past its due time, incidents.due_at (sql/037, kept by a trigger): the end of
its current step by its own time limits (its type's when it was reported), or for an
information request the end of its answer's last day (sql/039), as the dispatcher's map reads
it. The alert records (overdue_alerts) make a step announced once even with several workers,
and a case that moves on to a new step and is late again is announced again.
"""
from datetime import UTC, datetime

from flask import Flask
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from mapdash.cases import workflow
from mapdash.integrations.notify import messages, outbox
from mapdash.models import Incident, Organization

# The open cases past their due time not yet alerted for their step: those that fell due
# from :due_from on (the index of open cases by due time) or changed status from
# :changed_from on (updated_at; the index of cases by update time). A scan a minute after the
# last passes that moment for both; a full scan the earliest instant for the first (every late
# case) and the latest for the second (nothing more).
_ALERT_LATE = """
    INSERT INTO overdue_alerts (incident_id, step_started_at, status)
    SELECT i.id, coalesce(i.step_started_at, i.updated_at), i.status
    FROM (
        SELECT i.id, i.step_started_at, i.updated_at, i.status FROM incidents i
        WHERE i.organization_id = :org AND i.is_open
          AND i.due_at >= :due_from AND i.due_at < :now
        UNION
        SELECT i.id, i.step_started_at, i.updated_at, i.status FROM incidents i
        WHERE i.organization_id = :org AND i.updated_at >= :changed_from
          AND i.is_open AND i.due_at < :now) i
    WHERE NOT EXISTS (
          SELECT 1 FROM overdue_alerts a
          WHERE a.incident_id = i.id
            AND a.step_started_at = coalesce(i.step_started_at, i.updated_at))
    ON CONFLICT DO NOTHING
    RETURNING incident_id, step_started_at"""
_EARLIEST, _LATEST = datetime.min.replace(tzinfo=UTC), datetime.max.replace(tzinfo=UTC)


def scan(session: Session, app: Flask, now: datetime | None = None,
         since: datetime | None = None) -> int:
    """Record the cases that became overdue and enqueue their alerts. Flushes; the caller
    commits. Returns how many overdue steps were new.

    `since`: look only at the cases that fell due or changed status from then on (the
    worker's scan each minute). None: at every open case past its due time, which takes over
    a second when one tambon holds 500,000 of them (the worker does it at start and once an
    hour, for a due time moved otherwise: an information request's last day changed)."""
    now = now or datetime.now(UTC)
    window = {"now": now, "due_from": since or _EARLIEST, "changed_from": since or _LATEST}
    found = 0
    for org_id in session.scalars(select(Organization.id)):
        rows = session.execute(text(_ALERT_LATE), {"org": org_id, **window}).all()
        for incident_id, started in rows:
            _alert(session, app, session.get_one(Incident, incident_id), started)
        found += len(rows)
    session.flush()
    return found


def _alert(session: Session, app: Flask, incident: Incident, started: datetime) -> None:
    recipients = outbox.department_recipients(incident.department)
    if not recipients:
        return
    step = workflow.STEP_OF_STATUS[incident.status]
    assert incident.due_at is not None  # found overdue by it
    payload = messages.overdue(incident, step, incident.due_at,
                               outbox.link(app, "dispatch.index"))
    for channel, recipient in recipients:
        outbox.add(session, incident_id=incident.id, event_id=None, payload=payload,
                   channel=channel, recipient=recipient,
                   dedupe=f"overdue:{incident.id}:{started.isoformat()}")
