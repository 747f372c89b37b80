"""The organization's staff accounts as administrators run them at /admin/staff (issue 19):
list, add (the person chooses a password through a one-time link), change role and
department, deactivate and activate, reset a password. Every change is recorded
(changes.py, subject "user") in the same transaction.

The organization always keeps an active administrator: the last one can be neither
deactivated nor given another role. The active administrators' rows are locked while that is
checked (always before the account's own row), so two administrators demoting each other at
once cannot both succeed, nor wait for each other. Nobody
deactivates their own account or changes their own role here (another administrator does).
"""
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from mapdash.errors import UserError
from mapdash.i18n import _l
from mapdash.models import Department, User
from mapdash.office import auth, changes, password_links

NO_SUCH_ACCOUNT = _l("No such account")


@dataclass(frozen=True)
class StaffRow:
    user: User
    link_expires_at: datetime | None  # an unused set-password link, until then


def listing(session: Session, organization_id: int, now: datetime) -> list[StaffRow]:
    """Every account of the organization, the active first, by role and name."""
    users = list(session.scalars(
        select(User).where(User.organization_id == organization_id)
        .order_by(User.active.desc(), User.role, User.display_name, User.email)))
    links = password_links.pending(session, [user.id for user in users], now)
    return [StaffRow(user, links.get(user.id)) for user in users]


def _department(session: Session, organization_id: int, role: str,
                department_id: int | None) -> Department | None:
    """The chosen department, of this organization; an officer must have one."""
    department = None
    if department_id is not None:
        department = session.scalars(select(Department).where(
            Department.id == department_id, Department.organization_id == organization_id)).first()
        if department is None:
            raise UserError("bad_department", _l("Choose a department from the list"),
                            field="department_id")
    if role == "officer" and department is None:
        raise UserError("department_required",
                        _l("A department officer needs a department: choose one"),
                        field="department_id")
    return department


def _account(session: Session, actor: User, user_id: int) -> User:
    """An account of the actor's organization, its row locked for the change."""
    user = session.scalars(select(User).where(
        User.id == user_id, User.organization_id == actor.organization_id)
        .with_for_update()).first()
    if user is None:
        raise UserError("not_found", NO_SUCH_ACCOUNT, status=404)
    return user


def _active_admins(session: Session, organization_id: int) -> list[int]:
    """The organization's active administrators, their rows locked (always first and in the
    order of their ids, so two changes never wait for each other's locks)."""
    return list(session.scalars(select(User.id).where(
        User.organization_id == organization_id, User.role == "admin", User.active)
        .order_by(User.id).with_for_update()))


def _keep_an_admin(user: User, admins: list[int]) -> None:
    """Refuse to take away the organization's last active administrator."""
    if admins == [user.id]:
        raise UserError("last_admin", _l("This is the last active administrator: make another "
                                         "account an administrator first"), status=409)


def _facts(user: User) -> dict:
    """What the record of a change shows of an account."""
    return {"display_name": user.display_name, "email": user.email, "role": user.role,
            "department": user.department.code if user.department else None,
            "active": user.active}


def add(session: Session, actor: User, *, display_name: str, email: str, role: str,
        department_id: int | None, now: datetime) -> tuple[User, password_links.IssuedLink]:
    """A new account of the actor's organization and its set-password link. Flushes."""
    if auth.find_user(session, email):
        raise UserError("email_taken", _l("This e-mail already has an account"), field="email",
                        status=409)
    department = _department(session, actor.organization_id, role, department_id)
    # Nobody knows this password: the person chooses theirs with the link.
    user = auth.create_user(session, organization_id=actor.organization_id, email=email,
                            password=secrets.token_urlsafe(32), role=role,
                            department_code=department.code if department else None,
                            display_name=display_name)
    changes.record(session, actor, "user", "created", label=user.email, subject_id=user.id,
                   after=_facts(user))
    return user, password_links.issue(session, user, actor, "invite", now)


def change(session: Session, actor: User, user_id: int, *, display_name: str, role: str,
           department_id: int | None) -> User:
    """A new name, role or department. Flushes."""
    admins = _active_admins(session, actor.organization_id)
    user = _account(session, actor, user_id)
    before = _facts(user)
    if role != user.role:
        if user.id == actor.id:
            raise UserError("own_role", _l("You cannot change your own role: ask another "
                                           "administrator"), field="role", status=409)
        _keep_an_admin(user, admins)
    department = _department(session, actor.organization_id, role, department_id)
    user.display_name, user.role = display_name, role
    user.department_id = department.id if department else None
    session.flush()
    session.refresh(user, ["department"])
    changes.record(session, actor, "user", "changed", label=user.email, subject_id=user.id,
                   before=before, after=_facts(user))
    return user


def set_active(session: Session, actor: User, user_id: int, active: bool) -> User:
    """Deactivate (every session ends at once, unused links stop working) or activate again.
    Flushes."""
    admins = _active_admins(session, actor.organization_id)
    user = _account(session, actor, user_id)
    if user.active == active:
        return user
    if not active:
        if user.id == actor.id:
            raise UserError("own_account", _l("You cannot deactivate your own account: ask "
                                              "another administrator"), status=409)
        _keep_an_admin(user, admins)
        password_links.forget(session, user.id)
    auth.set_active(session, user, active)
    session.flush()
    changes.record(session, actor, "user", "activated" if active else "deactivated",
                   label=user.email, subject_id=user.id, before={"active": not active},
                   after={"active": active})
    return user


def reset_password(session: Session, actor: User, user_id: int,
                   now: datetime) -> tuple[User, password_links.IssuedLink]:
    """The old password stops working and every session ends; the person chooses a new one
    with the link. Flushes."""
    user = _account(session, actor, user_id)
    if not user.active:
        raise UserError("inactive_account", _l("Activate the account first"), status=409)
    auth.set_password(session, user, secrets.token_urlsafe(32))
    changes.record(session, actor, "user", "password_reset", label=user.email,
                   subject_id=user.id)
    return user, password_links.issue(session, user, actor, "reset", now)


def account(session: Session, actor: User, user_id: int) -> User:
    """An account of the actor's organization, to show."""
    user = session.get(User, user_id)
    if user is None or user.organization_id != actor.organization_id:
        raise UserError("not_found", NO_SUCH_ACCOUNT, status=404)
    return user
