"""The slots of a bookable resource, from its opening hours and the closed days: pure
functions, no database, so the calendar's rules are tested on their own.

Every time is Thai time (Asia/Bangkok, no daylight saving): a resource open 08:30-16:30 with
60-minute slots offers 08:30, 09:30 ... 15:30 on its open weekdays, none on a closed day.
"""
import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from mapdash.errors import UserError
from mapdash.i18n import LOCAL_TZ, _l, format_date

# How far ahead a citizen may book.
DAYS_AHEAD = 60
_HHMM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")

Hours = dict[int, tuple[time, time]]  # weekday (0 = Monday) → (opens, closes)


@dataclass(frozen=True)
class Slot:
    starts_at: datetime  # aware, Thai time
    ends_at: datetime


def parse_time(text: str) -> time:
    """'08:30' → time(8, 30); anything else is a ValueError."""
    match = _HHMM.match((text or "").strip())
    if not match:
        raise ValueError(f"not a time of day: {text!r}")
    return time(int(match[1]), int(match[2]))


def parse_hours(stored: Mapping[str, Sequence[str]]) -> Hours:
    """A resource's stored hours ({"0": ["08:30", "16:30"]}) as times per weekday."""
    return {int(day): (parse_time(span[0]), parse_time(span[1]))
            for day, span in stored.items() if span}


def day_slots(day: date, hours: Hours, slot_minutes: int,
              closed: Collection[date] = ()) -> list[Slot]:
    """Every slot of `day`: none on a closed day or a weekday without hours; the last one
    ends by closing time."""
    if day in closed or day.weekday() not in hours:
        return []
    opens, closes = hours[day.weekday()]
    length = timedelta(minutes=slot_minutes)
    start = datetime.combine(day, opens, LOCAL_TZ)
    end = datetime.combine(day, closes, LOCAL_TZ)
    slots = []
    while start + length <= end:
        slots.append(Slot(start, start + length))
        start += length
    return slots


def open_slots(first_day: date, days: int, hours: Hours, slot_minutes: int,
               closed: Collection[date], now: datetime) -> dict[date, list[Slot]]:
    """The slots of `days` days from `first_day` that start after `now`, by day (every day
    listed, an empty list when nothing can be booked that day)."""
    return {day: [slot for slot in day_slots(day, hours, slot_minutes, closed)
                  if slot.starts_at > now]
            for day in (first_day + timedelta(days=n) for n in range(days))}


def today(now: datetime) -> date:
    return now.astimezone(LOCAL_TZ).date()


def parse_slot(text: str) -> datetime:
    """The slot a form sends, '2026-03-05T09:30' in Thai time, as an aware moment."""
    try:
        moment = datetime.fromisoformat((text or "").strip()[:25])
    except ValueError:
        raise UserError("bad_slot", _l("Please choose a free time on the calendar"),
                        field="slot") from None
    return moment.replace(tzinfo=LOCAL_TZ) if moment.tzinfo is None else moment.astimezone(LOCAL_TZ)


def check_slot(starts_at: datetime, hours: Hours, slot_minutes: int,
               closed: Mapping[date, str] | Collection[date], now: datetime) -> Slot:
    """The slot starting at `starts_at` if it can be booked now, else the UserError saying
    why: in the past, too far ahead, on a closed day, or not one of the day's slots (outside
    the opening hours). Whether it is full is the database's to say (bookings.reserve)."""
    local = starts_at.astimezone(LOCAL_TZ)
    if local <= now:
        raise UserError("slot_past", _l("This time has already passed: please choose a later one"),
                        field="slot", status=422)
    if local.date() > today(now) + timedelta(days=DAYS_AHEAD):
        raise UserError("slot_too_far", _l("Bookings open %(days)s days ahead: please choose an "
                                           "earlier day", days=DAYS_AHEAD), field="slot", status=422)
    if local.date() in closed:
        raise UserError("closed_day", _l("The office is closed that day: please choose another day"),
                        field="slot", status=422)
    for slot in day_slots(local.date(), hours, slot_minutes):
        if slot.starts_at == local:
            return slot
    raise UserError("outside_hours", _l("This time is outside the opening hours: please choose "
                                        "a time on the calendar"), field="slot", status=422)


WEEKDAYS = (_l("Mon"), _l("Tue"), _l("Wed"), _l("Thu"), _l("Fri"), _l("Sat"), _l("Sun"))
WEEKDAYS_LONG = (_l("Monday"), _l("Tuesday"), _l("Wednesday"), _l("Thursday"), _l("Friday"),
                 _l("Saturday"), _l("Sunday"))


def day_label(day: date, long: bool = False) -> str:
    """'Thu 5 Mar 2569' in Thai (Buddhist Era), 'Thu 5 Mar 2026' in English."""
    names = WEEKDAYS_LONG if long else WEEKDAYS
    moment = datetime.combine(day, time(12), LOCAL_TZ)
    return f"{names[day.weekday()]} {format_date(moment)}"


def slot_label(starts_at: datetime, ends_at: datetime, long: bool = True) -> str:
    """'Thursday 5 Mar 2569, 09:30-10:30' in Thai time (Buddhist Era in Thai)."""
    start, end = starts_at.astimezone(LOCAL_TZ), ends_at.astimezone(LOCAL_TZ)
    day, opens, closes = day_label(start.date(), long), start.strftime("%H:%M"), end.strftime("%H:%M")
    return str(_l("%(day)s, %(start)s-%(end)s", day=day, start=opens, end=closes))


class SlotText:
    """A slot written in the language a message is rendered in (slot_label), for the
    parameters of a lazy message sent in Thai and English."""

    __slots__ = ("ends_at", "starts_at")

    def __init__(self, starts_at: datetime, ends_at: datetime):
        self.starts_at, self.ends_at = starts_at, ends_at

    def __str__(self) -> str:
        return slot_label(self.starts_at, self.ends_at)
