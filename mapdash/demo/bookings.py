"""The demo's appointments (issue 13, item 1): a counter and the hall with opening hours, the
fixed-date Thai public holidays of this year and the next as closed days, and a booking for
every demo appointment case, consistent with its history: a case done was booked for a slot
between its report and its closing, one refused or merged gave its slot back when it was
closed, one still open is booked for a slot to come."""
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from mapdash.models import BookingResource, Category, CategoryResource, ClosedDay, Incident
from mapdash.services import bookings, slots
from mapdash.vocabulary import OPEN_STATUSES

OFFICE_DAYS = {str(day): ["08:30", "16:30"] for day in range(5)}  # Monday to Friday
RESOURCES = (
    # Thai, English, minutes a slot, bookings a slot, hours
    ("เคาน์เตอร์สำนักปลัด", "Chief Administrator's Office counter", 30, 1, OFFICE_DAYS),
    ("หอประชุม อบต.", "The SAO hall", 240, 1,
     {str(day): ["08:30", "16:30"] for day in range(7)}),  # events at weekends too
)
# Thai public holidays on fixed dates (the lunar ones move: the admin enters them each year).
HOLIDAYS = ((1, 1, "วันขึ้นปีใหม่"), (4, 6, "วันจักรี"), (4, 13, "วันสงกรานต์"),
            (4, 14, "วันสงกรานต์"), (4, 15, "วันสงกรานต์"), (5, 1, "วันแรงงานแห่งชาติ"),
            (5, 4, "วันฉัตรมงคล"), (6, 3, "วันเฉลิมพระชนมพรรษาสมเด็จพระราชินี"),
            (7, 28, "วันเฉลิมพระชนมพรรษาพระบาทสมเด็จพระเจ้าอยู่หัว"), (8, 12, "วันแม่แห่งชาติ"),
            (10, 13, "วันนวมินทรมหาราช"), (10, 23, "วันปิยมหาราช"), (12, 5, "วันพ่อแห่งชาติ"),
            (12, 10, "วันรัฐธรรมนูญ"), (12, 31, "วันสิ้นปี"))
# How long after reporting a citizen asks to come, at the earliest.
LEAD = timedelta(days=1)


def set_up(session: Session, organization_id: int, now: datetime) -> list[BookingResource]:
    """The resources, offered by the organization's appointment type, and the closed days."""
    resources = [BookingResource(organization_id=organization_id, name_th=th, name_en=en,
                                 slot_minutes=minutes, capacity=capacity, hours=hours)
                 for th, en, minutes, capacity, hours in RESOURCES]
    session.add_all(resources)
    session.flush()
    for category_id in session.scalars(select(Category.id).where(
            Category.organization_id == organization_id, Category.kind == "appointment")):
        session.add_all(CategoryResource(category_id=category_id, resource_id=resource.id)
                        for resource in resources)
    year = slots.today(now).year
    for when in (year - 1, year, year + 1):  # the demo's 90 days of past cases too
        session.add_all(ClosedDay(organization_id=organization_id, day=date(when, month, day),
                                  name_th=name) for month, day, name in HOLIDAYS)
    session.flush()
    return resources


def _first_free(resource: BookingResource, closed: set[date], taken: set[datetime],
                after: datetime, before: datetime | None = None) -> slots.Slot | None:
    """The first slot of `resource` starting at or after `after` (and ending by `before`)
    that is not taken."""
    hours = slots.parse_hours(resource.hours)
    day = slots.today(after)
    for _ in range(120):
        for slot in slots.day_slots(day, hours, resource.slot_minutes, closed):
            if before is not None and slot.ends_at > before:
                return None
            if slot.starts_at >= after and slot.starts_at not in taken:
                return slot
        day += timedelta(days=1)
    return None


def book_cases(session: Session, resources: list[BookingResource], cases: list[Incident],
               now: datetime) -> int:
    """A booking for each appointment case (the counter; every third one the hall), in the
    order they were reported. Returns how many."""
    closed = {row.day for row in session.scalars(select(ClosedDay).where(
        ClosedDay.organization_id == resources[0].organization_id))}
    taken: dict[int, set[datetime]] = {resource.id: set() for resource in resources}
    booked = 0
    for number, incident in enumerate(sorted(cases, key=lambda case: case.created_at)):
        resource = resources[1] if number % 3 == 2 else resources[0]
        earliest = incident.created_at + LEAD
        slot = None
        if incident.status == "resolved":  # it took place, before the case was closed
            slot = _first_free(resource, closed, taken[resource.id], earliest, incident.closed_at)
        if slot is None and incident.status in OPEN_STATUSES:  # still to come
            slot = _first_free(resource, closed, taken[resource.id], max(earliest, now + LEAD))
        if slot is None:
            slot = _first_free(resource, closed, taken[resource.id], earliest)
        if slot is None:
            continue
        taken[resource.id].add(slot.starts_at)
        bookings.hold(session, incident, resource, slot)
        if incident.status in bookings.RELEASING_STATUSES:
            bookings.release(session, incident.id, incident.closed_at or now)
        booked += 1
    return booked
