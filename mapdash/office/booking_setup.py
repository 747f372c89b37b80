"""What administrators set for appointments and bookings (/admin/bookings, issue 13): the
bookable resources (names, slot length, capacity, opening hours per weekday, the case types
that offer each) and the days the office is closed. Every change is recorded (changes.py) in
the same transaction."""
import re
from datetime import date

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from mapdash.errors import UserError
from mapdash.i18n import BE_OFFSET, _l
from mapdash.models import BookingResource, Category, CategoryResource, ClosedDay, User
from mapdash.office import changes
from mapdash.services import slots

MAX_NAME = 100
MAX_HOLIDAY_NAME = 200
MAX_CLOSED_LINES = 100
WEEKDAYS = range(7)


def resources(session: Session, organization_id: int) -> list[BookingResource]:
    return list(session.scalars(select(BookingResource).where(
        BookingResource.organization_id == organization_id).order_by(BookingResource.name_th)))


def appointment_types(session: Session, organization_id: int) -> list[Category]:
    """The organization's appointment-kind case types: the ones that can offer a resource."""
    return list(session.scalars(select(Category).where(
        Category.organization_id == organization_id, Category.kind == "appointment")
        .order_by(Category.sort_order, Category.id)))


def offered_by(session: Session, organization_id: int) -> dict[int, set[int]]:
    """{resource id: ids of the types offering it}."""
    rows = session.execute(select(CategoryResource.resource_id, CategoryResource.category_id)
                           .join(BookingResource, BookingResource.id == CategoryResource.resource_id)
                           .where(BookingResource.organization_id == organization_id))
    offered: dict[int, set[int]] = {}
    for resource_id, category_id in rows:
        offered.setdefault(resource_id, set()).add(category_id)
    return offered


def _name(value: str | None, field: str) -> str:
    name = " ".join((value or "").split())
    if not 1 <= len(name) <= MAX_NAME:
        raise UserError("bad_name", _l("A name must be 1 to %(max)s characters long", max=MAX_NAME),
                        field=field)
    return name


def _number(value: str | None, field: str, low: int, high: int, message) -> int:
    text = (value or "").strip()
    if not text.isdecimal() or not low <= int(text) <= high:
        raise UserError("bad_number", message, field=field)
    return int(text)


def checked_hours(form: dict) -> dict[str, list[str]]:
    """{"0": ["08:30", "16:30"], ...} from the form's open_N/close_N (both empty: closed)."""
    hours = {}
    for day in WEEKDAYS:
        opens, closes = (form.get(f"open_{day}") or "").strip(), (form.get(f"close_{day}") or "").strip()
        if not opens and not closes:
            continue
        try:
            start, end = slots.parse_time(opens), slots.parse_time(closes)
        except ValueError:
            raise UserError("bad_hours", _l("Write opening hours as HH:MM, e.g. 08:30 and 16:30"),
                            field=f"open_{day}") from None
        if end <= start:
            raise UserError("bad_hours", _l("Closing time must be after opening time"),
                            field=f"close_{day}")
        hours[str(day)] = [f"{start:%H:%M}", f"{end:%H:%M}"]
    return hours


def _facts(resource: BookingResource, type_ids: set[int]) -> dict:
    return {"name_th": resource.name_th, "name_en": resource.name_en,
            "slot_minutes": resource.slot_minutes, "capacity": resource.capacity,
            "hours": resource.hours, "active": resource.active, "types": sorted(type_ids)}


