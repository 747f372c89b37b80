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

# The open cases past their due time not yet alerted for their step, recorded. Two whole
# statements, not one with both branches: a single one (every due time from the earliest
# instant, no change after the latest) took the full scan at 1M cases from 52 to 674 ms p50.
# Every late case, from the index of open cases by due time:
_ALERT_EVERY_LATE = """
    INSERT INTO overdue_alerts (incident_id, step_started_at, status)
    SELECT i.id, coalesce(i.step_started_at, i.updated_at), i.status
    FROM incidents i
    WHERE i.organization_id = :org AND i.is_open AND i.due_at < :now
      AND NOT EXISTS (
          SELECT 1 FROM overdue_alerts a
          WHERE a.incident_id = i.id
            AND a.step_started_at = coalesce(i.step_started_at, i.updated_at))
    ON CONFLICT DO NOTHING
    RETURNING incident_id, step_started_at"""
# Only those that fell due since :since (the same index) or changed status since (updated_at;
# the index of cases by update time): what a scan a minute after the last needs.
_ALERT_LATE_SINCE = """
    INSERT INTO overdue_alerts (incident_id, step_started_at, status)
    SELECT i.id, coalesce(i.step_started_at, i.updated_at), i.status
    FROM (
        SELECT i.id, i.step_started_at, i.updated_at, i.status FROM incidents i
        WHERE i.organization_id = :org AND i.is_open AND i.due_at >= :since AND i.due_at < :now
        UNION
        SELECT i.id, i.step_started_at, i.updated_at, i.status FROM incidents i
        WHERE i.organization_id = :org AND i.updated_at >= :since
          AND i.is_open AND i.due_at < :now) i
    WHERE NOT EXISTS (
          SELECT 1 FROM overdue_alerts a
          WHERE a.incident_id = i.id
            AND a.step_started_at = coalesce(i.step_started_at, i.updated_at))
    ON CONFLICT DO NOTHING
    RETURNING incident_id, step_started_at"""


def scan(session: Session, app: Flask, now: datetime | None = None,
         since: datetime | None = None) -> int:
    """Record the cases that became overdue and enqueue their alerts. Flushes; the caller
    commits. Returns how many overdue steps were new.

    `since`: look only at the cases that fell due or changed status from then on (the
    worker's scan each minute). None: at every open case past its due time, which takes over
    a second when one tambon holds 500,000 of them (the worker does it at start and once an
    hour, for a due time moved otherwise: an information request's last day changed)."""
    now = now or datetime.now(UTC)
    statement = text(_ALERT_EVERY_LATE if since is None else _ALERT_LATE_SINCE)
    found = 0
    for org_id in session.scalars(select(Organization.id)):
        rows = session.execute(statement, {"org": org_id, "now": now, "since": since}).all()
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
