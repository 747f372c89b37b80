"""Bookable resources and the slots they hold (sql/033): what a case type offers, which of
a week's slots are free, taking a slot and giving it back.

A slot's place is taken by adding one to its booking_slots row, whose CHECK keeps the count
within the capacity: two citizens sending the last place at once queue on that row, and the
second is refused (409) with nothing stored. A case's booking gives its place back when the
case is cancelled, refused or closed without taking place (workflow.perform calls `release`),
and when staff move it to another slot.
"""
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from mapdash.errors import UserError
from mapdash.i18n import LOCAL_TZ, _l
from mapdash.models import Booking, BookingResource, CategoryResource, ClosedDay, Incident
from mapdash.services import slots as slot_rules

# Closed without the appointment taking place: the slot is free again.
RELEASING_STATUSES = ("rejected", "duplicate", "referred", "cancelled")
SLOT_FULL = _l("Someone has just booked this time: please choose another free time")


@dataclass(frozen=True)
class ShownSlot:
    slot: slot_rules.Slot
    free: int  # places left (0: taken)

    @property
    def value(self) -> str:
        """What the form sends back: the start in Thai time, '2026-03-05T09:30'."""
        return self.slot.starts_at.strftime("%Y-%m-%dT%H:%M")


@dataclass(frozen=True)
class ShownDay:
    day: date
    closed_name: str | None   # the holiday's name, if the admin closed the day
    slots: list[ShownSlot]


def offered_resources(session: Session, category_id: int) -> list[BookingResource]:
    """The active resources a case type offers, by name."""
    return list(session.scalars(select(BookingResource).join(
        CategoryResource, CategoryResource.resource_id == BookingResource.id).where(
        CategoryResource.category_id == category_id, BookingResource.active)
        .order_by(BookingResource.name_th)))


def closed_days(session: Session, organization_id: int, first: date, last: date
                ) -> dict[date, ClosedDay]:
    return {row.day: row for row in session.scalars(select(ClosedDay).where(
        ClosedDay.organization_id == organization_id, ClosedDay.day.between(first, last)))}


def _booked(session: Session, resource_id: int, first: date, last: date) -> dict[datetime, int]:
    start = datetime.combine(first, datetime.min.time(), LOCAL_TZ)
    end = datetime.combine(last + timedelta(days=1), datetime.min.time(), LOCAL_TZ)
    rows = session.execute(text("""
        SELECT starts_at, booked FROM booking_slots
        WHERE resource_id = :resource AND starts_at >= :start AND starts_at < :end"""),
        {"resource": resource_id, "start": start, "end": end})
    return {starts_at: booked for starts_at, booked in rows}


def week(session: Session, resource: BookingResource, first_day: date, days: int,
         now: datetime) -> list[ShownDay]:
    """`days` days of the resource's calendar from `first_day`: each future slot with the
    places left, the closed days named."""
    last = first_day + timedelta(days=days - 1)
    closed = closed_days(session, resource.organization_id, first_day, last)
    booked = _booked(session, resource.id, first_day, last)
    by_day = slot_rules.open_slots(first_day, days, slot_rules.parse_hours(resource.hours),
                                   resource.slot_minutes, closed, now)
    return [ShownDay(day, closed[day].name_th if day in closed else None,
                     [ShownSlot(slot, max(resource.capacity - booked.get(slot.starts_at, 0), 0))
                      for slot in day_slots])
            for day, day_slots in by_day.items()]


def checked_slot(session: Session, resource: BookingResource, starts_at: datetime,
                 now: datetime) -> slot_rules.Slot:
    """The slot if it can be booked now (slots.check_slot), the resource's closed days read."""
    day = starts_at.astimezone(LOCAL_TZ).date()
    return slot_rules.check_slot(starts_at, slot_rules.parse_hours(resource.hours),
                                 resource.slot_minutes,
                                 closed_days(session, resource.organization_id, day, day), now)


