"""A per-address limit on report submissions, so one address cannot flood the office.

Counted in PostgreSQL, not in the process: the app runs as several gunicorn workers (and may
run on several hosts), each of which would otherwise keep its own count and forget it on every
restart. Each hit is one upsert on its own short transaction, committed at once: concurrent
requests from one address see each other's hits immediately, and a burst of refused (bad)
submissions counts too. Addresses are stored only as a keyed hash, for the current window,
which starts at the address's first submission (not at a tick of the clock).

Many villagers can share one public address behind a mobile carrier's NAT, so the default
limit is generous for people and still stops a script.
"""
import hashlib
import hmac

from flask import current_app, request
from sqlalchemy import text

from mapdash import db
from mapdash.errors import UserError
from mapdash.i18n import _l

WINDOW_SECONDS = 600
DEFAULT_LIMIT = 10  # submissions per address per window (RATELIMIT_REPORTS)


class RateLimited(UserError):
    def __init__(self, retry_after: int):
        minutes = max(1, round(retry_after / 60))
        super().__init__("rate_limited",
                         _l("Too many reports from this network: wait about %(minutes)s min and "
                            "try again. In an emergency call 1669, 191 or 199.",
                            minutes=minutes), status=429)
        self.retry_after = retry_after


def _bucket(action: str, address: str) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    digest = hmac.new(key, address.encode(), hashlib.sha256).hexdigest()[:32]
    return f"{action}:{digest}"


def hit(action: str = "report") -> None:
    """Count one submission from the client's address; raise RateLimited past the limit."""
    if not current_app.config.get("RATELIMIT_ENABLED", True):
        return
    limit = int(current_app.config.get("RATELIMIT_REPORTS", DEFAULT_LIMIT))
    window = {"bucket": _bucket(action, request.remote_addr or "unknown"),
              "s": WINDOW_SECONDS}
    with db.engine().begin() as conn:
        conn.execute(text("DELETE FROM rate_limit_counters "
                          "WHERE window_start <= now() - make_interval(secs => :s)"), window)
        # A window starts at the address's first submission and lasts WINDOW_SECONDS.
        hits, retry_after = conn.execute(text("""
            INSERT INTO rate_limit_counters AS c (bucket, window_start, hits)
            VALUES (:bucket, now(), 1)
            ON CONFLICT (bucket) DO UPDATE SET hits = c.hits + 1
            RETURNING hits,
                      ceil(extract(epoch FROM window_start + make_interval(secs => :s) - now()))"""),
            window).one()
    if hits > limit:
        raise RateLimited(int(retry_after))
