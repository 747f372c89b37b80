"""The outbox and e-mail, end to end against a real SMTP server (aiosmtpd): what citizens and
staff receive, once each; the same-transaction rule; retries; STARTTLS; overdue alerts."""
import io
import os
import re
import ssl
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, text, update

from mapdash.cases import workflow
from mapdash.db import new_session
from mapdash.i18n import format_date
from mapdash.integrations.notify import overdue
from mapdash.integrations.notify.worker import Worker, backoff
from mapdash.models import Department, Follower, Incident, Notification
from tests.crew_support import CASE_LAT, CASE_LON, PASSWORD, jpeg, make_user, scene
from tests.factories import make_incident, make_org
from tests.smtp_support import SmtpServer, self_signed_certificate
from tests.support import csrf_token, login, make_app

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
    with new_session(napp, expire_on_commit=True) as s:
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


def post_closing(client, case_id, lat=CASE_LAT, seed=77):
    token = client.get("/crew/token.json").get_json()["csrf_token"]
    form = {"idempotency_key": str(uuid.uuid4()), "result": "fixed", "note": "เปลี่ยนหลอดไฟแล้ว",
            "lat": str(lat), "lon": str(CASE_LON), "accuracy": "10",
            "photos": [(io.BytesIO(jpeg(scene(seed), taken=datetime.now(UTC))), "after.jpg")]}
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


def test_a_closing_flagged_for_review_is_told_once_its_evidence_is_accepted(napp, db, people,
                                                                          smtp):
    """A crew's closing whose evidence needs a dispatcher's look (here: made 1 km away) is not
    announced yet: it may be sent back. Accepted, it is announced once, with the photo."""
    case = make_incident(db, reporter_email="somchai@example.test")
    case.created_at = datetime.now(UTC) - timedelta(hours=1)
    db.commit()
    dispatcher, crew = people["dispatcher"], people["crew"]
    workflow.perform(db, case.id, "accept", dispatcher)
    workflow.perform(db, case.id, "assign", dispatcher, assignee_id=crew.id)
    db.commit()
    client = napp.test_client()
    login(client, crew.email, PASSWORD)
    assert post_closing(client, case.id, lat=CASE_LAT + 0.01).status_code == 201
    db.refresh(case)
    assert case.evidence_review == "needs_review"
    workflow.perform(db, case.id, "send_back", dispatcher, note="รูปไม่ใช่จุดนี้")
    db.commit()
    assert post_closing(client, case.id, lat=CASE_LAT + 0.01, seed=78).status_code == 201
    drain(napp)
    assert [n.kind for n in outbox(db)] == ["accepted"]

    workflow.perform(db, case.id, "accept_evidence", dispatcher)
    db.commit()
    drain(napp)
    assert [n.kind for n in outbox(db)] == ["accepted", "resolved"]
    mail = smtp.mailbox.received[-1].message
    assert mail["Subject"].startswith(f"เรื่อง {case.tracking_code} ดำเนินการแล้ว")
    text = mail.get_body(("plain",)).get_content()
    photo_url = outbox(db)[-1].payload["photo_url"]
    assert "เปลี่ยนหลอดไฟแล้ว" in text and photo_url in text
    assert napp.test_client().get(photo_url.removeprefix(BASE)).status_code == 200
    assert len(smtp.mailbox.received) == 2


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