def reserve(session: Session, resource: BookingResource, slot: slot_rules.Slot) -> None:
    """Take one place of the slot, or refuse with 409 when it is full. Locks the slot's row
    until the transaction ends: a concurrent booking of it waits, then counts this one."""
    try:
        with session.begin_nested():
            session.execute(text("""
                INSERT INTO booking_slots (resource_id, starts_at, capacity, booked)
                VALUES (:resource, :starts_at, :capacity, 1)
                ON CONFLICT (resource_id, starts_at) DO UPDATE
                SET booked = booking_slots.booked + 1, capacity = EXCLUDED.capacity"""),
                {"resource": resource.id, "starts_at": slot.starts_at,
                 "capacity": resource.capacity})
    except IntegrityError as exc:
        if getattr(getattr(exc.orig, "diag", None), "constraint_name", None) \
                != "booking_slots_within_capacity":
            raise
        raise UserError("slot_full", SLOT_FULL, field="slot", status=409) from None


def _give_back(session: Session, booking: Booking) -> None:
    session.execute(text("""
        UPDATE booking_slots SET booked = booked - 1
        WHERE resource_id = :resource AND starts_at = :starts_at AND booked > 0"""),
        {"resource": booking.resource_id, "starts_at": booking.starts_at})


def hold(session: Session, incident: Incident, resource: BookingResource,
         slot: slot_rules.Slot) -> Booking:
    """The case's booking of `slot` (its place taken). Flushes."""
    reserve(session, resource, slot)
    booking = Booking(incident_id=incident.id, resource_id=resource.id,
                      starts_at=slot.starts_at, ends_at=slot.ends_at)
    session.add(booking)
    session.flush()
    return booking


def move(session: Session, booking: Booking, slot: slot_rules.Slot) -> None:
    """The booking to another slot of its resource: the new place taken first (refused when
    full, nothing changed), then the old one given back. Flushes."""
    if booking.released_at is not None:
        raise UserError("booking_released", _l("This appointment was cancelled: it cannot be moved"),
                        status=409)
    if slot.starts_at == booking.starts_at:
        raise UserError("same_slot", _l("The appointment is already at this time"), field="slot",
                        status=409)
    reserve(session, booking.resource, slot)
    _give_back(session, booking)
    booking.starts_at, booking.ends_at = slot.starts_at, slot.ends_at
    session.flush()


def release(session: Session, incident_id: int, now: datetime) -> None:
    """Give the case's place back, if it holds one (a case that is not a booking: nothing)."""
    booking = session.scalars(select(Booking).where(
        Booking.incident_id == incident_id, Booking.released_at.is_(None))
        .with_for_update()).first()
    if booking is None:
        return
    _give_back(session, booking)
    booking.released_at = now
    session.flush()


def of_case(session: Session, incident_id: int) -> Booking | None:
    return session.scalars(select(Booking).where(Booking.incident_id == incident_id)).first()


def day_list(session: Session, organization_id: int, day: date,
             department_id: int | None = None) -> list[tuple[BookingResource, list[Booking]]]:
    """The day's bookings that hold their place, per resource of the organization (every
    active resource listed, with none if nothing is booked); `department_id`: an officer's
    department's cases only."""
    start = datetime.combine(day, datetime.min.time(), LOCAL_TZ)
    query = (select(Booking).join(Incident, Incident.id == Booking.incident_id)
             .where(Booking.released_at.is_(None), Booking.starts_at >= start,
                    Booking.starts_at < start + timedelta(days=1),
                    Incident.organization_id == organization_id)
             .order_by(Booking.starts_at, Booking.id))
    if department_id is not None:
        query = query.where(Incident.department_id == department_id)
    bookings = list(session.scalars(query))
    resources = list(session.scalars(select(BookingResource).where(
        BookingResource.organization_id == organization_id).order_by(BookingResource.name_th)))
    return [(resource, [b for b in bookings if b.resource_id == resource.id])
            for resource in resources
            if resource.active or any(b.resource_id == resource.id for b in bookings)]
