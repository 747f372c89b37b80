"""The outbox and e-mail, end to end against a real SMTP server (aiosmtpd): what citizens and
staff receive, once each; the same-transaction rule; retries; STARTTLS; overdue alerts."""
import io
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, update

from mapdash import workflow
from mapdash.models import Department, Follower, Incident, Notification
from mapdash.notify import overdue
from mapdash.notify.worker import Worker, backoff
from tests.crew_support import CASE_LAT, CASE_LON, PASSWORD, jpeg, make_user, scene
from tests.factories import make_incident, make_org
from tests.smtp_support import SmtpServer, self_signed_certificate
from tests.support import login, make_app

BASE = "https://report.tambon.example"


@pytest.fixture
def smtp():
    with SmtpServer() as server:
        yield server


def notify_app(database_url, tmp_path, server, **overrides):
    return make_app(database_url, tmp_path / "photos", PUBLIC_BASE_URL=BASE,
                    NOTIFY_BACKOFF_SECONDS=0, **server.settings(), **overrides)


@pytest.fixture
def napp(database_url, tmp_path, smtp):
    application = notify_app(database_url, tmp_path, smtp)
    yield application
    application.extensions["db_engine"].dispose()


@pytest.fixture
def db(napp):
    from sqlalchemy.orm import Session
    with Session(napp.extensions["db_engine"]) as s:
        yield s


@pytest.fixture
def people(db):
    org = make_org(db)
    people = {"org": org,
              "dispatcher": make_user(db, org, "dispatcher", "dispatcher@test.mapdash.test"),
              "crew": make_user(db, org, "crew", "crew@test.mapdash.test", "engineering"),
              "admin": make_user(db, org, "admin", "admin@test.mapdash.test")}
    db.commit()
    return people


def outbox(session) -> list[Notification]:
    session.expire_all()
    return list(session.scalars(select(Notification).order_by(Notification.id)))


def drain(app, passes: int = 20) -> None:
    """Run the worker until nothing is due (a refused message is due again at once here)."""
    worker = Worker(app)
    for _ in range(passes):
        if worker.run_once() == 0:
            return
    raise AssertionError("the outbox never emptied")


def post_closing(client, case_id):
    token = client.get("/crew/token.json").get_json()["csrf_token"]
    form = {"idempotency_key": str(uuid.uuid4()), "result": "fixed", "note": "เปลี่ยนหลอดไฟแล้ว",
            "lat": str(CASE_LAT), "lon": str(CASE_LON), "accuracy": "10",
            "photos": [(io.BytesIO(jpeg(scene(77), taken=datetime.now(UTC))), "after.jpg")]}
    return client.post(f"/crew/cases/{case_id}/close", data=form,
                       content_type="multipart/form-data",
                       headers={"X-CSRFToken": token, "Accept": "application/json"})