def test_a_worker_killed_mid_batch_loses_nothing_and_sends_nothing_twice(
        database_url, tmp_path, smtp, napp, db, people):
    cases = [make_incident(db, lon=100.005 + i / 10000, reporter_email=f"citizen{i}@example.test")
             for i in range(5)]
    db.commit()
    for case in cases:
        workflow.perform(db, case.id, "accept", people["dispatcher"])
    db.commit()
    smtp.mailbox.hold_message = 3  # the server keeps the 3rd message unanswered
    env = {**os.environ, "DATABASE_URL": database_url, "MAPDASH_ENV": "development",
           "SECRET_KEY": "test-secret", "PUBLIC_BASE_URL": BASE, "SMTP_HOST": "127.0.0.1",
           "SMTP_PORT": str(smtp.port), "SMTP_FROM": "noreply@tambon.example",
           "NOTIFY_LEASE_SECONDS": "1", "PHOTO_DIR": str(tmp_path / "photos")}
    worker = subprocess.Popen([str(Path(sys.executable).parent / "mapdash"), "notify", "run",
                               "--batch", "10"], env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE)
    try:
        assert smtp.mailbox.arrived.wait(60), worker.stderr.read1().decode() if worker.poll() else ""
    finally:
        worker.kill()
        worker.wait()
    smtp.mailbox.release.set()
    assert len(smtp.mailbox.received) == 2
    assert sorted(n.status for n in outbox(db)) == ["sending"] * 3 + ["sent"] * 2

    # Another worker (here in this process) takes over once the dead one's lease ran out.
    restarted = Worker(notify_app(database_url, tmp_path, smtp, NOTIFY_LEASE_SECONDS=1))
    deadline = time.monotonic() + 60
    while len(smtp.mailbox.received) < 5 and time.monotonic() < deadline:
        restarted.run_once()
        time.sleep(0.2)
    restarted.run_once()
    received = sorted(r.recipients[0] for r in smtp.mailbox.received)
    assert received == [f"citizen{i}@example.test" for i in range(5)]
    assert all(n.status == "sent" for n in outbox(db))
    # The message resent after the crash kept its Message-ID.
    assert sorted(smtp.mailbox.message_ids()) == sorted(f"<{n.key}@tambon.example>" for n in outbox(db))


def test_a_message_whose_lease_ran_out_is_sent_by_one_worker_only(napp, db, people, smtp):
    """A worker slow enough for its lease to run out mid-batch must not send a message
    another worker has taken over meanwhile."""
    cases = [make_incident(db, lon=100.005 + i / 10000, reporter_email=f"citizen{i}@example.test")
             for i in range(2)]
    db.commit()
    for case in cases:
        workflow.perform(db, case.id, "accept", people["dispatcher"])
    db.commit()
    slow, other = Worker(napp), Worker(napp)
    first, second = slow.claim(10)
    slow.send(first)
    # The slow worker's lease on the second message runs out; the other worker takes it.
    db.execute(update(Notification).where(Notification.id == second.id)
               .values(next_attempt_at=func.now() - timedelta(seconds=1)))
    db.commit()
    assert other.run_once() == 1
    assert slow.send(second) == "lost_lease"
    assert sorted(r.recipients[0] for r in smtp.mailbox.received) == \
        ["citizen0@example.test", "citizen1@example.test"]
    assert [(n.status, n.attempts) for n in outbox(db)] == [("sent", 1), ("sent", 2)]


def test_a_worker_asked_to_stop_hands_back_what_it_claimed(napp, db, people, smtp):
    case = make_incident(db, reporter_email="somchai@example.test")
    db.commit()
    workflow.perform(db, case.id, "accept", people["dispatcher"])
    db.commit()
    stopping = Worker(napp)
    stopping.stop.set()  # SIGTERM arrived while it claimed
    assert stopping.run_once() == 1
    assert [(n.status, n.attempts) for n in outbox(db)] == [("pending", 0)]
    assert smtp.mailbox.received == []
    drain(napp)
    assert len(smtp.mailbox.received) == 1


def test_a_message_that_breaks_its_sender_does_not_stop_the_worker(napp, db, people, smtp):
    """A sender that raises something unforeseen (here: a payload an older version wrote
    without the texts) fails that message visibly; the messages after it still go out."""
    cases = [make_incident(db, lon=100.005 + i / 10000, reporter_email=f"citizen{i}@example.test")
             for i in range(2)]
    db.commit()
    for case in cases:
        workflow.perform(db, case.id, "accept", people["dispatcher"])
    db.commit()
    broken = outbox(db)[0]
    db.execute(update(Notification).where(Notification.id == broken.id).values(payload={}))
    db.commit()
    Worker(napp).run_once()
    waiting, sent = outbox(db)
    assert waiting.status == "pending" and "KeyError" in waiting.last_error
    assert sent.status == "sent"
    assert [r.recipients for r in smtp.mailbox.received] == [["citizen1@example.test"]]


def test_a_busy_server_is_retried_and_the_message_arrives_once(napp, db, people, smtp):
    smtp.mailbox.data_replies = ["451 4.7.1 Greylisted, try again", "421 4.3.2 Too busy",
                                 "452 4.3.1 Insufficient storage"]
    case = make_incident(db, reporter_email="somchai@example.test")
    db.commit()
    workflow.perform(db, case.id, "accept", people["dispatcher"])
    db.commit()
    worker = Worker(napp)
    worker.run_once()
    [waiting] = outbox(db)
    assert waiting.status == "pending" and waiting.attempts == 1 and "451" in waiting.last_error
    drain(napp)
    [sent] = outbox(db)
    assert sent.status == "sent" and sent.attempts == 4 and sent.last_error is None
    assert len(smtp.mailbox.received) == 1


