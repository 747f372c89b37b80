"""Case types administered in the browser (/admin/types): the list, adding, changing; every
change recorded (office/changes.py, subject "case_type").

A type's time limits apply to the cases reported after the change: a case keeps the set it
was reported with (cases/time_limits.py), and the edit page says how many open cases still
run on earlier limits. The code names the type in links, QR codes and Open311
(service_code), so it is chosen once, when the type is added.
"""
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload

from mapdash.cases.time_limits import complete
from mapdash.cases.workflow import CLOCK_STEPS, step_limit
from mapdash.errors import UserError
from mapdash.i18n import _l
from mapdash.models import Category, Department, Incident, TimeLimits, User
from mapdash.office import changes
from mapdash.office.case_type_form import CaseTypeValues

# What the audit record keeps of a type, besides the time limits and questions.
RECORDED = ("code", "kind", "name_th", "name_en", "icon", "color", "sensitive",
            "location_required", "emergency", "active", "sort_order", "contact_name", "contact_phone")


def icons(static_folder: str | Path) -> list[str]:
    """The icons a type may have: static/icons/*.svg by name."""
    return sorted(path.stem for path in Path(static_folder, "icons").glob("*.svg"))


def list_types(session: Session, organization_id: int) -> list[Category]:
    return list(session.scalars(
        select(Category).options(joinedload(Category.department))
        .where(Category.organization_id == organization_id)
        .order_by(Category.sort_order, Category.id)))


def departments(session: Session, organization_id: int) -> list[Department]:
    return list(session.scalars(select(Department).where(
        Department.organization_id == organization_id).order_by(Department.id)))


def find_type(session: Session, organization_id: int, category_id: int) -> Category:
    category = session.get(Category, category_id)
    if category is None or category.organization_id != organization_id:
        raise UserError("unknown_type", _l("No such case type"), status=404)
    return category


def open_cases_on_earlier_limits(session: Session, category: Category) -> int:
    """Open cases of the type that keep limits other than the type's present ones (an
    index-only count, sql/017)."""
    present = session.scalar(select(TimeLimits.id).where(
        TimeLimits.minutes == complete(category.sla_minutes or {})))
    return session.scalar(
        select(func.count()).select_from(Incident)
        .where(Incident.organization_id == category.organization_id,
               Incident.category_id == category.id, Incident.is_open,
               Incident.time_limits_id.is_distinct_from(present))) or 0


def clock_minutes(category: Category) -> dict[str, int]:
    """{clock step: minutes} of the type's present limits (workflow's intake, prepare, work)."""
    limits = complete(category.sla_minutes or {})
    return {step: int(step_limit(limits, step).total_seconds() // 60) for step in CLOCK_STEPS}


def _snapshot(category: Category) -> dict:
    return {**{name: getattr(category, name) for name in RECORDED},
            "department": category.department.code if category.department else None,
            "time_limits": complete(category.sla_minutes or {}),
            "questions": category.questions or [], "registration": category.registration}


def save(session: Session, actor: User, values: CaseTypeValues, available_icons: list[str],
         category_id: int | None = None) -> Category:
    """Add a type (category_id None) or change one of the actor's organization, and record
    it. Flushes; the request commits."""
    org_id, typed = actor.organization_id, values.fields
    department = session.get(Department, typed.department_id)
    if department is None or department.organization_id != org_id:
        raise UserError("bad_department", _l("Choose the department that handles this type"),
                        field="department_id")
    if typed.icon not in available_icons:
        raise UserError("bad_icon", _l("Choose an icon"), field="icon")
    if category_id is None:
        taken = session.scalar(select(Category.id).where(
            Category.organization_id == org_id, Category.code == typed.code))
        if taken is not None:
            raise UserError("code_taken", _l("Another case type already has the code "
                                             "%(code)s", code=typed.code), field="code")
        # the kind, like the code, is chosen once: its cases carry that kind's records
        category, before = Category(organization_id=org_id, code=typed.code,
                                    kind=typed.kind), None
        session.add(category)
    else:
        category = find_type(session, org_id, category_id)
        before = _snapshot(category)
    category.name_th, category.name_en = typed.name_th, typed.name_en or typed.name_th
    category.icon, category.color = typed.icon, typed.color.lower()
    category.department = department
    # An application carries an ID number and a bank account: never in the public list.
    category.sensitive = typed.sensitive or category.kind == "registration"
    category.emergency = typed.emergency
    category.location_required, category.active = typed.location_required, typed.active
    category.sort_order = typed.sort_order
    category.contact_name, category.contact_phone = typed.contact_name, typed.contact_phone
    category.sla_minutes, category.questions = values.sla_minutes, values.questions
    category.registration = values.registration if category.kind == "registration" else None
    session.flush()
    changes.record(session, actor, "case_type", "created" if before is None else "changed",
                   label=category.code, subject_id=category.id, before=before,
                   after=_snapshot(category))
    return category
