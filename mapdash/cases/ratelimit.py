"""Limits on submissions, so one address or one app cannot flood the office.

Counted in PostgreSQL, not in the process: the app runs as several gunicorn workers (and may
run on several hosts), each of which would otherwise keep its own count and forget it on every
restart. A window starts at a bucket's first hit (not at a tick of the clock). Addresses are
stored only as a keyed hash, for the current window.

Citizens' reports and +1s, per client address and 10 minutes, count twice over:
- accepted ones against RATELIMIT_REPORTS, counted in the request's own transaction, so a
  report that is not stored (refused, rolled back) never counts: a citizen correcting
  mistakes is not locked out;
- refused attempts against RATELIMIT_REFUSED, higher, each committed at once on its own short
  transaction (they still cost CPU: photos decoded, the form checked).
An address past either limit is refused before any work (check_reports). Many villagers can
share one public address behind a mobile carrier's NAT, so the defaults are generous for
people and still stop a script.

Open311 apps: every POST of one API key counts against OPEN311_RATELIMIT_PER_MINUTE.
"""
import hashlib
import hmac
import time

from flask import current_app, request
from sqlalchemy import Connection, text
from sqlalchemy.orm import Session

from mapdash import db
from mapdash.errors import UserError
from mapdash.i18n import LazyText, _l

WINDOW_SECONDS = 600          # citizens' reports
API_KEY_WINDOW_SECONDS = 60   # Open311 requests per key
PURGE_EVERY_SECONDS = 10
_purged_at: float | None = None  # this process's last purge (time.monotonic)

# One hit on a bucket; a window that has run out starts again at this hit.
_UPSERT = """
    INSERT INTO rate_limit_counters AS c (bucket, window_start, hits)
    {values}
    ON CONFLICT (bucket) DO UPDATE SET
        window_start = CASE WHEN c.window_start <= now() - make_interval(secs => :s)
                            THEN now() ELSE c.window_start END,
        hits = CASE WHEN c.window_start <= now() - make_interval(secs => :s)
                    THEN 1 ELSE c.hits + 1 END
    RETURNING hits,
              ceil(extract(epoch FROM window_start + make_interval(secs => :s) - now()))"""
_HIT = text(_UPSERT.format(values="VALUES (:bucket, now(), 1)"))
# The same in a transaction of its own, which commits without waiting for the WAL to reach
# the disk: the row stays locked only while the hit is written, not for a disk flush, so one
# app's many requests (one key, one row) do not queue on it. A crash may forget the last
# hits of a counter, which only a limit notices.
_HIT_ALONE = text(_UPSERT.format(values="""
    SELECT :bucket, now(), 1
    FROM (SELECT set_config('synchronous_commit', 'off', true)) AS commit_without_flush"""))


class RateLimited(UserError):
    def __init__(self, retry_after: int, message: LazyText | None = None):
        retry_after = max(1, retry_after)
        minutes = max(1, round(retry_after / 60))
        super().__init__("rate_limited", message or _l(
            "Too many reports from this network: wait about %(minutes)s min and try again. "
            "In an emergency call 1669, 191 or 199.", minutes=minutes),
            status=429, retry_after=retry_after)


def _enabled() -> bool:
    return bool(current_app.config.get("RATELIMIT_ENABLED", True))


def address_bucket(kind: str) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    address = request.remote_addr or "unknown"
    return f"{kind}:{hmac.new(key, address.encode(), hashlib.sha256).hexdigest()[:32]}"


def _alone() -> Connection:
    """A connection of the side pool whose every statement is a transaction of its own,
    committed by the server as the statement ends: a counter's row is locked for that
    statement only, never while this thread waits for a CPU to send COMMIT (with one app's
    key shared by all its requests, on a busy machine, they queued on it)."""
    return db.side_engine().connect().execution_options(isolation_level="AUTOCOMMIT")


def _hit(conn: Connection | Session, bucket: str, seconds: int) -> tuple[int, int]:
    """One hit in the caller's transaction (Session), or in `conn`'s own (Connection)."""
    statement = _HIT if isinstance(conn, Session) else _HIT_ALONE
    hits, retry_after = conn.execute(statement, {"bucket": bucket, "s": seconds}).one()
    return hits, int(retry_after)


def _purge(conn: Connection) -> None:
    """Drop counters whose window ran out (the longest window), skipping rows a running
    request holds: the table stays small without anyone waiting for it. At most once per
    PURGE_EVERY_SECONDS per process: a report is one statement shorter, and the table holds
    at most that much longer what it keeps anyway for WINDOW_SECONDS."""
    global _purged_at
    now = time.monotonic()
    if _purged_at is not None and now - _purged_at < PURGE_EVERY_SECONDS:
        return
    _purged_at = now
    conn.execute(text("""
        DELETE FROM rate_limit_counters WHERE bucket IN (
            SELECT bucket FROM rate_limit_counters
            WHERE window_start <= now() - make_interval(secs => :s)
            FOR UPDATE SKIP LOCKED)"""), {"s": WINDOW_SECONDS})


def _limits() -> dict[str, int]:
    config = current_app.config
    return {address_bucket("report"): int(config["RATELIMIT_REPORTS"]),
            address_bucket("report-refused"): int(config["RATELIMIT_REFUSED"])}


def check_reports() -> None:
    """Before a report or +1 is looked at: RateLimited if the client's address has used up
    its accepted reports or its refused attempts. Counts nothing."""
    if not _enabled():
        return
    limits = _limits()
    with _alone() as conn:
        _purge(conn)
        rows = conn.execute(text("""
            SELECT bucket, hits,
                   ceil(extract(epoch FROM window_start + make_interval(secs => :s) - now()))
            FROM rate_limit_counters
            WHERE bucket = ANY(:buckets) AND window_start > now() - make_interval(secs => :s)"""),
            {"buckets": list(limits), "s": WINDOW_SECONDS}).all()
    full = [int(retry_after) for bucket, hits, retry_after in rows if hits >= limits[bucket]]
    if full:
        raise RateLimited(max(full))


def count_accepted(session: Session) -> None:
    """One accepted report or +1, in the request's transaction (so it counts only if the
    report is stored). RateLimited past the limit: concurrent reports from one address wait
    for each other here, and the one over the limit rolls back."""
    if not _enabled():
        return
    hits, retry_after = _hit(session, address_bucket("report"), WINDOW_SECONDS)
    if hits > int(current_app.config["RATELIMIT_REPORTS"]):
        raise RateLimited(retry_after)


def count_refused() -> None:
    """One refused report or +1, committed at once, whatever the request does next."""
    if not _enabled():
        return
    with _alone() as conn:
        _hit(conn, address_bucket("report-refused"), WINDOW_SECONDS)


def hit_api_key(api_key_id: int) -> None:
    """One Open311 POST of this key, committed at once; RateLimited past the limit."""
    if not _enabled():
        return
    limit = int(current_app.config["OPEN311_RATELIMIT_PER_MINUTE"])
    with _alone() as conn:
        hits, retry_after = _hit(conn, f"open311-key:{api_key_id}", API_KEY_WINDOW_SECONDS)
    if hits > limit:
        raise RateLimited(retry_after, _l(
            "Too many requests with this api_key: at most %(limit)s a minute. Try again in "
            "%(seconds)s s.", limit=limit, seconds=max(1, retry_after)))