def test_a_retried_message_still_arrives_before_the_next_one(napp, db, people, smtp):
    """A citizen must not read "resolved" before "accepted" because the first was retried."""
    smtp.mailbox.data_replies = ["451 4.7.1 Greylisted, try again", "451 4.7.1 Greylisted"]
    case = make_incident(db, reporter_email="somchai@example.test")
    db.commit()
    dispatcher = people["dispatcher"]
    for action, note in (("accept", ""), ("request_info", "เสาต้นไหน"), ("reply", "ต้นที่ 3"),
                         ("resolve", "เปลี่ยนหลอดแล้ว")):
        workflow.perform(db, case.id, action, dispatcher, note=note)
        db.commit()
    drain(napp)
    said = [next(kind for kind, words in (("accepted", "was accepted"), ("question", "More information"),
                                          ("resolved", "is resolved")) if words in r.message["Subject"])
            for r in smtp.mailbox.received]
    assert said == ["accepted", "question", "resolved"]


def test_a_citizen_whose_case_is_not_taken_up_hears_why(napp, db, people, smtp):
    case = make_incident(db, reporter_email="somchai@example.test")
    db.commit()
    workflow.perform(db, case.id, "reject", people["dispatcher"], note="อยู่นอกเขตรับผิดชอบ แจ้ง กฟภ.")
    db.commit()
    drain(napp)
    [mail] = smtp.mailbox.received
    assert mail.message["Subject"] == f"ไม่รับเรื่อง {case.tracking_code} / Your report " \
                                      f"{case.tracking_code} was not taken up"
    text = mail.message.get_body(("plain",)).get_content()
    assert "อยู่นอกเขตรับผิดชอบ แจ้ง กฟภ." in text and f"{BASE}/track/{case.tracking_code}" in text


def test_replies_to_a_message_reach_the_reply_to_mailbox_and_headers_are_encoded():
    """A citizen asked for more information naturally presses "reply": with SMTP_REPLY_TO
    the answer reaches a staffed mailbox instead of noreply@."""
    from mapdash.integrations.notify.delivery import Outgoing
    from mapdash.integrations.notify.email import build_message
    payload = {"kind": "info_requested", "subject_th": "ขอข้อมูลเพิ่มเติม เรื่อง ABCD-2345",
               "subject_en": "More information needed for ABCD-2345", "text_th": "เสาต้นไหน",
               "text_en": "Which pole?", "url": f"{BASE}/track/ABCD-2345"}
    config = {"SMTP_FROM": "อบต.ตัวอย่าง <noreply@tambon.example>",
              "SMTP_REPLY_TO": "สำนักปลัด <office@tambon.example>"}
    raw = build_message(config, Outgoing(1, "0f6c8a2e-0000-4000-8000-000000000001", "email",
                                         "somchai@example.test", payload)).as_bytes()
    assert raw.isascii()  # Thai headers as RFC 2047 words, the bodies in their own encoding
    import email as email_lib
    parsed = email_lib.message_from_bytes(raw, policy=email_lib.policy.default)
    assert parsed["Subject"] == "ขอข้อมูลเพิ่มเติม เรื่อง ABCD-2345 / More information needed for ABCD-2345"
    assert parsed["Reply-To"].addresses[0].addr_spec == "office@tambon.example"
    assert parsed["From"].addresses[0].display_name == "อบต.ตัวอย่าง"
    assert parsed["Date"].datetime.utcoffset() is not None  # +0000, not "-0000" (unknown)
    del config["SMTP_REPLY_TO"]
    assert "Reply-To" not in build_message(config, Outgoing(1, "k", "email", "a@example.test",
                                                            payload))


def test_backoff_doubles_with_jitter_up_to_a_cap():
    assert backoff(1, 30, 3600, rng=lambda: 0.5) == timedelta(seconds=30)
    assert backoff(4, 30, 3600, rng=lambda: 0.5) == timedelta(seconds=240)
    assert backoff(20, 30, 3600, rng=lambda: 0.5) == timedelta(seconds=3600)
    assert backoff(3, 30, 3600, rng=lambda: 0.0) == timedelta(seconds=60)
    assert backoff(3, 30, 3600, rng=lambda: 0.999) > timedelta(seconds=179)


