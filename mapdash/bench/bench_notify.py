"""The notification worker's two standing queries on a big archive: the overdue scan (once a
minute, over what fell due or changed since the last; at start and hourly, over every late
case) and the claim of due messages from an outbox holding many sent ones. Everything made
here is removed at the end."""
from datetime import UTC, datetime, timedelta

from sqlalchemy import text
from sqlalchemy.orm import Session

from mapdash.integrations.notify import overdue
from mapdash.integrations.notify.worker import (
    OVERDUE_SCAN_OVERLAP,
    OVERDUE_SCAN_SECONDS,
    Worker,
)

SENT = 200_000       # messages already sent: the claim must not read them
RECIPIENTS = 2_000   # each with two unsent messages: the claim takes only the older one
BATCH = 20


def run(ctx) -> None:
    app, engine = ctx.app, ctx.app.extensions["db_engine"]
    with app.app_context(), Session(engine) as session:
        open_cases = session.scalar(text("SELECT count(*) FROM incidents WHERE is_open"))
        alerted = overdue.scan(session, app)  # the first scan records every late case
        session.commit()
        window = OVERDUE_SCAN_OVERLAP + timedelta(seconds=OVERDUE_SCAN_SECONDS)
        ctx.measure(f"overdue scan each minute: what fell due or changed in {window}",
                    lambda: overdue.scan(session, app, since=datetime.now(UTC) - window),
                    floor_ms=100, repeat=10)
        ctx.measure(f"overdue scan, full (start, hourly): {open_cases:,} open, {alerted:,} alerted",
                    lambda: overdue.scan(session, app), floor_ms=500, repeat=10)
        session.rollback()

        session.execute(text("""
            INSERT INTO notifications (incident_id, kind, channel, recipient, payload,
                                       dedupe_key, status, sent_at, created_at)
            SELECT id, 'accepted', 'email', 'citizen' || (id % 50000) || '@example.test',
                   '{}', 'bench:sent:' || id, 'sent', now(), now() - interval '1 day'
            FROM incidents ORDER BY id LIMIT :sent"""), {"sent": SENT})
        session.execute(text("""
            INSERT INTO notifications (incident_id, kind, channel, recipient, payload, dedupe_key)
            SELECT i.id, 'accepted', 'email', 'due' || (n % :recipients) || '@example.test', '{}',
                   'bench:due:' || n
            FROM generate_series(1, 2 * :recipients) n,
                 LATERAL (SELECT id FROM incidents ORDER BY id LIMIT 1) i"""),
            {"recipients": RECIPIENTS})
        session.commit()
        session.execute(text("ANALYZE notifications"))
        worker = Worker(app)
        ctx.measure(f"notify claim: {BATCH} due of {SENT:,} sent + {2 * RECIPIENTS:,} unsent",
                    lambda: worker.claim(BATCH), floor_ms=50)
        session.execute(text("DELETE FROM notifications WHERE dedupe_key LIKE 'bench:%'"))
        session.execute(text("DELETE FROM overdue_alerts"))
        session.commit()
