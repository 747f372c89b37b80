"""`mapdash notify run`: sends the outbox, cleans the photos intake stored as they came
(photo_processing.py), alerts staff of overdue cases, sweeps stray photos and old crew
positions.

Crash safety, step by step:
1. claim: due rows (pending, or 'sending' whose lease ran out; for each recipient only the
   oldest unsent, so a retried message is not overtaken by the next one) are locked with
   FOR UPDATE SKIP LOCKED (several workers never take the same row), marked 'sending' with
   a lease, and committed before anything is sent;
2. send each through its channel; the receiver gets the notification's fixed key (LINE's
   X-Line-Retry-Key, the e-mail's Message-ID);
3. mark it 'sent', committed per message.
Just before each send the lease is renewed, if the row is still ours (its `attempts` is the
one our claim set): a worker slow enough to outlive its lease never sends a message another
worker has taken over.
A worker that dies between 1 and 3 leaves the row 'sending'; when the lease runs out it is
due again and sent with the same key. Nothing is lost. The one window for a repeat is a
worker killed after the receiver accepted a message (SMTP 250, LINE 200) but before step 3
committed: LINE drops the repeat (same X-Line-Retry-Key); an e-mail arrives twice, with the
same Message-ID, which many mail programs show once.
Failures retry with exponential backoff and jitter up to NOTIFY_MAX_ATTEMPTS, then the row
is 'failed' (at once for a permanent refusal) and shown to admins.

A database outage does not stop the worker: it says so once, tries again after 1 s, 2 s, 4 s
... (at most a minute apart; NOTIFY_RECONNECT_SECONDS, NOTIFY_RECONNECT_MAX_SECONDS), and once
the database is back it first records the outcomes the outage kept from it (a message
delivered meanwhile is not sent again), then hands back what it had claimed but not tried.
Besides the outbox it alerts staff of overdue cases and reminds citizens of tomorrow's
appointments (reminders.py) once a minute, and removes stray photo files every
PHOTO_SWEEP_MINUTES (photo_sweep.py); once an hour it deletes crews' positions past their
organization's retention (field/positions.py); every STATS_RECOUNT_SECONDS it recounts the
statistics' kept figures that went out of date, a few per pass, most recently viewed first
(stats/figures.py), so that no reader waits for them.
Idle, it waits on a LISTEN for the photo channel (intake NOTIFYs it when a photo is
committed), so a photo is usually clean within a fraction of a second; without that
connection it looks again every NOTIFY_IDLE_SECONDS.
"""
import importlib
import random
import signal
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
from flask import Flask
from sqlalchemy import text
from sqlalchemy.orm import Session

from mapdash import db
from mapdash.cases import photo_processing, photo_sweep, photos
from mapdash.field import positions
from mapdash.integrations.notify import overdue, reminders
from mapdash.integrations.notify.delivery import DeliveryError, Outgoing
from mapdash.maps import counts
from mapdash.stats import figures as stats

OVERDUE_SCAN_SECONDS = 60
# Each scan looks only at the cases that fell due or changed status since the last one, back this
# much further (a change written just before a scan and committed after it); one an hour, and
# the first, look at every late case (overdue.scan).
OVERDUE_SCAN_OVERLAP = timedelta(minutes=10)
OVERDUE_FULL_SCAN_SECONDS = 3600
POSITION_PURGE_SECONDS = 3600
# A fiscal year of a million cases takes seconds to count: a few filters per pass, so that
# messages are not held up long.
STATS_RECOUNT_SECONDS = 15
STATS_RECOUNT_BATCH = 3
# Where each channel's sender lives; imported when first needed, so a missing channel (LINE
# not configured or not installed) fails only its own messages.
SENDERS = {"email": "mapdash.integrations.notify.email", "line": "mapdash.integrations.line.sender"}
MAX_ERROR = 1000


def backoff(attempts: int, base: float, cap: float, rng=random.random) -> timedelta:
    """The wait before attempt `attempts + 1`: base·2^(attempts-1), at most `cap`, ±50 %
    jitter so that many messages refused together are not retried in lockstep."""
    delay = min(cap, base * 2 ** max(attempts - 1, 0))
    return timedelta(seconds=delay * (0.5 + rng()))


