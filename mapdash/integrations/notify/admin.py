"""What admins see and change of notifications: messages that failed, are failing or wait too
long (with the last error and a retry), what is not set up at all, and where each department's
staff alerts go."""
import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from mapdash.errors import UserError
from mapdash.i18n import LazyText, _l
from mapdash.integrations import line
from mapdash.models import Department, Incident, Notification, User
from mapdash.office import changes
from mapdash.vocabulary import EMAIL

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
    "overdue": _l("Staff: overdue"),
}
CHANNEL_LABELS = {
    "email": _l("E-mail"),
    "line": _l("LINE"),
}
_LINE_GROUP = re.compile(r"^C[0-9a-f]{32}$")


def problems(session: Session, organization_id: int, now: datetime | None = None) -> list:
    """The organization's failed messages, those failing (waiting to be tried again) and those
    unsent for too long, newest first."""
    stuck_before = (now or datetime.now(UTC)) - STUCK_AFTER
    return list(session.scalars(
        select(Notification).join(Incident, Incident.id == Notification.incident_id)
        .where(Incident.organization_id == organization_id,
               (Notification.status == "failed")
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
    rows = session.execute(
        select(Notification.status, func.count()).join(Incident, Incident.id == Notification.incident_id)
        .where(Incident.organization_id == organization_id).group_by(Notification.status))
    return {"pending": 0, "sending": 0, "sent": 0, "failed": 0, **dict(rows.all())}


def retry(session: Session, organization_id: int, notification_id: int) -> Notification:
    """Send a failed or waiting message again at once, with a fresh count of attempts (and the
    same key, so a receiver can still tell a repeat)."""
    notification = session.scalars(
        select(Notification).join(Incident, Incident.id == Notification.incident_id)
        .where(Notification.id == notification_id, Incident.organization_id == organization_id)
        .with_for_update(of=Notification)).first()
    if notification is None:
        raise UserError("not_found", _l("No such notification"), status=404)
    if notification.status not in ("failed", "pending"):
        raise UserError("not_retryable", _l("This notification is sent or being sent"), status=409)
    notification.status, notification.attempts = "pending", 0
    notification.next_attempt_at = func.now()
    session.flush()
    return notification


def departments(session: Session, organization_id: int) -> list[Department]:
    return list(session.scalars(select(Department).where(
        Department.organization_id == organization_id).order_by(Department.id)))


def set_department_alerts(session: Session, actor: User, department_id: int,
                          email: str | None, line_group: str | None) -> Department:
    """Where a department's new-case and overdue alerts go; empty fields switch a channel off.
    The change is recorded (changes.py)."""
    department = session.scalars(select(Department).where(
        Department.id == department_id,
        Department.organization_id == actor.organization_id)).first()
    if department is None:
        raise UserError("not_found", _l("No such department"), status=404)
    email, line_group = (email or "").strip() or None, (line_group or "").strip() or None
    if email and (len(email) > 254 or not EMAIL.match(email)):
        raise UserError("bad_email", _l("This e-mail address is not valid"),
                        field="notify_email")
    if line_group and not _LINE_GROUP.match(line_group):
        raise UserError("bad_line_group",
                        _l("Not a LINE group ID: C followed by 32 characters 0-9 a-f"),
                        field="notify_line_group")
    before = {"notify_email": department.notify_email,
              "notify_line_group": department.notify_line_group}
    session.execute(update(Department).where(Department.id == department.id).values(
        notify_email=email, notify_line_group=line_group))
    session.refresh(department)
    changes.record(session, actor, "department", "changed", label=department.code,
                   subject_id=department.id, before=before,
                   after={"notify_email": email, "notify_line_group": line_group})
    return department