def test_citizen_hears_accepted_question_and_result_by_email_once(napp, db, people, smtp):
    case = make_incident(db, description="ไฟดับหน้าวัด", reporter_email="somchai@example.test")
    case.created_at = datetime.now(UTC) - timedelta(hours=1)  # the after photo is taken later
    db.add(Follower(incident_id=case.id, email="neighbour@example.test"))
    db.add(Follower(incident_id=case.id, email="Somchai@Example.test"))  # the reporter again
    db.commit()
    dispatcher, crew = people["dispatcher"], people["crew"]
    for action, note in (("accept", ""), ("request_info", "เสาไฟต้นไหน ใกล้บ้านเลขที่เท่าไร"),
                         ("reply", "เสาที่ 3 หน้าบ้านเลขที่ 12"), ("assign", "")):
        workflow.perform(db, case.id, action, dispatcher, note=note,
                         assignee_id=crew.id if action == "assign" else None)
        db.commit()
    client = napp.test_client()
    assert login(client, crew.email, PASSWORD).status_code == 302
    closed = post_closing(client, case.id)
    assert closed.status_code == 201, closed.get_json()

    drain(napp)
    code, link = case.tracking_code, f"{BASE}/track/{case.tracking_code}"
    got = {(r.recipients[0], r.message["Subject"]) for r in smtp.mailbox.received}
    assert got == {
        ("somchai@example.test", f"รับเรื่อง {code} แล้ว / Your report {code} was accepted"),
        ("neighbour@example.test", f"รับเรื่อง {code} แล้ว / Your report {code} was accepted"),
        ("somchai@example.test", f"ขอข้อมูลเพิ่มเติม เรื่อง {code} / More information needed for {code}"),
        ("somchai@example.test", f"เรื่อง {code} ดำเนินการแล้ว / Your report {code} is resolved"),
        ("neighbour@example.test", f"เรื่อง {code} ดำเนินการแล้ว / Your report {code} is resolved"),
    }
    assert len(smtp.mailbox.received) == 5  # once each: the follower with the reporter's address too
    by_subject = {r.message["Subject"].split(" / ")[0]: r.message for r in smtp.mailbox.received}
    question = by_subject[f"ขอข้อมูลเพิ่มเติม เรื่อง {code}"].get_body(("plain",)).get_content()
    assert "เสาไฟต้นไหน ใกล้บ้านเลขที่เท่าไร" in question and link in question
    result = by_subject[f"เรื่อง {code} ดำเนินการแล้ว"]
    text = result.get_body(("plain",)).get_content()
    assert text.index("เปลี่ยนหลอดไฟแล้ว") < text.index("--- English ---") < text.index("is resolved")
    assert link in text
    html = result.get_body(("html",)).get_content()
    assert f'href="{link}"' in html and 'lang="th"' in html
    photo_url = next(n.payload["photo_url"] for n in outbox(db) if n.kind == "resolved")
    assert photo_url.startswith(f"{BASE}/photos/") and photo_url in text
    # The after photo is public: the link in the message opens for anyone.
    assert napp.test_client().get(photo_url.removeprefix(BASE)).status_code == 200
    assert all(n.status == "sent" and n.attempts == 1 for n in outbox(db))
    # Message-IDs come from the notification's key: the same message keeps the same id.
    keys = {f"<{n.key}@tambon.example>" for n in outbox(db)}
    assert set(smtp.mailbox.message_ids()) == keys

    drain(napp)
    assert len(smtp.mailbox.received) == 5


def test_staff_hear_of_a_new_case_in_their_department(napp, db, people, smtp):
    db.execute(update(Department).values(notify_email=Department.code + "@tambon.example"))
    db.commit()
    case = make_incident(db, description="ไฟดับทั้งซอย")
    db.commit()
    drain(napp)
    [mail] = smtp.mailbox.received
    assert mail.recipients == ["engineering@tambon.example"]
    assert mail.message["Subject"].startswith(f"เรื่องใหม่ {case.tracking_code}")
    text = mail.message.get_body(("plain",)).get_content()
    assert "หมู่ 1" in text and "ไฟดับทั้งซอย" in text and f"{BASE}/dispatch/" in text
    # A case type whose reporters must be protected says only its type and code.
    tip = make_incident(db, category="drug_tip", description="บ้านหลังที่สามมีการค้า")
    db.commit()
    drain(napp)
    mail = smtp.mailbox.received[-1]
    assert mail.message["Subject"].startswith(f"เรื่องใหม่ {tip.tracking_code}")
    text = mail.message.get_body(("plain",)).get_content()
    assert "บ้านหลังที่สาม" not in text and "หมู่" not in text
    # Other departments were not told of the streetlight.
    assert [n.recipient for n in outbox(db) if n.incident_id == case.id] == \
        ["engineering@tambon.example"]


def test_a_rolled_back_action_leaves_no_notification(napp, db, people, smtp):
    case = make_incident(db, reporter_email="somchai@example.test")
    db.commit()
    workflow.perform(db, case.id, "accept", people["dispatcher"])
    db.rollback()
    db.commit()
    assert outbox(db) == []
    # Over HTTP: a crew's closing whose photo is refused after the "resolve" event was
    # written (4xx): the request rolls back, the citizen hears nothing.
    workflow.perform(db, case.id, "accept", people["dispatcher"])
    workflow.perform(db, case.id, "assign", people["dispatcher"], assignee_id=people["crew"].id)
    db.commit()
    client = napp.test_client()
    login(client, people["crew"].email, PASSWORD)
    token = client.get("/crew/token.json").get_json()["csrf_token"]
    response = client.post(f"/crew/cases/{case.id}/close", content_type="multipart/form-data",
                           data={"idempotency_key": str(uuid.uuid4()), "result": "fixed",
                                 "note": "เสร็จ", "photos": [(io.BytesIO(b"not a photo"), "x.jpg")]},
                           headers={"X-CSRFToken": token, "Accept": "application/json"})
    assert response.status_code == 415
    assert [n.kind for n in outbox(db)] == ["accepted"]
    assert db.get(Incident, case.id).status == "assigned"
