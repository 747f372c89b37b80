"""Sign-in throttling: per e-mail and per client address, growing waits, then a lock.

Each attempt is counted before its password is checked, and given back when it succeeds: so
parallel attempts cannot all slip under the limit while argon2 works, and an attempt refused
for waiting costs no argon2 at all. After SIGNIN_ACCOUNT_FAILURES attempts in a row that did
not succeed, an e-mail must wait 30 s before the next try, then 1, 2, 4, 8 min, then 15 min
after every further failure: the lock. During a wait every attempt is refused (429), the
right password too, and is not counted (waiting it out is the way through). A success
forgets the e-mail's failures; failures stop counting a day after the last one.

A client address is counted the same over every e-mail it tries (SIGNIN_ADDRESS_FAILURES,
higher: an office or a mobile carrier puts many people behind one address; its count is
forgotten after an hour without failures, and a success does not reset it, or an attacker
with one account could reset it between guesses).

E-mails are counted whether or not they have an account, so a 429 cannot tell which do. Both
are stored as keyed hashes, like the report limit (cases/ratelimit.py), in PostgreSQL so every
app worker shares them; each call is its own short transaction, committed at once.
"""
import hashlib
import hmac
import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import Connection, delete, select, text
from sqlalchemy.orm import Session

from mapdash import db
from mapdash.errors import UserError
from mapdash.i18n import _l
from mapdash.models import SignInFailure, User
from mapdash.office import changes

FIRST_WAIT = timedelta(seconds=30)
LONGEST_WAIT = timedelta(minutes=15)  # the lock
ACCOUNT_MEMORY = timedelta(days=1)
ADDRESS_MEMORY = timedelta(hours=1)


class SignInThrottled(UserError):
    def __init__(self, retry_after: int):
        super().__init__("sign_in_throttled", _l(
            "Too many failed sign-ins: try again in about %(minutes)s min. An administrator "
            "can unlock an account sooner.", minutes=max(1, math.ceil(retry_after / 60))),
            status=429, retry_after=retry_after)


@dataclass(frozen=True)
class _Bucket:
    key: str
    user_id: int | None
    free_failures: int
    memory: timedelta


def _buckets(email: str, address: str, user_id: int | None) -> list[_Bucket]:
    """The e-mail's bucket, then the address's: always in this order, so that two attempts
    that lock both rows cannot wait for each other."""
    secret = current_app.config["SECRET_KEY"].encode()

    def keyed(kind: str, value: str) -> str:
        return f"{kind}:{hmac.new(secret, value.encode(), hashlib.sha256).hexdigest()[:32]}"

    return [_Bucket(keyed("email", email.strip().lower()), user_id,
                    current_app.config["SIGNIN_ACCOUNT_FAILURES"], ACCOUNT_MEMORY),
            _Bucket(keyed("address", address), None,
                    current_app.config["SIGNIN_ADDRESS_FAILURES"], ADDRESS_MEMORY)]


def wait_after(failures: int, free_failures: int) -> timedelta:
    """How long the next try waits after `failures` in a row: none below the free number, then
    30 s doubling at each failure, at most the 15-minute lock."""
    if failures < free_failures:
        return timedelta(0)
    return min(FIRST_WAIT * 2 ** min(failures - free_failures, 10), LONGEST_WAIT)


def start_attempt(email: str, address: str, user_id: int | None, now: datetime) -> None:
    """Count one attempt of `email` from `address` (user_id: its account, if any) before its
    password is checked; raise SignInThrottled, counting nothing, while either must wait."""
    buckets = _buckets(email, address, user_id)
    with db.engine().begin() as conn:
        _forget_old(conn, now)
        rows = []
        for bucket in buckets:
            conn.execute(text(
                "INSERT INTO sign_in_failures (bucket, user_id, failures, last_failure_at) "
                "VALUES (:bucket, :user_id, 0, :now) ON CONFLICT (bucket) DO NOTHING"),
                {"bucket": bucket.key, "user_id": bucket.user_id, "now": now})
            rows.append(conn.execute(text(
                "SELECT failures, last_failure_at, locked_until FROM sign_in_failures "
                "WHERE bucket = :bucket FOR UPDATE"), {"bucket": bucket.key}).one())
        waits = [row.locked_until - now for row in rows
                 if row.locked_until is not None and row.locked_until > now]
        if waits:
            raise SignInThrottled(math.ceil(max(waits).total_seconds()))
        for bucket, row in zip(buckets, rows, strict=True):
            fresh = row.last_failure_at <= now - bucket.memory
            failures = 1 if fresh else row.failures + 1
            wait = wait_after(failures, bucket.free_failures)
            conn.execute(text(
                "UPDATE sign_in_failures SET failures = :failures, last_failure_at = :now, "
                "locked_until = :locked_until, user_id = :user_id WHERE bucket = :bucket"),
                {"failures": failures, "now": now, "locked_until": now + wait if wait else None,
                 "user_id": bucket.user_id, "bucket": bucket.key})


def attempt_succeeded(email: str, address: str) -> None:
    """The e-mail's failures are forgotten. The address gets this attempt back, and the wait
    of the failures it still counts."""
    account, client = _buckets(email, address, None)
    with db.engine().begin() as conn:
        conn.execute(text("DELETE FROM sign_in_failures WHERE bucket = :bucket"),
                     {"bucket": account.key})
        row = conn.execute(text("SELECT failures, last_failure_at FROM sign_in_failures "
                                "WHERE bucket = :bucket FOR UPDATE"), {"bucket": client.key}).first()
        if row is not None and row.failures > 0:
            wait = wait_after(row.failures - 1, client.free_failures)
            conn.execute(text("UPDATE sign_in_failures SET failures = :failures, "
                              "locked_until = :locked_until WHERE bucket = :bucket"),
                         {"failures": row.failures - 1, "bucket": client.key,
                          "locked_until": row.last_failure_at + wait if wait else None})


def _forget_old(conn: Connection, now: datetime) -> None:
    """Rows past their memory and their lock go. SKIP LOCKED: an attempt never waits here for
    another one's rows (nor two clean-ups for each other)."""
    conn.execute(text("""
        DELETE FROM sign_in_failures WHERE bucket IN (
            SELECT bucket FROM sign_in_failures
            WHERE last_failure_at <= :forgotten AND (locked_until IS NULL OR locked_until <= :now)
            FOR UPDATE SKIP LOCKED)"""), {"forgotten": now - ACCOUNT_MEMORY, "now": now})


# --- the administrators' page ------------------------------------------------------------------

def locked_accounts(session: Session, organization_id: int, now: datetime) -> list:
    """The organization's accounts that must wait before their next sign-in, longest first:
    (user, failures, locked_until)."""
    return list(session.execute(
        select(User, SignInFailure.failures, SignInFailure.locked_until)
        .join(SignInFailure, SignInFailure.user_id == User.id)
        .where(User.organization_id == organization_id, SignInFailure.locked_until > now)
        .order_by(SignInFailure.locked_until.desc(), User.email)))


def unlock(session: Session, actor: User, user_id: int) -> User:
    """Forget an account's failures and its lock (the right password works again at once);
    the admin's unlock is recorded (changes.py)."""
    user = session.get(User, user_id) if 0 < user_id < 2**31 else None  # users.id is an integer
    if user is None or user.organization_id != actor.organization_id:
        raise UserError("not_found", _l("No such account"), status=404)
    session.execute(delete(SignInFailure).where(SignInFailure.user_id == user_id))
    changes.record(session, actor, "sign_in", "unlocked", label=user.email, subject_id=user.id)
    return user