class Worker:
    def __init__(self, app: Flask):
        self.app = app
        self.config = app.config
        self.engine = app.extensions["db_engine"]
        self.stop = threading.Event()
        self._next_scan = 0.0
        self._next_full_scan = 0.0
        self._last_scan: datetime | None = None  # the moment the last overdue scan looked at
        self._next_sweep = 0.0
        self._next_purge = 0.0
        self._next_recount = 0.0
        self._attempts: dict[int, int] = {}  # id → attempts of our claim (see _renew_lease)
        # What an outage kept from the database: outcomes to record (id → statement), and
        # messages claimed but not tried.
        self._unrecorded: dict[int, tuple[str, dict]] = {}
        self._untried: list[Outgoing] = []
        self._down_since: float | None = None
        self._reconnect_wait = self.config["NOTIFY_RECONNECT_SECONDS"]
        self._listener: psycopg.Connection | None = None

    def claim(self, batch: int) -> list[Outgoing]:
        with Session(self.engine) as session, session.begin():
            rows = session.execute(text("""
                UPDATE notifications n
                SET status = 'sending', attempts = n.attempts + 1,
                    next_attempt_at = now() + make_interval(secs => :lease)
                WHERE n.id IN (
                    SELECT id FROM notifications m
                    WHERE status IN ('pending', 'sending') AND next_attempt_at <= now()
                      -- In order per recipient: never past an earlier message still unsent
                      -- (waiting for a retry, or being sent by another worker).
                      AND NOT EXISTS (
                          SELECT 1 FROM notifications earlier
                          WHERE earlier.recipient = m.recipient AND earlier.channel = m.channel
                            AND earlier.status IN ('pending', 'sending') AND earlier.id < m.id)
                    ORDER BY next_attempt_at, id
                    LIMIT :batch
                    FOR UPDATE SKIP LOCKED)
                RETURNING n.id, n.key::text, n.channel, n.recipient, n.payload, n.attempts"""),
                {"lease": self.config["NOTIFY_LEASE_SECONDS"], "batch": batch}).all()
        self._attempts = {row.id: row.attempts for row in rows}
        return [Outgoing(row.id, row.key, row.channel, row.recipient, row.payload)
                for row in sorted(rows, key=lambda r: r.id)]

    def send(self, outgoing: Outgoing) -> str:
        """Deliver one claimed message and record the outcome. Returns the new status."""
        if not self._renew_lease(outgoing):
            return "lost_lease"  # our lease ran out and another worker took the message over
        try:
            sender = importlib.import_module(SENDERS[outgoing.channel])
            sender.deliver(self.config, outgoing)
        except DeliveryError as exc:
            return self._failed(outgoing, str(exc), exc.permanent)
        except ImportError as exc:
            return self._failed(outgoing, f"no sender for {outgoing.channel}: {exc}", False)
        except Exception as exc:  # a sender's bug must not stop every other message
            self.app.logger.exception("notification %s: the %s sender broke", outgoing.id,
                                      outgoing.channel)
            return self._failed(outgoing, f"{type(exc).__name__}: {exc}", False)
        return self._record(outgoing.id, "UPDATE notifications SET status = 'sent', "
                            "sent_at = now(), last_error = NULL WHERE id = :id", {})

    def _failed(self, outgoing: Outgoing, error: str, permanent: bool) -> str:
        attempts = self._attempts.get(outgoing.id, 1)
        if permanent or attempts >= self.config["NOTIFY_MAX_ATTEMPTS"]:
            return self._record(outgoing.id, "UPDATE notifications SET status = 'failed', "
                                "last_error = :error WHERE id = :id", {"error": error[:MAX_ERROR]})
        wait = backoff(attempts, self.config["NOTIFY_BACKOFF_SECONDS"],
                       self.config["NOTIFY_BACKOFF_MAX_SECONDS"])
        return self._record(outgoing.id, "UPDATE notifications SET status = 'pending', "
                            "last_error = :error, next_attempt_at = now() + :wait WHERE id = :id",
                            {"error": error[:MAX_ERROR], "wait": wait})

    def _renew_lease(self, outgoing: Outgoing) -> bool:
        """A full lease for the send about to start, if the message is still ours: each claim
        counts an attempt, so `attempts` tells our claim from a later one by another worker."""
        with Session(self.engine) as session, session.begin():
            return session.execute(text("""
                UPDATE notifications SET next_attempt_at = now() + make_interval(secs => :lease)
                WHERE id = :id AND status = 'sending' AND attempts = :attempts RETURNING id"""),
                {"id": outgoing.id, "attempts": self._attempts.get(outgoing.id),
                 "lease": self.config["NOTIFY_LEASE_SECONDS"]}).first() is not None

    def _record(self, notification_id: int, sql: str, params: dict) -> str:
        try:
            with Session(self.engine) as session, session.begin():
                return session.execute(
                    text(sql + " AND status = 'sending' AND attempts = :attempts RETURNING status"),
                    {"id": notification_id, "attempts": self._attempts.get(notification_id),
                     **params}).scalar() or "lost_lease"
        except db.DATABASE_ERRORS as error:
            if db.is_outage(error):  # recorded when the database is back (_catch_up)
                self._unrecorded[notification_id] = (sql, params)
            raise

    def run_once(self, batch: int = 20) -> int:
        """One pass: what an outage left to do, a batch of photos to clean, the overdue scan
        and the photo sweep when they are due, then one batch of messages. Returns messages
        and photos handled."""
        self._catch_up()
        cleaned = self.process_photos()
        self.scan_overdue_if_due()
        self.sweep_photos_if_due()
        self.purge_positions_if_due()
        self.recount_stats_if_due()
        claimed = self.claim(batch)
        self._untried = []
        for number, outgoing in enumerate(claimed):
            self._untried = claimed[number:]
            if self.stop.is_set():
                break
            self.send(outgoing)
        else:
            self._untried = []
        if self._untried:  # asked to stop
            self.release(self._untried)
            self._untried = []
        return len(claimed) + cleaned

    def process_photos(self) -> int:
        """One batch of the photos intake stored as they came (photo_processing.py)."""
        with self.app.app_context():
            return photo_processing.process_pending(self.engine)

    def _catch_up(self) -> None:
        """After an outage: record the outcomes it kept from the database first (so nothing
        delivered is handed back and sent again), then hand back the messages claimed but not
        tried, due at once rather than when their lease runs out."""
        for notification_id, (sql, params) in list(self._unrecorded.items()):
            self._record(notification_id, sql, params)
            del self._unrecorded[notification_id]
        if self._untried:
            self.release(self._untried)
            self._untried = []

    def release(self, unsent: list[Outgoing]) -> None:
        """Hand back what was claimed but not tried (asked to stop, or after an outage), due
        at once; a message another worker has taken over meanwhile is left alone."""
        with Session(self.engine) as session, session.begin():
            session.execute(text("""
                UPDATE notifications SET status = 'pending', attempts = attempts - 1,
                    next_attempt_at = now()
                WHERE id = ANY(:ids) AND status = 'sending'
                  AND (id, attempts) IN (SELECT * FROM unnest(CAST(:ids AS bigint[]),
                                                              CAST(:attempts AS integer[])))"""),
                {"ids": [outgoing.id for outgoing in unsent],
                 "attempts": [self._attempts.get(outgoing.id) for outgoing in unsent]})

    def scan_overdue_if_due(self) -> None:
        moment = datetime.now(UTC)
        now = moment.timestamp()
        if now >= self._next_scan:
            full = now >= self._next_full_scan  # the first scan too
            since = None if full or self._last_scan is None else self._last_scan - OVERDUE_SCAN_OVERLAP
            with self.app.app_context(), Session(self.engine) as session:
                overdue.scan(session, self.app, moment, since)
                reminders.scan(session, self.app, moment)  # appointments tomorrow
                session.commit()
                # the map's overdue counts too: their reads then check one minute of cases
                counts.catch_up(session)
            self._last_scan = moment
            self._next_scan = now + OVERDUE_SCAN_SECONDS
            if full:
                self._next_full_scan = now + OVERDUE_FULL_SCAN_SECONDS

    def sweep_photos_if_due(self) -> None:
        """Photo files a crash left without a row, older than an hour (photo_sweep.py)."""
        minutes = self.config["PHOTO_SWEEP_MINUTES"]
        now = time.monotonic()
        if minutes > 0 and now >= self._next_sweep:
            self._next_sweep = now + minutes * 60
            try:
                with Session(self.engine) as session:
                    stray = photo_sweep.sweep(session, Path(self.config["PHOTO_DIR"]),
                                              photo_sweep.SCHEDULED_MIN_AGE)
            except OSError:  # a folder it may not touch: say so, and go on sending
                self.app.logger.exception("photo sweep of %s failed", self.config["PHOTO_DIR"])
                return
            if stray:
                self.app.logger.warning("photo sweep: removed %d file(s) no photo points at: %s",
                                        len(stray), ", ".join(path.name for path in stray[:10]))

    def purge_positions_if_due(self) -> None:
        """Crews' positions older than their organization keeps them, once an hour
        (field/positions.py)."""
        now = time.monotonic()
        if now >= self._next_purge:
            with Session(self.engine) as session, session.begin():
                deleted = positions.purge(session, datetime.now(UTC))
            self._next_purge = now + POSITION_PURGE_SECONDS
            if deleted:
                self.app.logger.info("deleted %d crew position(s) past their retention", deleted)

    def recount_stats_if_due(self) -> int:
        """The statistics' kept figures out of date, counted again (at most
        STATS_RECOUNT_BATCH, most recently viewed first). Returns how many."""
        now = time.monotonic()
        if now < self._next_recount:
            return 0
        self._next_recount = now + STATS_RECOUNT_SECONDS
        return self.recount_stats(datetime.now(UTC))

    def recount_stats(self, now: datetime) -> int:
        with Session(self.engine) as session:
            stale = stats.kept_out_of_date(session, now, STATS_RECOUNT_BATCH)
            session.rollback()
            recounted = 0
            for f in stale:
                if self.stop.is_set():
                    break
                stats.recount_one(session, f, now)
                session.rollback()  # ends the counting's transaction (its SET LOCAL)
                recounted += 1
        return recounted

    def run(self, batch: int = 20, once: bool = False) -> None:
        """Until stopped (or, `once`, until nothing is due). A database outage is waited out,
        with backoff; with `once` it ends the run instead."""
        while not self.stop.is_set():
            try:
                handled = self.run_once(batch)
            except db.DATABASE_ERRORS as error:
                if once or not db.is_outage(error):
                    raise
                self._wait_for_database(error)
                continue
            self._database_is_back()
            if once and handled < batch:
                return
            if handled == 0:
                self.wait_for_work(self.config["NOTIFY_IDLE_SECONDS"])
        self.stop_listening()

    def wait_for_work(self, seconds: float) -> None:
        """Up to `seconds`, less if a photo is committed meanwhile (its NOTIFY)."""
        try:
            if self._listener is None:
                # straight to PostgreSQL, as the live screens' listener (LIVE_LISTEN_URL): a
                # LISTEN through PgBouncer in transaction mode would hear nothing
                self._listener = db.listening_connection(
                    self.config.get("LIVE_LISTEN_URL") or self.config["DATABASE_URL"],
                    photos.PHOTO_CHANNEL, connect_timeout=5, application_name="mapdash worker")
            for _note in self._listener.notifies(timeout=seconds, stop_after=1):
                pass
        except psycopg.Error:  # no listening connection: poll, and try again next time
            self.stop_listening()
            self.stop.wait(seconds)

    def stop_listening(self) -> None:
        if self._listener is not None:
            self._listener.close()
            self._listener = None

    def _wait_for_database(self, error: Exception) -> None:
        """Say once that the database is gone, then wait longer each time."""
        if self._down_since is None:
            self._down_since = time.monotonic()
            self.app.logger.warning(
                "notify worker: the database is unreachable (%s); trying again with backoff "
                "(at most %d s apart)", str(error).splitlines()[0],
                self.config["NOTIFY_RECONNECT_MAX_SECONDS"])
        self.stop.wait(self._reconnect_wait)
        self._reconnect_wait = min(self._reconnect_wait * 2,
                                   self.config["NOTIFY_RECONNECT_MAX_SECONDS"])

    def _database_is_back(self) -> None:
        if self._down_since is not None:
            self.app.logger.warning("notify worker: the database is back after %d s",
                                    time.monotonic() - self._down_since)
            self._down_since = None
            self._reconnect_wait = self.config["NOTIFY_RECONNECT_SECONDS"]

    def stop_on_signals(self) -> None:
        """SIGTERM/SIGINT: finish the message being sent, then leave."""
        def request_stop(signum, frame):
            self.stop.set()
        signal.signal(signal.SIGTERM, request_stop)
        signal.signal(signal.SIGINT, request_stop)
