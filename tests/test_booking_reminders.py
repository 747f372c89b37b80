"""The reminder the day before an appointment (issue 13, item 1), through the real outbox and
worker: an e-mail to the local SMTP server and a push to the LINE stand-in, at a fixed
instant, sent once however often the worker scans; none for a cancelled booking, none before
the morning of the day before. And the citizen hears by both when staff move it."""
from datetime import datetime, time, timedelta

import pytest
from sqlalchemy import select

from mapdash.cases import workflow
from mapdash.db import new_session
from mapdash.i18n import LOCAL_TZ
from mapdash.integrations.notify import reminders
from mapdash.integrations.notify.worker import Worker
from mapdash.models import Booking, BookingResource, Category, CategoryResource, Notification
from mapdash.services import appointments
from tests.crew_support import make_user
from tests.factories import make_org
from tests.line_fake import ACCESS_TOKEN, CHANNEL_SECRET
from tests.smtp_support import SmtpServer
from tests.test_notify import notify_app

CITIZEN = "U" + "5" * 32
MONDAY_MORNING = datetime(2026, 3, 2, 10, 0, tzinfo=LOCAL_TZ)
TUESDAY = MONDAY_MORNING.date() + timedelta(days=1)


@pytest.fixture
def mail():
    with SmtpServer() as server:
        yield server


@pytest.fixture
def rapp(database_url, tmp_path, mail, fake_line):
    app = notify_app(database_url, tmp_path, mail, LINE_CHANNEL_SECRET=CHANNEL_SECRET,
                     LINE_CHANNEL_ACCESS_TOKEN=ACCESS_TOKEN, LINE_API_BASE_URL=fake_line.url)
    yield app
    app.extensions["db_engine"].dispose()


@pytest.fixture
def db(rapp):
    with new_session(rapp, expire_on_commit=True) as session:
        yield session


def book(db, org, resource, category, hour, **contact):
    return appointments.book(db, org.slug, category, appointments.Request(
        resource_id=resource.id, slot=f"{TUESDAY.isoformat()}T{hour:02d}:00",
        reason="ยื่นเอกสารเบี้ยยังชีพ", **contact), MONDAY_MORNING)


def drain(app) -> None:
    worker = Worker(app)
    for _ in range(10):
        if worker.run_once() == 0:
            return
    raise AssertionError("the outbox never emptied")


def test_the_day_before_the_citizen_is_reminded_once_by_email_and_line(rapp, db, mail, fake_line):
    org = make_org(db)
    resource = BookingResource(organization_id=org.id, name_th="เคาน์เตอร์สำนักปลัด",
                               name_en="Counter", slot_minutes=30, capacity=1,
                               hours={str(d): ["08:30", "16:30"] for d in range(5)})
    db.add(resource)
    db.flush()
    category = db.scalars(select(Category).where(Category.code == "appointment")).one()
    db.add(CategoryResource(category_id=category.id, resource_id=resource.id))
    dispatcher = make_user(db, org, "dispatcher", "d@example.test")
    kept = book(db, org, resource, category, 9, reporter_phone="080-000-0001",
                reporter_email="Somsri@Example.test", reporter_line_user=CITIZEN)
    cancelled = book(db, org, resource, category, 10, reporter_email="other@example.test")
    db.commit()
    workflow.perform(db, cancelled.id, "cancel", None, now=MONDAY_MORNING)
    workflow.perform(db, kept.id, "accept", dispatcher, now=MONDAY_MORNING)  # confirmed
    db.commit()
    drain(rapp)
    mail.mailbox.received.clear()
    pushes_before = len(fake_line.pushes)

    # Early on Monday: not yet (no reminder in the night).
    assert reminders.scan(db, rapp, datetime.combine(MONDAY_MORNING.date(), time(6), LOCAL_TZ)) == 0
    # From 08:00 on Monday: Tuesday's bookings.
    noon = datetime.combine(MONDAY_MORNING.date(), time(12), LOCAL_TZ)
    assert reminders.scan(db, rapp, noon) == 1
    db.commit()
    drain(rapp)
    assert reminders.scan(db, rapp, noon + timedelta(hours=5)) == 1  # scanned again...
    db.commit()
    drain(rapp)  # ...sent once
    [received] = mail.mailbox.received
    assert received.recipients == ["somsri@example.test"]
    body = received.message.get_body(("plain",)).get_content()
    assert "พรุ่งนี้" in body and "3 มี.ค. 2569 เวลา 09:00-09:30 น." in body
    assert "tomorrow" in body and "3 Mar 2026, 09:00-09:30" in body
    assert kept.tracking_code in body and f"/track/{kept.tracking_code}" in body
    pushes = fake_line.pushes[pushes_before:]
    assert [p["to"] for p in pushes] == [CITIZEN]
    assert "เคาน์เตอร์สำนักปลัด" in pushes[0]["messages"][0]["text"]
    sent = db.scalars(select(Notification).where(Notification.kind == "booking_reminder")).all()
    assert sorted((n.channel, n.status) for n in sent) == [("email", "sent"), ("line", "sent")]
    # Tuesday itself: nothing more for Tuesday's bookings.
    assert reminders.scan(db, rapp, noon + timedelta(days=1)) == 0


def test_a_moved_appointment_is_told_to_the_citizen_and_reminded_again(rapp, db, mail):
    org = make_org(db)
    resource = BookingResource(organization_id=org.id, name_th="หอประชุม", name_en="Hall",
                               slot_minutes=60, capacity=1,
                               hours={str(d): ["08:00", "17:00"] for d in range(7)})
    db.add(resource)
    db.flush()
    category = db.scalars(select(Category).where(Category.code == "appointment")).one()
    db.add(CategoryResource(category_id=category.id, resource_id=resource.id))
    dispatcher = make_user(db, org, "dispatcher", "d@example.test")
    case = book(db, org, resource, category, 9, reporter_email="mali@example.test")
    db.commit()
    noon = datetime.combine(MONDAY_MORNING.date(), time(12), LOCAL_TZ)
    reminders.scan(db, rapp, noon)
    db.commit()
    appointments.move(db, dispatcher, case.id, f"{(TUESDAY + timedelta(days=1)).isoformat()}T14:00",
                      "หอประชุมใช้จัดเลือกตั้ง", noon)
    db.commit()
    drain(rapp)
    subjects = [r.message["Subject"] for r in mail.mailbox.received]
    assert any("เลื่อน" in s for s in subjects), subjects
    moved = next(r for r in mail.mailbox.received if "เลื่อน" in r.message["Subject"])
    assert "หอประชุมใช้จัดเลือกตั้ง" in moved.message.get_body(("plain",)).get_content()
    assert db.scalars(select(Booking)).one().starts_at.astimezone(LOCAL_TZ).hour == 14
    # Tuesday noon: the reminder of Wednesday's new time.
    assert reminders.scan(db, rapp, noon + timedelta(days=1)) == 1
    db.commit()
    assert len(db.scalars(select(Notification).where(
        Notification.kind == "booking_reminder")).all()) == 2
