"""The record of what administrators change in the browser (issue 19): every admin service
that changes something calls `record` in the same transaction, with the values before and
after; the audit page (/admin/changes) lists them, newest first."""
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from mapdash.i18n import _l
from mapdash.models import AdminChange, User

# What a change is about, and how the audit page names it. A new admin page adds its own.
SUBJECTS = {
    "api_key": _l("API key"),
    "department": _l("Department"),
    "sign_in": _l("Sign-in lock"),
    "user": _l("Staff account"),
    "case_type": _l("Case type"),
    "village": _l("Village"),
    "household": _l("Household"),
    "organization": _l("Organization"),
    "response_template": _l("Response template"),
    "announcement": _l("Announcement"),
    "booking_resource": _l("Bookable resource"),
    "closed_day": _l("Closed day"),
}
ACTIONS = {
    "created": _l("created"),
    "changed": _l("changed"),
    "removed": _l("removed"),
    "unlocked": _l("unlocked"),
    "revoked": _l("revoked"),
    "imported": _l("imported"),
    "deactivated": _l("deactivated"),
    "activated": _l("activated again"),
    "password_reset": _l("password reset"),
    "withdrawn": _l("withdrawn"),
    "sent_to_line": _l("sent to LINE"),
}
PAGE_SIZE = 100


def _plain(value: Any) -> Any:
    """A value as JSON can keep it (dates as ISO text, sets as sorted lists)."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, set | frozenset):
        return sorted(_plain(v) for v in value)
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def record(session: Session, actor: User, subject: str, action: str, *, label: str,
           subject_id: int | None = None, before: Mapping | None = None,
           after: Mapping | None = None) -> AdminChange:
    """Record one change by `actor`, in the caller's transaction. Only what differs between
    `before` and `after` is kept, so the page shows what really changed. Flushes."""
    if subject not in SUBJECTS or action not in ACTIONS:
        raise ValueError(f"unknown subject or action: {subject!r}, {action!r}")
    old, new = _plain(dict(before or {})), _plain(dict(after or {}))
    if before is not None and after is not None:
        changed = {key for key in old.keys() | new.keys() if old.get(key) != new.get(key)}
        old = {key: old.get(key) for key in sorted(changed)}
        new = {key: new.get(key) for key in sorted(changed)}
    change = AdminChange(organization_id=actor.organization_id, actor_id=actor.id,
                         actor_label=actor.display_name, subject=subject,
                         subject_id=subject_id, subject_label=label, action=action,
                         before=old if before is not None else None,
                         after=new if after is not None else None)
    session.add(change)
    session.flush()
    return change


def recent(session: Session, organization_id: int, page: int = 1) -> tuple[list[AdminChange], bool]:
    """One page of the organization's changes, newest first, and whether there are more."""
    rows = list(session.scalars(
        select(AdminChange).where(AdminChange.organization_id == organization_id)
        .order_by(AdminChange.created_at.desc(), AdminChange.id.desc())
        .offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1)))
    return rows[:PAGE_SIZE], len(rows) > PAGE_SIZE