def test_a_refused_address_fails_at_once_and_an_admin_sees_it_and_retries(
        napp, db, people, smtp):
    smtp.mailbox.refused_recipients = {"nobody@example.test"}
    case = make_incident(db, reporter_email="nobody@example.test")
    db.commit()
    workflow.perform(db, case.id, "accept", people["dispatcher"])
    db.commit()
    drain(napp)
    [failed] = outbox(db)
    assert failed.status == "failed" and failed.attempts == 1 and "550" in failed.last_error
    assert smtp.mailbox.received == []

    admin = napp.test_client()
    assert login(admin, people["admin"].email, PASSWORD).status_code == 302
    page = admin.get("/admin/notifications/").get_data(as_text=True)
    assert "nobody@example.test" in page and "550 5.1.1 No such user here" in page
    assert case.tracking_code in page and "ส่งไม่สำเร็จ" in page
    # Nobody else may look.
    officer = make_user(db, people["org"], "officer", "officer@test.mapdash.test", "engineering")
    db.commit()
    for user in (people["dispatcher"], officer, people["crew"]):
        staff = napp.test_client()
        login(staff, user.email, PASSWORD)
        assert staff.get("/admin/notifications/").status_code == 403
        assert staff.post(f"/admin/notifications/{failed.id}/retry",
                          data={"csrf_token": csrf_token(staff, "/")}).status_code == 403
    anonymous = napp.test_client()
    assert anonymous.get("/admin/notifications/").status_code == 302
    form = {"csrf_token": csrf_token(anonymous, "/report/streetlight")}
    assert anonymous.post(f"/admin/notifications/{failed.id}/retry", data=form).status_code == 302

    smtp.mailbox.refused_recipients = set()  # the citizen's mailbox works again
    token = csrf_token(admin, "/admin/notifications/")
    assert admin.post(f"/admin/notifications/{failed.id}/retry").status_code == 400  # no CSRF
    assert admin.post(f"/admin/notifications/{failed.id}/retry",
                      data={"csrf_token": token}).status_code == 303
    drain(napp)
    [sent] = outbox(db)
    assert sent.status == "sent" and [r.recipients for r in smtp.mailbox.received] == \
        [["nobody@example.test"]]
    assert "nobody@example.test" not in admin.get("/admin/notifications/").get_data(as_text=True)


def test_department_alert_settings_are_checked_and_saved(napp, db, people):
    admin = napp.test_client()
    login(admin, people["admin"].email, PASSWORD)
    engineering = db.scalars(select(Department).where(Department.code == "engineering")).one()
    url = f"/admin/notifications/departments/{engineering.id}"
    token = csrf_token(admin, "/admin/notifications/")
    for email, group, message in (("not-an-address", "", "ที่อยู่อีเมลไม่ถูกต้อง"),
                                  ("", "Cdeadbeef", "รหัสกลุ่ม LINE ไม่ถูกต้อง"),
                                  ("", "U" + "a" * 32, "รหัสกลุ่ม LINE ไม่ถูกต้อง")):
        response = admin.post(url, data={"csrf_token": token, "notify_email": email,
                                         "notify_line_group": group})
        assert response.status_code == 400
        assert message in response.get_data(as_text=True)
        db.expire_all()
        assert db.get(Department, engineering.id).notify_email is None
    group = "C" + "0123456789abcdef" * 2
    assert admin.post(url, data={"csrf_token": token, "notify_email": " works@tambon.example ",
                                 "notify_line_group": group}).status_code == 303
    db.expire_all()
    saved = db.get(Department, engineering.id)
    assert (saved.notify_email, saved.notify_line_group) == ("works@tambon.example", group)
    # A department of another organization cannot be touched.
    other = make_org(db, slug="other-tambon")
    db.commit()
    foreign = db.scalars(select(Department).where(Department.organization_id == other.id)).first()
    assert admin.post(f"/admin/notifications/departments/{foreign.id}",
                      data={"csrf_token": token, "notify_email": "x@example.test"}).status_code == 404