def save_resource(session: Session, actor: User, resource_id: int | None, form: dict,
                  type_ids: list[int]) -> BookingResource:
    """Create (resource_id None) or change a resource and the types offering it. Flushes."""
    org_id = actor.organization_id
    values = {
        "name_th": _name(form.get("name_th"), "name_th"),
        "name_en": _name(form.get("name_en"), "name_en"),
        "slot_minutes": _number(form.get("slot_minutes"), "slot_minutes", 10, 1440, _l(
            "A slot lasts 10 to 1,440 minutes")),
        "capacity": _number(form.get("capacity"), "capacity", 1, 100, _l(
            "Bookings per slot: 1 to 100")),
        "hours": checked_hours(form),
        "active": form.get("active") == "on",
    }
    allowed = {category.id for category in appointment_types(session, org_id)}
    if set(type_ids) - allowed:
        raise UserError("bad_type", _l("Choose case types of the kind \"appointment\""), field="types")
    before: dict | None = None
    if resource_id is None:
        resource = BookingResource(organization_id=org_id)
    else:
        found = session.scalars(select(BookingResource).where(
            BookingResource.id == resource_id, BookingResource.organization_id == org_id)
            .with_for_update()).first()
        if found is None:
            raise UserError("not_found", _l("No such resource"), status=404)
        resource = found
        before = _facts(resource, offered_by(session, org_id).get(resource.id, set()))
    if session.scalar(select(BookingResource.id).where(
            BookingResource.organization_id == org_id, BookingResource.name_th == values["name_th"],
            BookingResource.id != (resource_id or 0))):
        raise UserError("name_taken", _l("Another resource has this name"), field="name_th")
    for name, value in values.items():
        setattr(resource, name, value)
    session.add(resource)
    session.flush()
    session.execute(delete(CategoryResource).where(CategoryResource.resource_id == resource.id))
    session.add_all(CategoryResource(category_id=type_id, resource_id=resource.id)
                    for type_id in sorted(set(type_ids)))
    session.flush()
    changes.record(session, actor, "booking_resource", "created" if before is None else "changed",
                   label=resource.name_th, subject_id=resource.id, before=before,
                   after=_facts(resource, set(type_ids)))
    return resource


def closed_days(session: Session, organization_id: int, since: date) -> list[ClosedDay]:
    return list(session.scalars(select(ClosedDay).where(
        ClosedDay.organization_id == organization_id, ClosedDay.day >= since)
        .order_by(ClosedDay.day)))


_LINE = re.compile(r"^\s*(\d{4})-(\d{1,2})-(\d{1,2})\s+(.+?)\s*$")


def parse_closed_days(text: str) -> list[tuple[date, str]]:
    """'2569-04-13 วันสงกรานต์' per line (a year past 2400 is Buddhist Era), as (day, name)."""
    found = []
    lines = [line for line in (text or "").splitlines() if line.strip()]
    if not lines:
        raise UserError("no_days", _l("Write one day a line: the date and its name"), field="days")
    if len(lines) > MAX_CLOSED_LINES:
        raise UserError("too_many_days", _l("At most %(max)s days at once", max=MAX_CLOSED_LINES),
                        field="days")
    for number, line in enumerate(lines, 1):
        match = _LINE.match(line)
        try:
            if not match:
                raise ValueError
            year = int(match[1])
            day = date(year - BE_OFFSET if year > 2400 else year, int(match[2]), int(match[3]))
        except ValueError:
            raise UserError("bad_closed_day", _l(
                "Line %(n)s: write the date as YYYY-MM-DD (Buddhist or Common Era), then the "
                "name, e.g. 2569-04-13 Songkran", n=number), field="days") from None
        name = match[4][:MAX_HOLIDAY_NAME]
        found.append((day, name))
    return found


def add_closed_days(session: Session, actor: User, text: str) -> list[ClosedDay]:
    """Add the days of `text` (parse_closed_days); a day already closed takes the new name.
    Flushes."""
    added = []
    for day, name in parse_closed_days(text):
        row = session.scalars(select(ClosedDay).where(
            ClosedDay.organization_id == actor.organization_id, ClosedDay.day == day)).first()
        before = {"day": day, "name_th": row.name_th} if row else None
        row = row or ClosedDay(organization_id=actor.organization_id, day=day)
        row.name_th = name
        session.add(row)
        session.flush()
        changes.record(session, actor, "closed_day", "created" if before is None else "changed",
                       label=day.isoformat(), subject_id=row.id, before=before,
                       after={"day": day, "name_th": name})
        added.append(row)
    return added


def remove_closed_day(session: Session, actor: User, closed_id: int) -> None:
    row = session.scalars(select(ClosedDay).where(
        ClosedDay.id == closed_id, ClosedDay.organization_id == actor.organization_id)).first()
    if row is None:
        raise UserError("not_found", _l("No such closed day"), status=404)
    changes.record(session, actor, "closed_day", "removed", label=row.day.isoformat(),
                   subject_id=row.id, before={"day": row.day, "name_th": row.name_th}, after=None)
    session.delete(row)
    session.flush()
