"""Appointments and bookings (issue 13, item 1) against a real PostGIS: the last place of a
slot taken by exactly one of two concurrent requests, bad choices refused with what was typed
kept and nothing stored, cancel with the citizen's codes, staff moving and refusing, the day
list, and the admin's resources and closed days recorded."""
import re
import threading
from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import func, select, text

from mapdash.cases import replies, workflow
from mapdash.db import new_session
from mapdash.errors import UserError
from mapdash.i18n import LOCAL_TZ
from mapdash.models import (
    AdminChange,
    Booking,
    BookingResource,
    BookingSlot,
    Category,
    CategoryResource,
    ClosedDay,
    Incident,
    IncidentEvent,
)
from mapdash.services import appointments, bookings, slots
from tests.crew_support import PASSWORD, make_user
from tests.factories import make_org
from tests.support import csrf_token, login, wait_until

EVERY_DAY = {str(day): ["08:00", "17:00"] for day in range(7)}
# A fixed instant for the services: Monday 2 March 2026, 10:00 Thai time.
NOW = datetime(2026, 3, 2, 10, 0, tzinfo=LOCAL_TZ)


def at(day: date, hh: int, mm: int = 0) -> datetime:
    return datetime.combine(day, time(hh, mm), LOCAL_TZ)


def add_resource(session, org, name="หอประชุม", capacity=1, minutes=60, hours=None):
    resource = BookingResource(organization_id=org.id, name_th=name, name_en=f"{name} (en)",
                               slot_minutes=minutes, capacity=capacity, hours=hours or EVERY_DAY)
    session.add(resource)
    session.flush()
    appointment = session.scalars(select(Category).where(
        Category.organization_id == org.id, Category.code == "appointment")).one()
    session.add(CategoryResource(category_id=appointment.id, resource_id=resource.id))
    session.flush()
    return resource, appointment


@pytest.fixture
def hall(session):
    org = make_org(session)
    resource, appointment = add_resource(session, org)
    session.commit()
    return org, resource, appointment


def request_for(resource, starts_at: datetime, **fields) -> appointments.Request:
    return appointments.Request(resource_id=resource.id, slot=starts_at.strftime("%Y-%m-%dT%H:%M"),
                                reason=fields.pop("reason", "ประชุมหมู่บ้าน 40 คน"),
                                reporter_phone=fields.pop("phone", "080-000-0001"), **fields)


def test_two_citizens_sending_the_last_place_at_once_exactly_one_gets_it(app, hall):
    """The second booking waits on the slot's row while the first is not committed, then is
    refused by the database: never two bookings of one place."""
    org, resource, appointment = hall
    slot_start = at(NOW.date() + timedelta(days=2), 9)
    first_holds_lock, results = threading.Event(), {}

    def first():
        with new_session(app) as s:
            category = s.get(Category, appointment.id)
            results["first"] = appointments.book(s, org.slug, category,
                                                 request_for(resource, slot_start), NOW)
            first_holds_lock.set()
            # Commit only once the second is really waiting for the slot's row.
            assert wait_until(lambda: waiting_on_locks(app) >= 1, 20)
            s.commit()

    def second():
        first_holds_lock.wait(20)
        with new_session(app) as s:
            category = s.get(Category, appointment.id)
            try:
                appointments.book(s, org.slug, category, request_for(resource, slot_start,
                                                                     phone="080-000-0002"), NOW)
                s.commit()
                results["second"] = "booked"
            except UserError as refused:
                s.rollback()
                results["second"] = refused

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    refused = results["second"]
    assert isinstance(refused, UserError), refused
    assert (refused.code, refused.status) == ("slot_full", 409)
    with new_session(app) as s:
        assert s.scalar(select(func.count()).select_from(Booking)) == 1
        assert s.scalar(select(func.count()).select_from(Incident)) == 1  # nothing half-stored
        assert s.get(BookingSlot, (resource.id, slot_start)).booked == 1