def tls_context(tmp_path) -> tuple[Path, ssl.SSLContext]:
    """A server-side TLS context with a fresh self-signed certificate (and that certificate)."""
    cert, key = self_signed_certificate(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return cert, context


def queue_one_staff_alert(session) -> None:
    """An organization whose departments want e-mail, and a new case: one message waiting."""
    make_org(session)
    session.execute(update(Department).values(notify_email="staff@tambon.example"))
    session.commit()
    make_incident(session)
    session.commit()


def due_now(session) -> None:
    session.execute(update(Notification).values(next_attempt_at=func.now()))
    session.commit()


def test_starttls_is_used_when_the_server_offers_it(database_url, tmp_path):
    cert, context = tls_context(tmp_path)
    with SmtpServer(tls_context=context) as server:
        trusting = notify_app(database_url, tmp_path, server, SMTP_CA_FILE=str(cert))
        wary = notify_app(database_url, tmp_path, server)  # the system CAs only
        with new_session(trusting, expire_on_commit=True) as session:
            queue_one_staff_alert(session)
            # Our own CA file missing: the certificate is refused and nothing is sent in clear.
            Worker(wary).run_once()
            [refused] = outbox(session)
            assert refused.status == "pending" and "CERTIFICATE_VERIFY_FAILED" in refused.last_error
            due_now(session)
            Worker(trusting).run_once()
            assert [n.status for n in outbox(session)] == ["sent"]
        [mail] = server.mailbox.received
        assert mail.tls and mail.recipients == ["staff@tambon.example"]
        for application in (trusting, wary):
            application.extensions["db_engine"].dispose()


def test_a_refused_login_is_retried_not_failed_and_sends_once_the_password_is_right(
        database_url, tmp_path):
    """A wrong SMTP password (535) is the settings' fault, not the message's: the message
    waits for the next try instead of failing for good. The login comes after STARTTLS."""
    cert, context = tls_context(tmp_path)
    with SmtpServer(tls_context=context, password="right-password") as server:
        wrong = notify_app(database_url, tmp_path, server, SMTP_USER="noreply",
                           SMTP_PASSWORD="wrong-password", SMTP_CA_FILE=str(cert))
        right = notify_app(database_url, tmp_path, server, SMTP_USER="noreply",
                           SMTP_PASSWORD="right-password", SMTP_CA_FILE=str(cert))
        with new_session(wrong, expire_on_commit=True) as session:
            queue_one_staff_alert(session)
            Worker(wrong).run_once()
            [waiting] = outbox(session)
            assert waiting.status == "pending" and "535" in waiting.last_error
            due_now(session)
            Worker(right).run_once()
            assert [n.status for n in outbox(session)] == ["sent"]
        assert [r.recipients for r in server.mailbox.received] == [["staff@tambon.example"]]
        for application in (wrong, right):
            application.extensions["db_engine"].dispose()


def test_the_scan_each_minute_looks_at_what_fell_due_or_changed_since_the_last(napp, db):
    """The worker's scan each minute (since=) reads only the cases that fell due in its window
    or took a step in it; a case late since long before and never alerted is found by the full
    scan (at the worker's start and once an hour)."""
    make_org(db)
    fresh, touched, forgotten = (make_incident(db) for _ in range(3))
    db.commit()
    reported = fresh.created_at  # streetlights: due 10 minutes after
    long_ago = reported - timedelta(days=2)
    db.execute(update(Incident).where(Incident.id.in_((touched.id, forgotten.id)))
               .values(step_started_at=long_ago, updated_at=long_ago))  # due two days ago
    db.commit()

    def alerted():
        return set(db.scalars(text("SELECT incident_id FROM overdue_alerts")))

    with napp.app_context():
        assert overdue.scan(db, napp, now=reported + timedelta(minutes=11), since=reported) == 1
        assert alerted() == {fresh.id}
        assert overdue.scan(db, napp, now=reported + timedelta(minutes=13),
                            since=reported + timedelta(minutes=1)) == 0
        # A change of status within the same step (its clock kept): found by its update time.
        db.execute(update(Incident).where(Incident.id == touched.id)
                   .values(updated_at=reported + timedelta(minutes=20)))
        db.commit()
        assert overdue.scan(db, napp, now=reported + timedelta(minutes=21),
                            since=reported + timedelta(minutes=15)) == 1
        assert alerted() == {fresh.id, touched.id}
        assert overdue.scan(db, napp, now=reported + timedelta(minutes=22)) == 1  # the full scan
        assert alerted() == {fresh.id, touched.id, forgotten.id}


def test_an_overdue_case_alerts_its_department_once_per_step(napp, db, people, smtp):
    db.execute(update(Department).values(notify_email=Department.code + "@tambon.example"))
    case = make_incident(db)
    db.commit()
    reported = case.created_at
    with napp.app_context():
        # Streetlights: intake (see + check) 10 minutes.
        assert overdue.scan(db, napp, now=reported + timedelta(minutes=9)) == 0
        assert overdue.scan(db, napp, now=reported + timedelta(minutes=11)) == 1
        db.commit()
        assert overdue.scan(db, napp, now=reported + timedelta(minutes=30)) == 0
        # Accepted: a new step (inform, print, set status: 20 minutes), late again later.
        workflow.perform(db, case.id, "accept", people["dispatcher"],
                         now=reported + timedelta(minutes=31))
        db.commit()
        assert overdue.scan(db, napp, now=reported + timedelta(minutes=45)) == 0
        assert overdue.scan(db, napp, now=reported + timedelta(minutes=52)) == 1
        db.commit()
        assert overdue.scan(db, napp, now=reported + timedelta(hours=5)) == 0
    drain(napp)
    overdue_mail = [r for r in smtp.mailbox.received if "เกินกำหนดเวลา" in r.message["Subject"]]
    assert len(overdue_mail) == 2
    assert {tuple(r.recipients) for r in overdue_mail} == {("engineering@tambon.example",)}
    text = overdue_mail[0].message.get_body(("plain",)).get_content()
    due = format_date(reported + timedelta(minutes=10), with_time=True, lang="th")
    assert case.tracking_code in text and "รับเรื่องและตรวจสอบ" in text and due in text


def test_loading_the_demo_writes_no_message(demo_session):
    from mapdash.models import IncidentEvent
    actions = set(demo_session.scalars(select(IncidentEvent.action).distinct()))
    assert {"report", "accept", "resolve"} <= actions  # events that would notify someone
    assert demo_session.scalar(select(func.count()).select_from(Notification)) == 0


def test_line_users_and_groups_are_queued_for_the_line_channel(napp, db, people):
    group = "C" + "f" * 32
    db.execute(update(Department).values(notify_line_group=group))
    case = make_incident(db, reporter_line_user="U" + "1" * 32)
    db.add(Follower(incident_id=case.id, line_user="U" + "2" * 32))
    db.commit()
    workflow.perform(db, case.id, "accept", people["dispatcher"])
    db.commit()
    queued = {(n.kind, n.channel, n.recipient) for n in outbox(db)}
    assert queued == {("new_case", "line", group), ("accepted", "line", "U" + "1" * 32),
                      ("accepted", "line", "U" + "2" * 32)}
    accepted = next(n for n in outbox(db) if n.kind == "accepted")
    assert accepted.payload["url"] == f"{BASE}/track/{case.tracking_code}"
    assert accepted.payload["text_th"].endswith(accepted.payload["url"])


def test_the_question_by_email_carries_a_reply_link_that_works(napp, db, people, smtp):
    case = make_incident(db, description="ไฟดับหน้าวัด", reporter_email="somchai@example.test")
    db.add(Follower(incident_id=case.id, email="neighbour@example.test"))
    db.commit()
    for action, note in (("accept", ""), ("request_info", "เสาไฟต้นไหนครับ")):
        workflow.perform(db, case.id, action, people["dispatcher"], note=note)
        db.commit()
    drain(napp)
    [asked] = [r for r in smtp.mailbox.received if r.message["Subject"].startswith("ขอข้อมูล")]
    assert asked.recipients == ["somchai@example.test"]  # only the reporter gets the link
    text = asked.message.get_body(("plain",)).get_content()
    code = case.tracking_code
    reply_link = re.search(rf"{re.escape(BASE)}/reply/{code}\?t=\S+", text).group(0)
    assert f"{BASE}/track/{code}\n" in text  # the tracking link is kept

    client = napp.test_client()
    path = reply_link.removeprefix(BASE)
    form = client.get(path).get_data(as_text=True)
    assert "เสาไฟต้นไหนครับ" in form
    token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
    t = re.search(r'name="t" value="([^"]+)"', form).group(1)
    answered = client.post(path, data={"csrf_token": token, "t": t, "answer": "ต้นที่ 3"})
    assert answered.status_code == 303
    db.expire_all()
    assert db.get(Incident, case.id).status == "accepted"
