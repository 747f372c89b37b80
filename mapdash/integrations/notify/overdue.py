"""Staff alerts for overdue cases: once per case and step, to the case's department.

The time limits are each case's own, its type's when it was reported (workflow.step_limits,
the table the dispatcher map looks them up in); the alert records (overdue_alerts) make a step
announced once even with several workers, and a case that moves on to a new step and is late
again is announced again.
"""
import json
from datetime import UTC, datetime

from flask import Flask
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from mapdash.cases import workflow
from mapdash.integrations.notify import messages, outbox
from mapdash.models import Incident, Organization


def scan(session: Session, app: Flask, now: datetime | None = None) -> int:
    """Record the cases that became overdue and enqueue their alerts. Flushes; the caller
    commits. Returns how many overdue steps were new."""
    now = now or datetime.now(UTC)
    found = 0
    limits = json.dumps(workflow.step_limits(session))
    for org_id in session.scalars(select(Organization.id)):
        rows = session.execute(text("""
            WITH limits AS (
                SELECT * FROM jsonb_to_recordset(CAST(:limits AS jsonb))
                    AS l(time_limits_id integer, status text, minutes integer))
            INSERT INTO overdue_alerts (incident_id, step_started_at, status)
            SELECT i.id, coalesce(i.step_started_at, i.updated_at), i.status
            FROM incidents i
            JOIN limits l ON l.time_limits_id = i.time_limits_id AND l.status = i.status
            WHERE i.organization_id = :org AND i.is_open
              AND coalesce(i.step_started_at, i.updated_at)
                  + make_interval(mins => l.minutes) < :now
              AND NOT EXISTS (
                  SELECT 1 FROM overdue_alerts a
                  WHERE a.incident_id = i.id
                    AND a.step_started_at = coalesce(i.step_started_at, i.updated_at))
            ON CONFLICT DO NOTHING
            RETURNING incident_id, step_started_at"""),
            {"limits": limits, "org": org_id, "now": now}).all()
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
    due = workflow.due_at(incident)
    assert due is not None  # an open step, found overdue
    payload = messages.overdue(incident, step, due,
                               outbox.link(app, "dispatch.index"))
    for channel, recipient in recipients:
        outbox.add(session, incident_id=incident.id, event_id=None, payload=payload,
                   channel=channel, recipient=recipient,
                   dedupe=f"overdue:{incident.id}:{started.isoformat()}")
