"""Staff sessions kept in PostgreSQL, so that they really end.

A signed cookie alone lives as long as its signature: a copy made before signing out would
still open every staff page. So signing in stores a row and puts a random token in the session
cookie; each request finds its row by the token's SHA-256 (a copy of the table opens nothing).
Signing out, a new password and deactivation delete every row of the account, which ends all
of its cookies at once, on every device. A session also ends SESSION_IDLE_HOURS after its last
request and SESSION_MAX_HOURS after signing in, whatever happens.

Times come from the caller (`now`): the same clock writes and checks them, and tests fix it.
"""
from datetime import datetime, timedelta

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from mapdash import tokens
from mapdash.models import StaffSession, User

# The key of the session cookie that holds the token.
COOKIE_KEY = "staff_session"
# The last request is written down at most this often: a page polling every 3 s does not
# write every 3 s (idle expiry is that much less exact).
SEEN_EVERY = timedelta(minutes=1)


def start(session: Session, user_id: int, now: datetime, *, idle: timedelta,
          longest: timedelta) -> str:
    """A new session for the account; its token goes in the cookie. Expired rows go first."""
    session.execute(delete(StaffSession).where(or_(StaffSession.last_seen_at <= now - idle,
                                                   StaffSession.created_at <= now - longest)))
    token = tokens.new_token()
    session.add(StaffSession(token_sha256=tokens.digest(token), user_id=user_id, created_at=now,
                             last_seen_at=now))
    session.flush()
    return token


def signed_in_user(session: Session, token: str, now: datetime, *, idle: timedelta,
                   longest: timedelta) -> User | None:
    """The account of a live session, or None (ended, idle too long, too old, unknown)."""
    found = session.execute(select(StaffSession, User).join(StaffSession.user)
                            .where(StaffSession.token_sha256 == tokens.digest(token))).first()
    if found is None:
        return None
    staff_session, user = found
    if now - staff_session.last_seen_at >= idle or now - staff_session.created_at >= longest:
        return None
    if now - staff_session.last_seen_at >= SEEN_EVERY:
        # Its own short transaction: committed even if the request fails, and never holding
        # the row while the request runs (a page loads several things at once).
        with Session(session.get_bind()) as own, own.begin():
            own.execute(update(StaffSession).where(StaffSession.id == staff_session.id,
                                                   StaffSession.last_seen_at < now)
                        .values(last_seen_at=now))
    return user


def end(session: Session, token: str) -> None:
    """End the session of this token (signing out: the account's other devices stay in)."""
    session.execute(delete(StaffSession).where(StaffSession.token_sha256 == tokens.digest(token)))


def end_all(session: Session, user_id: int) -> None:
    """End every session of the account, on every device."""
    session.execute(delete(StaffSession).where(StaffSession.user_id == user_id))
