"""What admins see of notifications: messages that failed, are failing or wait too long (with
the last error and a retry), and what is not set up at all."""
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from mapdash.errors import UserError
from mapdash.i18n import LazyText, _l
from mapdash.integrations import line
from mapdash.models import Announcement, Incident, Notification, User

# Pending this long (or still 'sending') is worth a look: normally a message leaves in seconds.
STUCK_AFTER = timedelta(minutes=15)
PAGE_LIMIT = 200
# How the admin page names a message's state, what it was about and how it goes.
STATUS_LABELS = {
    "pending": _l("waiting"),
    "sending": _l("sending"),
    "sent": _l("sent"),
    "failed": _l("failed"),
}
KIND_LABELS = {
    "accepted": _l("Citizen: accepted"),
    "info_requested": _l("Citizen: information requested"),
    "resolved": _l("Citizen: resolved"),
    "rejected": _l("Citizen: not taken up"),
    "forwarded": _l("Citizen: forwarded to another organization"),
    "referred": _l("Citizen: referred to an agency"),
    "new_case": _l("Staff: new case"),
    "not_fixed": _l("Staff: not fixed, says the reporter"),
    "overdue": _l("Staff: overdue"),
    "password_link": _l("Staff: link to choose a password"),
    "plan_decided": _l("Citizen: the plan's decision on a proposal"),
    "announcement": _l("LINE followers: announcement"),
}
CHANNEL_LABELS = {
    "email": _l("E-mail"),
    "line": _l("LINE"),
}


def _of_organization(query: Select, organization_id: int) -> Select:
    """The organization's messages: about its cases, its staff accounts, its announcements."""
    return (query.outerjoin(Incident, Incident.id == Notification.incident_id)
            .outerjoin(User, User.id == Notification.user_id)
            .outerjoin(Announcement, Announcement.id == Notification.announcement_id)
            .where(or_(Incident.organization_id == organization_id,
                       User.organization_id == organization_id,
                       Announcement.organization_id == organization_id)))


def problems(session: Session, organization_id: int, now: datetime | None = None) -> list:
    """The organization's failed messages, those failing (waiting to be tried again) and those
    unsent for too long, newest first."""
    stuck_before = (now or datetime.now(UTC)) - STUCK_AFTER
    return list(session.scalars(
        _of_organization(select(Notification), organization_id)
        .where((Notification.status == "failed")
               | ((Notification.status == "pending") & (Notification.attempts > 0))
               | (Notification.status.in_(("pending", "sending"))
                  & (Notification.created_at < stuck_before)))
        .order_by(Notification.created_at.desc(), Notification.id.desc()).limit(PAGE_LIMIT)))


def not_configured(config: Mapping) -> list[LazyText]:
    """What cannot be sent at all with these settings, said plainly (the worker has the
    app's settings: README, Notifications)."""
    missing = []
    if not (config.get("SMTP_HOST") and config.get("SMTP_FROM")):
        missing.append(_l("E-mail is not set up (SMTP_HOST and SMTP_FROM): no e-mail goes out, "
                          "to citizens who left an address or to departments' alert addresses"))
    if not line.is_configured(config):
        missing.append(_l("LINE is not set up (LINE_CHANNEL_SECRET and LINE_CHANNEL_ACCESS_TOKEN): "
                          "no LINE message goes out, to citizens who reported from LINE or to "
                          "departments' LINE groups"))
    return missing


def counts(session: Session, organization_id: int) -> dict[str, int]:
    rows = session.execute(_of_organization(select(Notification.status, func.count()),
                                            organization_id).group_by(Notification.status))
    return {"pending": 0, "sending": 0, "sent": 0, "failed": 0, **dict(rows.all())}


def retry(session: Session, organization_id: int, notification_id: int) -> Notification:
    """Send a failed or waiting message again at once, with a fresh count of attempts (and the
    same key, so a receiver can still tell a repeat)."""
    notification = session.scalars(
        _of_organization(select(Notification), organization_id)
        .where(Notification.id == notification_id).with_for_update(of=Notification)).first()
    if notification is None:
        raise UserError("not_found", _l("No such notification"), status=404)
    if notification.status not in ("failed", "pending"):
        raise UserError("not_retryable", _l("This notification is sent or being sent"), status=409)
    notification.status, notification.attempts = "pending", 0
    notification.next_attempt_at = func.now()
    session.flush()
    return notification
