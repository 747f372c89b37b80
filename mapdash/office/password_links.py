"""One-time links with which a person chooses their password: a new account's first one, or
one after an administrator's reset (issue 19).

The link carries a random secret signed with SECRET_KEY (itsdangerous: a mangled or made-up
link is refused before any SQL); the database keeps only the secret's SHA-256, so a copy of
the table opens nothing. A link works once, until PASSWORD_LINK_HOURS after it was made; a
new link for the same account, or its deactivation, removes those still unused. Opening the
link changes nothing (mail scanners and LINE's previews open links): choosing the password
uses it up. The e-mail that carries a link holds it in the outbox, as any sent e-mail does: it
opens nothing once used, replaced or expired.
"""
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from itsdangerous import BadData, URLSafeTimedSerializer
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from mapdash import tokens
from mapdash.errors import UserError
from mapdash.i18n import _l
from mapdash.integrations.notify import messages, outbox
from mapdash.models import PasswordLink, User
from mapdash.office import auth

SALT = "mapdash.password-link"
DEAD_LINK = _l("This link no longer works: it was used, replaced by a newer one or has expired. "
               "Ask your administrator for a new one.")


@dataclass(frozen=True)
class IssuedLink:
    """A new link, to show the administrator once; `emailed`: also sent to the person."""
    url: str
    expires_at: datetime
    emailed: bool


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def can_email() -> bool:
    """Mail is set up: the worker can send what the outbox holds."""
    return bool(current_app.config.get("SMTP_HOST") and current_app.config.get("SMTP_FROM"))


def issue(session: Session, user: User, actor: User, purpose: str, now: datetime) -> IssuedLink:
    """A new link for `user` (purpose "invite" or "reset"), replacing any unused one, and its
    e-mail to them when mail is set up (in this transaction's outbox). Flushes."""
    forget(session, user.id)
    secret = tokens.new_token()
    link = PasswordLink(user_id=user.id, token_sha256=tokens.digest(secret), purpose=purpose,
                        created_by=actor.id, created_at=now,
                        expires_at=now + timedelta(hours=current_app.config["PASSWORD_LINK_HOURS"]))
    session.add(link)
    session.flush()
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    url = outbox.link(app, "account.set_password", token=_serializer().dumps(secret))
    emailed = can_email()
    if emailed:
        outbox.add(session, user_id=user.id, event_id=None, channel="email",
                   recipient=user.email.strip().lower(), dedupe=f"password_link:{link.id}",
                   payload=messages.password_link(user, purpose, url, link.expires_at))
    return IssuedLink(url, link.expires_at, emailed)


def forget(session: Session, user_id: int) -> None:
    """The account's unused links stop working (a newer link, deactivation)."""
    session.execute(delete(PasswordLink).where(PasswordLink.user_id == user_id,
                                               PasswordLink.used_at.is_(None)))


def open_link(session: Session, token: str, now: datetime, *, lock: bool = False) -> PasswordLink:
    """The live link of `token`, its account active; else 410 with DEAD_LINK, whatever the
    reason (a stranger learns nothing from the answer)."""
    try:
        secret = _serializer().loads(token, max_age=current_app.config["PASSWORD_LINK_HOURS"] * 3600)
    except BadData:
        secret = None
    link = None
    if isinstance(secret, str):
        query = select(PasswordLink).where(PasswordLink.token_sha256 == tokens.digest(secret),
                                           PasswordLink.used_at.is_(None),
                                           PasswordLink.expires_at > now)
        link = session.scalars(query.with_for_update() if lock else query).first()
    if link is None or not link.user.active:
        raise UserError("dead_password_link", DEAD_LINK, status=410)
    return link


def use(session: Session, token: str, password: str, now: datetime) -> User:
    """Choose the password with the link (checked as auth.set_password checks it), which uses
    the link up and ends the account's sessions. The row is locked: the same link sent twice
    at once sets one password, and the second is told the link no longer works."""
    link = open_link(session, token, now, lock=True)
    auth.set_password(session, link.user, password)
    link.used_at = now
    session.flush()
    return link.user


def pending(session: Session, user_ids: list[int], now: datetime) -> dict[int, datetime]:
    """user id → when its unused link expires, for the accounts that have a live one."""
    rows = session.execute(select(PasswordLink.user_id, func.max(PasswordLink.expires_at))
                           .where(PasswordLink.user_id.in_(user_ids), PasswordLink.used_at.is_(None),
                                  PasswordLink.expires_at > now)
                           .group_by(PasswordLink.user_id))
    return {user_id: expires_at for user_id, expires_at in rows}
