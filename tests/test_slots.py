"""The calendar's rules as pure functions (services/slots.py): slots from the opening hours,
none on closed days or weekdays without hours, none in the past, and each bad choice refused
with the reason."""
from datetime import date, datetime, time, timedelta

import pytest

from mapdash.errors import UserError
from mapdash.i18n import LOCAL_TZ, language
from mapdash.services import slots

# Monday to Friday 08:30-16:30 and Saturday morning, as a resource stores them.
HOURS = slots.parse_hours({**{str(d): ["08:30", "16:30"] for d in range(5)}, "5": ["09:00", "12:00"]})
MONDAY = date(2026, 3, 2)
NOW = datetime(2026, 3, 2, 10, 5, tzinfo=LOCAL_TZ)  # Monday morning, Thai time


def at(day: date, hh: int, mm: int = 0) -> datetime:
    return datetime.combine(day, time(hh, mm), LOCAL_TZ)


def test_a_day_is_cut_into_slots_that_end_by_closing_time():
    day = slots.day_slots(MONDAY, HOURS, 60)
    assert [s.starts_at for s in day] == [at(MONDAY, 8, 30) + timedelta(hours=n) for n in range(8)]
    assert day[-1].ends_at == at(MONDAY, 16, 30)
    # 90 minutes: 08:30, 10:00, 11:30, 13:00, 14:30; a sixth would end at 17:30.
    assert [f"{s.starts_at:%H:%M}" for s in slots.day_slots(MONDAY, HOURS, 90)] == [
        "08:30", "10:00", "11:30", "13:00", "14:30"]
    assert len(slots.day_slots(MONDAY + timedelta(days=5), HOURS, 60)) == 3  # Saturday 09-12


def test_no_slots_on_a_closed_day_or_a_day_without_hours():
    assert slots.day_slots(MONDAY, HOURS, 30, closed={MONDAY}) == []
    assert slots.day_slots(MONDAY + timedelta(days=6), HOURS, 30) == []  # Sunday


def test_open_slots_lists_every_day_and_only_slots_still_to_come():
    week = slots.open_slots(MONDAY, 7, HOURS, 60, {MONDAY + timedelta(days=2)}, NOW)
    assert list(week) == [MONDAY + timedelta(days=n) for n in range(7)]
    # Monday: 10:05 now, so 08:30 and 09:30 are gone, 10:30 is the first.
    assert week[MONDAY][0].starts_at == at(MONDAY, 10, 30) and len(week[MONDAY]) == 6
    assert week[MONDAY + timedelta(days=2)] == []  # the holiday
    assert week[MONDAY + timedelta(days=6)] == []  # Sunday
    assert len(week[MONDAY + timedelta(days=1)]) == 8


def test_a_slot_is_refused_in_the_past_too_far_on_a_closed_day_or_outside_hours():
    tuesday = MONDAY + timedelta(days=1)
    assert slots.check_slot(at(tuesday, 9, 30), HOURS, 60, set(), NOW).ends_at == at(tuesday, 10, 30)
    cases = {
        "slot_past": at(MONDAY, 9, 30),
        "slot_too_far": at(MONDAY + timedelta(days=slots.DAYS_AHEAD + 1), 9, 30),
        "closed_day": at(tuesday, 9, 30),
        "outside_hours": at(MONDAY + timedelta(days=3), 17, 0),
    }
    for code, moment in cases.items():
        with pytest.raises(UserError) as refused:
            slots.check_slot(moment, HOURS, 60, {tuesday} if code == "closed_day" else set(), NOW)
        assert (refused.value.code, refused.value.status, refused.value.field) == (code, 422, "slot")
        assert refused.value.message_th and refused.value.message_en != refused.value.message_th
    with pytest.raises(UserError) as refused:  # between two slots: not one of the day's
        slots.check_slot(at(tuesday, 9, 0) + timedelta(days=1), HOURS, 60, set(), NOW)
    assert refused.value.code == "outside_hours"


def test_a_slot_from_the_form_is_thai_time_and_shown_in_the_buddhist_era():
    moment = slots.parse_slot("2026-03-05T09:30")
    assert moment == at(date(2026, 3, 5), 9, 30) and moment.utcoffset() == timedelta(hours=7)
    with pytest.raises(UserError) as refused:
        slots.parse_slot("tomorrow")
    assert refused.value.code == "bad_slot"
    with language("th"):
        assert slots.slot_label(moment, moment + timedelta(hours=1)) == \
            "วันพฤหัสบดี 5 มี.ค. 2569 เวลา 09:30-10:30 น."
    with language("en"):
        assert slots.slot_label(moment, moment + timedelta(hours=1)) == "Thursday 5 Mar 2026, 09:30-10:30"


def test_bad_opening_hours_are_not_times():
    with pytest.raises(ValueError):
        slots.parse_time("8.30")
    with pytest.raises(ValueError):
        slots.parse_time("24:00")
