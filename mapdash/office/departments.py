"""The organization's departments as administrators set them at /admin/departments (issue
19): their names, where their staff alerts go (an e-mail, a LINE group: notify/outbox.py
sends there) and the officer in charge. Every change is recorded (changes.py, subject
"department") in the same transaction."""
import re
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from mapdash.errors import UserError
from mapdash.i18n import _l
from mapdash.models import Department, User
from mapdash.office import changes
from mapdash.vocabulary import EMAIL

LINE_GROUP = re.compile(r"^C[0-9a-f]{32}$")
MAX_NAME = 100
# What may change, in the order the record shows it.
FIELDS = ("name_th", "name_en", "notify_email", "notify_line_group", "officer_id")


def listing(session: Session, organization_id: int) -> list[Department]:
    return list(session.scalars(select(Department).where(
        Department.organization_id == organization_id).order_by(Department.id)))


def officers(session: Session, organization_id: int) -> list[User]:
    """Who may be put in charge: the organization's active accounts."""
    return list(session.scalars(select(User).where(
        User.organization_id == organization_id, User.active)
        .order_by(User.display_name, User.email)))


def _facts(department: Department) -> dict:
    """What the record of a change shows: the officer by e-mail, not by id."""
    facts = {name: getattr(department, name) for name in FIELDS if name != "officer_id"}
    return {**facts, "officer": department.officer.email if department.officer else None}


def _checked(session: Session, department: Department, values: dict[str, Any]) -> dict[str, Any]:
    """The values to store, or the UserError of the first bad one (its field named)."""
    checked: dict[str, Any] = {}
    for lang in ("th", "en"):
        if f"name_{lang}" in values:
            name = " ".join((values[f"name_{lang}"] or "").split())
            if not name or len(name) > MAX_NAME:
                raise UserError("bad_name", _l("A department's name must be 1 to %(max)s "
                                               "characters long", max=MAX_NAME),
                                field=f"name_{lang}")
            checked[f"name_{lang}"] = name
    if "notify_email" in values:
        email = (values["notify_email"] or "").strip() or None
        if email and (len(email) > 254 or not EMAIL.match(email)):
            raise UserError("bad_email", _l("This e-mail address is not valid"),
                            field="notify_email")
        checked["notify_email"] = email
    if "notify_line_group" in values:
        group = (values["notify_line_group"] or "").strip() or None
        if group and not LINE_GROUP.match(group):
            raise UserError("bad_line_group",
                            _l("Not a LINE group ID: C followed by 32 characters 0-9 a-f"),
                            field="notify_line_group")
        checked["notify_line_group"] = group
    if "officer_id" in values:
        officer_id = values["officer_id"]
        # A new officer is an active account; a deactivated one in charge stays until replaced.
        if officer_id not in (None, department.officer_id) and officer_id not in {
                user.id for user in officers(session, department.organization_id)}:
            raise UserError("bad_officer", _l("Choose the officer in charge from the list"),
                            field="officer_id")
        checked["officer_id"] = officer_id
    return checked


def update(session: Session, actor: User, department_id: int, values: dict[str, Any]) -> Department:
    """Change the fields given in `values` (names, notify_email, notify_line_group,
    officer_id; an empty alert address switches that channel off); the others stay as they
    are. Flushes."""
    department = session.scalars(select(Department).where(
        Department.id == department_id, Department.organization_id == actor.organization_id)
        .with_for_update()).first()
    if department is None:
        raise UserError("not_found", _l("No such department"), status=404)
    checked = _checked(session, department, values)
    before = _facts(department)
    for name, value in checked.items():
        setattr(department, name, value)
    session.flush()
    session.refresh(department, ["officer"])
    changes.record(session, actor, "department", "changed", label=department.code,
                   subject_id=department.id, before=before, after=_facts(department))
    return department