def waiting_on_locks(app) -> int:
    with new_session(app) as s:
        return s.scalar(text("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                             "AND datname = current_database()"))


def booking_form(client, path):
    page = client.get(path).get_data(as_text=True)
    fields = dict(re.findall(r'<input type="hidden" name="([a-z_]+)" value="([^"]*)"', page))
    return page, fields


def test_concurrent_http_requests_for_the_last_slot_one_303_one_409(app, hall):
    """Two browsers post the same last slot at the same moment (two threads through the app,
    each with its own connection): one confirmation, one clear 409 in Thai and English."""
    org, resource, _ = hall
    day = datetime.now(UTC).astimezone(LOCAL_TZ).date() + timedelta(days=2)
    slot = at(day, 9).strftime("%Y-%m-%dT%H:%M")
    path = f"/report/appointment?org={org.slug}&resource={resource.id}"
    clients = [app.test_client(), app.test_client()]
    forms = []
    for number, client in enumerate(clients):
        page, fields = booking_form(client, path)
        assert f'value="{slot}"' in page
        forms.append({**fields, "slot": slot, "description": f"ประชุม {number}",
                      "reporter_phone": f"080-000-000{number}"})
    start, answers = threading.Barrier(2), [None, None]

    def send(number):
        start.wait(10)
        answers[number] = clients[number].post(path, data=forms[number])

    threads = [threading.Thread(target=send, args=(n,)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    codes = sorted(answer.status_code for answer in answers)
    assert codes == [303, 409]
    lost = next(answer for answer in answers if answer.status_code == 409).get_data(as_text=True)
    assert "Someone has just booked this time" in lost and "มีผู้จองเวลานี้ไปแล้ว" in lost
    assert re.search(r"ประชุม [01]</textarea>", lost)  # what they typed is kept
    with new_session(app) as s:
        assert s.scalar(select(func.count()).select_from(Booking)) == 1
        assert s.scalar(select(func.count()).select_from(Incident)) == 1


def test_bad_choices_are_refused_with_the_reason_and_nothing_stored(client, session, hall):
    org, resource, _ = hall
    today = datetime.now(UTC).astimezone(LOCAL_TZ).date()
    session.add(ClosedDay(organization_id=org.id, day=today + timedelta(days=3), name_th="วันหยุดทดสอบ"))
    session.commit()
    path = f"/report/appointment?org={org.slug}&resource={resource.id}"
    page, fields = booking_form(client, path)
    assert "Closed: วันหยุดทดสอบ" in page or "ปิดทำการ: วันหยุดทดสอบ" in page
    tries = {
        "slot_past": (at(today - timedelta(days=1), 9), 422),
        "closed_day": (at(today + timedelta(days=3), 9), 422),
        "outside_hours": (at(today + timedelta(days=2), 18), 422),
        "bad_slot": ("พรุ่งนี้", 400),
    }
    for code, (moment, status) in tries.items():
        slot = moment if isinstance(moment, str) else moment.strftime("%Y-%m-%dT%H:%M")
        sent = client.post(path, data={**fields, "slot": slot, "description": "ขอใช้ห้อง",
                                       "reporter_phone": "080-000-0009", "reporter_name": "สมศรี"})
        body = sent.get_data(as_text=True)
        assert sent.status_code == status, (code, body[:300])
        assert 'role="alert"' in body and ">ขอใช้ห้อง</textarea>" in body and 'value="สมศรี"' in body
    # No contact, no reason: refused too.
    free = at(today + timedelta(days=2), 9).strftime("%Y-%m-%dT%H:%M")
    assert client.post(path, data={**fields, "slot": free, "description": "ขอใช้ห้อง"}).status_code == 400
    assert client.post(path, data={**fields, "slot": free, "reporter_phone": "1"}).status_code == 400
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(Incident)) == 0
    assert session.scalar(select(func.count()).select_from(BookingSlot)) == 0


def book_on_the_web(client, org, resource, day_offset=2, hour=9):
    day = datetime.now(UTC).astimezone(LOCAL_TZ).date() + timedelta(days=day_offset)
    path = f"/report/appointment?org={org.slug}&resource={resource.id}"
    _, fields = booking_form(client, path)
    sent = client.post(path, data={**fields, "slot": at(day, hour).strftime("%Y-%m-%dT%H:%M"),
                                   "description": "ประชุมกลุ่มแม่บ้าน", "reporter_phone": "080-000-0003",
                                   "reporter_email": "somsri@example.test"})
    assert sent.status_code == 303, sent.get_data(as_text=True)[:500]
    code = sent.headers["Location"].split("/track/")[1].split("?")[0]
    confirmation = client.get(sent.headers["Location"]).get_data(as_text=True)
    reply_code = re.search(r'id="reply-code">([^<]+)<', confirmation).group(1)
    return code, reply_code, confirmation, at(day, hour)


def test_the_confirmation_shows_the_booked_time_in_the_buddhist_era_and_no_due_date(client, session, hall):
    org, resource, _ = hall
    code, _, page, starts = book_on_the_web(client, org, resource)
    assert "จองเวลาเรียบร้อยแล้ว" in page  # "Your appointment is booked"
    assert f"{starts.day} " in page and str(starts.year + 543) in page and "09:00-10:00" in page
    assert "กำหนดแล้วเสร็จ" not in page and 'id="due"' not in page  # no "expected completion"
    assert f"/track/{code}/qr.svg" in page
    assert client.get(f"/track/{code}/qr.svg").status_code == 200
    # The slot is shown taken to the next citizen.
    next_page = client.get(f"/report/appointment?org={org.slug}&resource={resource.id}&from="
                           f"{starts.date().isoformat()}").get_data(as_text=True)
    chosen = re.search(r'<label class="slot taken[^"]*">\s*<input type="radio" name="slot" value="'
                       + starts.strftime("%Y-%m-%dT%H:%M") + '"[^>]*disabled', next_page)
    assert chosen, "the booked slot is not shown taken"


def test_the_citizen_cancels_with_their_codes_and_a_wrong_code_changes_nothing(client, session, hall):
    org, resource, _ = hall
    code, reply_code, _, starts = book_on_the_web(client, org, resource)
    other = client.application.test_client()  # another browser: nothing kept
    token = csrf_token(other, f"/track/{code}")
    wrong = other.post(f"/track/{code}/cancel", data={"csrf_token": token, "reply_code": "AAAA-BBBB-CCCC"})
    body = wrong.get_data(as_text=True)
    assert wrong.status_code == 403
    assert "does not match" in body and 'value="AAAA-BBBB-CCCC"' in body
    session.expire_all()
    case = session.scalars(select(Incident).where(Incident.tracking_code == code)).one()
    assert case.status == "new"
    assert session.get(BookingSlot, (resource.id, starts)).booked == 1
    done = other.post(f"/track/{code}/cancel", data={"csrf_token": token, "reply_code": reply_code.lower()})
    assert done.status_code == 303
    page = other.get(done.headers["Location"]).get_data(as_text=True)
    assert 'id="booking-cancelled"' in page and "ยกเลิก" in page
    session.expire_all()
    assert session.get(Incident, case.id).status == "cancelled"
    assert session.get(BookingSlot, (resource.id, starts)).booked == 0
    assert session.scalars(select(Booking)).one().released_at is not None
    # The slot is free again for someone else.
    book_on_the_web(client.application.test_client(), org, resource)


def test_staff_move_a_booking_the_citizen_sees_it_and_a_full_slot_is_refused(client, session, hall):
    org, resource, _ = hall
    dispatcher = make_user(session, org, "dispatcher", "d@example.test")
    session.commit()
    code, _, _, starts = book_on_the_web(client, org, resource, hour=9)
    book_on_the_web(client.application.test_client(), org, resource, hour=11)  # 11:00 taken
    case = session.scalars(select(Incident).where(Incident.tracking_code == code)).one()
    staff = client.application.test_client()
    login(staff, "d@example.test", PASSWORD)
    move_path = f"/office/bookings/{case.id}/move"
    page = staff.get(move_path).get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    taken = (starts + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")
    full = staff.post(move_path, data={"csrf_token": token, "slot": taken, "note": "ห้องไม่ว่าง"})
    assert full.status_code == 409 and "ห้องไม่ว่าง</textarea>" in full.get_data(as_text=True)
    later = starts + timedelta(hours=5)
    moved = staff.post(move_path, data={"csrf_token": token, "slot": later.strftime("%Y-%m-%dT%H:%M"),
                                        "note": "ห้องปิดซ่อมแอร์ช่วงเช้า"})
    assert moved.status_code == 303
    session.expire_all()
    booking = session.scalars(select(Booking).where(Booking.incident_id == case.id)).one()
    assert booking.starts_at == later
    assert session.get(BookingSlot, (resource.id, starts)).booked == 0
    assert session.get(BookingSlot, (resource.id, later)).booked == 1
    tracking = client.get(f"/track/{code}").get_data(as_text=True)
    assert "ห้องปิดซ่อมแอร์ช่วงเช้า" in tracking and "14:00-15:00" in tracking
    assert "เจ้าหน้าที่เลื่อนนัด" in tracking  # the event's label ("Appointment moved by the staff")
    # The day list shows it, per resource, with a print button.
    day_page = staff.get(f"/office/bookings?day={later.date().isoformat()}").get_data(as_text=True)
    assert f'id="booking-{case.id}"' in day_page and "ประชุมกลุ่มแม่บ้าน" in day_page
    assert "data-print-page" in day_page
    # Confirm is the workflow's accept; refusing gives the slot back.
    workflow.perform(session, case.id, "accept", dispatcher)
    session.commit()
    assert "ยืนยันแล้ว" in client.get(f"/track/{code}").get_data(as_text=True) or \
        'id="booking-confirmed"' in client.get(f"/track/{code}").get_data(as_text=True)
    workflow.perform(session, case.id, "reject", dispatcher, note="ติดงานราชพิธี")
    session.commit()
    session.expire_all()
    assert session.get(BookingSlot, (resource.id, later)).booked == 0
    # "reschedule" is not a panel action of its own: it needs the booking page.
    with pytest.raises(UserError):
        workflow.perform(session, case.id, "reschedule", dispatcher, note="x")


def test_the_admin_sets_resources_and_closed_days_each_change_recorded(client, session):
    org = make_org(session)
    make_user(session, org, "admin", "a@example.test")
    session.commit()
    login(client, "a@example.test", PASSWORD)
    assert 'id="bookings-admin"' in client.get("/admin/").get_data(as_text=True)
    page = client.get("/admin/bookings/").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    appointment = session.scalars(select(Category).where(Category.code == "appointment")).one()
    form = {"csrf_token": token, "name_th": "ห้องประชุมเล็ก", "name_en": "Small meeting room",
            "slot_minutes": "60", "capacity": "2", "open_0": "08:30", "close_0": "16:30",
            "open_5": "09:00", "close_5": "08:00", "active": "on", "types": str(appointment.id)}
    bad = client.post("/admin/bookings/new", data=form)
    assert bad.status_code == 400 and 'value="ห้องประชุมเล็ก"' in bad.get_data(as_text=True)
    assert session.scalar(select(func.count()).select_from(BookingResource)) == 0
    assert client.post("/admin/bookings/new", data={**form, "close_5": "12:00"}).status_code == 303
    resource = session.scalars(select(BookingResource)).one()
    assert resource.hours == {"0": ["08:30", "16:30"], "5": ["09:00", "12:00"]}
    assert (resource.capacity, resource.slot_minutes) == (2, 60)
    assert [r.id for r in bookings.offered_resources(session, appointment.id)] == [resource.id]
    closed_page = client.get("/admin/closed-days/")
    token = re.search(r'name="csrf_token" value="([^"]+)"', closed_page.get_data(as_text=True)).group(1)
    bad = client.post("/admin/closed-days/", data={"csrf_token": token, "days": "13/04/2569 สงกรานต์"})
    assert bad.status_code == 400 and "13/04/2569 สงกรานต์" in bad.get_data(as_text=True)
    year = datetime.now(UTC).year + 1
    added = client.post("/admin/closed-days/", data={
        "csrf_token": token, "days": f"{year + 543}-04-13 วันสงกรานต์\n{year}-05-01 วันแรงงาน"})
    assert added.status_code == 303
    shown = client.get("/admin/closed-days/").get_data(as_text=True)
    assert f"13 เม.ย. {year + 543}" in shown and "วันแรงงาน" in shown
    days = session.scalars(select(ClosedDay).order_by(ClosedDay.day)).all()
    assert [d.day for d in days] == [date(year, 4, 13), date(year, 5, 1)]
    removed = client.post(f"/admin/closed-days/{days[0].id}/remove", data={"csrf_token": token})
    assert removed.status_code == 303
    subjects = session.execute(select(AdminChange.subject, AdminChange.action)
                               .order_by(AdminChange.id)).all()
    assert subjects == [("booking_resource", "created"), ("closed_day", "created"),
                        ("closed_day", "created"), ("closed_day", "removed")]


def test_a_replayed_form_books_once_and_a_slot_with_capacity_takes_that_many(app, session):
    org = make_org(session)
    resource, appointment = add_resource(session, org, capacity=2)
    session.commit()
    starts = at(NOW.date() + timedelta(days=1), 10)
    key = "k" * 20
    first = appointments.book(session, org.slug, appointment,
                              request_for(resource, starts, idempotency_key=key), NOW)
    again = appointments.book(session, org.slug, appointment,
                              request_for(resource, starts, idempotency_key=key), NOW)
    assert first.id == again.id
    appointments.book(session, org.slug, appointment, request_for(resource, starts), NOW)
    session.commit()
    with pytest.raises(UserError) as full:
        appointments.book(session, org.slug, appointment, request_for(resource, starts), NOW)
    assert full.value.code == "slot_full"
    session.rollback()
    week = bookings.week(session, resource, starts.date(), 1, NOW)
    assert [s.free for s in week[0].slots if s.slot.starts_at == starts] == [0]
    assert replies.issue_reply_code(first) is not None
    assert session.scalar(select(func.count()).select_from(IncidentEvent)) == 2


def test_demo_appointments_carry_bookings_consistent_with_their_history(demo_session):
    """The demo (mapdash/demo/bookings.py): a counter and the hall, holidays closed, and each
    appointment case booked within the hours: done ones before they were closed, open ones
    still to come, refused or merged ones given back."""
    now = datetime.now(UTC)
    names = set(demo_session.scalars(select(BookingResource.name_th)))
    assert names == {"เคาน์เตอร์สำนักปลัด", "หอประชุม อบต."}
    assert demo_session.scalar(select(func.count()).select_from(ClosedDay)) >= 15
    closed = set(demo_session.scalars(select(ClosedDay.day)))
    cases = demo_session.scalars(select(Incident).join(Category).where(
        Category.code == "appointment")).all()
    assert len(cases) >= 5
    for case in cases:
        booking = demo_session.scalars(select(Booking).where(Booking.incident_id == case.id)).one()
        start = booking.starts_at.astimezone(LOCAL_TZ)
        resource = booking.resource
        hours = slots.parse_hours(resource.hours)
        assert start.date() not in closed
        assert slots.check_slot(booking.starts_at, hours, resource.slot_minutes, closed,
                                start - timedelta(minutes=1)).ends_at == booking.ends_at
        assert booking.starts_at >= case.created_at
        if case.is_open:
            assert booking.released_at is None and booking.starts_at > now, case.tracking_code
        elif case.status in bookings.RELEASING_STATUSES:
            assert booking.released_at is not None
    held = demo_session.execute(select(Booking.resource_id, Booking.starts_at, func.count())
                                .where(Booking.released_at.is_(None))
                                .group_by(Booking.resource_id, Booking.starts_at)).all()
    slots_rows = {(r.resource_id, r.starts_at): r.booked for r in demo_session.scalars(select(BookingSlot))}
    assert all(slots_rows[(resource_id, starts)] == count for resource_id, starts, count in held)
