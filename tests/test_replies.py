"""The reporter answers a staff question through the signed link of its message."""
import io
import re
import time

import pytest
from itsdangerous import TimestampSigner, URLSafeTimedSerializer
from sqlalchemy import func, select

from mapdash.cases import replies, workflow
from mapdash.integrations.notify.worker import Worker
from mapdash.models import Incident, IncidentEvent, Photo
from tests.crew_support import PASSWORD, jpeg, make_user, scene
from tests.factories import make_incident, make_org
from tests.support import csrf_token, login

QUESTION = "เสาไฟต้นไหน ใกล้บ้านเลขที่เท่าไร"
ANSWER = "เสาที่ 3 หน้าบ้านเลขที่ 12/7 โทร 081-234-5678"


@pytest.fixture
def asked(app, session):
    """A case whose reporter was asked a question, and the link's token for it."""
    org = make_org(session)
    dispatcher = make_user(session, org, "dispatcher", "dispatcher@test.mapdash.test")
    case = make_incident(session, description="ไฟดับหน้าวัด", reporter_email="somchai@example.test")
    workflow.perform(session, case.id, "accept", dispatcher)
    question = workflow.perform(session, case.id, "request_info", dispatcher, note=QUESTION)
    other = make_incident(session, lon=100.015)
    session.commit()
    return {"case": case, "question": question, "dispatcher": dispatcher, "other": other,
            "token": replies.make_token(app.config["SECRET_KEY"], case.id, question.id)}


def reply_path(asked, token=None) -> str:
    return f"/reply/{asked['case'].tracking_code}?t={token or asked['token']}"


def send(client, asked, answer=ANSWER, photos=(), token=None, csrf=True):
    path = reply_path(asked, token)
    form = {"answer": answer, "t": token or asked["token"],
            "photos": [(io.BytesIO(data), name) for data, name in photos]}
    if csrf:  # True: read from the form; a string: one read before (the form may be gone)
        form["csrf_token"] = csrf if isinstance(csrf, str) else csrf_token(client, reply_path(asked))
    return client.post(path, data=form, content_type="multipart/form-data")


def stored(session, case) -> tuple[str, int, int]:
    """(status, events, photos) of the case as the database has them."""
    session.expire_all()
    incident = session.get(Incident, case.id)
    events = session.scalar(select(func.count()).where(IncidentEvent.incident_id == case.id))
    photos = session.scalar(select(func.count()).where(Photo.incident_id == case.id))
    return incident.status, events, photos


def test_the_form_shows_the_question_and_a_good_answer_is_recorded_with_its_photos(
        client, session, asked):
    page = client.get(reply_path(asked)).get_data(as_text=True)
    assert QUESTION in page and 'name="answer"' in page and "ตอบคำถามของเจ้าหน้าที่" in page
    before = stored(session, asked["case"])
    response = send(client, asked, photos=[(jpeg(scene(1)), "pole.jpg"), (jpeg(scene(2)), "b.jpg")])
    assert response.status_code == 303
    code = asked["case"].tracking_code
    assert response.headers["Location"] == f"/track/{code}?replied=1"
    assert stored(session, asked["case"]) == ("accepted", before[1] + 1, before[2] + 2)
    event = session.scalars(select(IncidentEvent).where(
        IncidentEvent.incident_id == asked["case"].id).order_by(IncidentEvent.id.desc())).first()
    assert (event.action, event.actor_id, event.note) == ("reply", None, ANSWER)

    status = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "ขอบคุณ ได้รับข้อมูลแล้ว" in status
    assert "ได้รับข้อมูลเพิ่มเติมจากผู้แจ้งแล้ว" in status
    assert "081-234-5678" not in status and "12/7" not in status  # the answer is for staff only
    assert QUESTION in status  # the staff's question stays public


def test_the_dispatcher_panel_shows_the_answer_and_its_photos(client, session, asked):
    assert send(client, asked, photos=[(jpeg(scene(3)), "pole.jpg")]).status_code == 303
    staff = client.application.test_client()
    assert login(staff, asked["dispatcher"].email, PASSWORD).status_code == 302
    panel = staff.get(f"/dispatch/cases/{asked['case'].id}").get_data(as_text=True)
    assert ANSWER in panel and "ได้รับข้อมูลเพิ่มเติม" in panel
    assert "photo-pending" in panel  # until the worker has cleaned it
    assert Worker(client.application).process_photos() == 1
    panel = staff.get(f"/dispatch/cases/{asked['case'].id}").get_data(as_text=True)
    photo_ids = session.scalars(select(Photo.id).where(Photo.incident_id == asked["case"].id)).all()
    assert photo_ids and "photo-pending" not in panel
    for photo_id in photo_ids:
        assert f"/photos/{photo_id}/thumb" in panel


def test_while_a_question_waits_the_status_page_says_how_to_answer(client, asked):
    page = client.get(f"/track/{asked['case'].tracking_code}").get_data(as_text=True)
    assert 'id="open-question"' in page and QUESTION in page
    assert "ลิงก์ \"ตอบคำถาม\"" in page or "ลิงก์ &#34;ตอบคำถาม&#34;" in page


def expired_token(app, asked) -> str:
    class LongAgo(TimestampSigner):
        def get_timestamp(self):
            return int(time.time()) - replies.MAX_AGE_SECONDS - 60
    serializer = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt=replies.SALT,
                                        signer=LongAgo)
    return serializer.dumps([asked["case"].id, asked["question"].id])


def test_forged_expired_and_other_cases_links_are_refused_and_store_nothing(
        app, client, session, asked):
    before = stored(session, asked["case"])
    forged = URLSafeTimedSerializer("another-secret", salt=replies.SALT).dumps(
        [asked["case"].id, asked["question"].id])
    other_salt = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt="mapdash.line-user").dumps(
        [asked["case"].id, asked["question"].id])
    of_other_case = replies.make_token(app.config["SECRET_KEY"], asked["other"].id,
                                       asked["question"].id)
    refusals = {forged: 403, other_salt: 403, "garbage": 403, of_other_case: 403,
                expired_token(app, asked): 410}
    token = csrf_token(client, reply_path(asked))
    for bad, status in refusals.items():
        page = client.get(reply_path(asked, bad))
        assert page.status_code == status, bad
        assert 'name="answer"' not in page.get_data(as_text=True)
        posted = client.post(reply_path(asked, bad), data={"answer": ANSWER, "t": bad,
                                                           "csrf_token": token})
        assert posted.status_code == status
        body = posted.get_data(as_text=True)
        assert "ลิงก์ตอบคำถาม" in body and "link" in body
    # Without any token: the code alone (public on /cases) is no right to answer.
    assert client.get(f"/reply/{asked['case'].tracking_code}").status_code == 403
    assert stored(session, asked["case"]) == before


def test_refused_answers_store_nothing_and_keep_the_form(client, session, asked):
    before = stored(session, asked["case"])
    cases = [
        (send(client, asked, csrf=False), 400, "csrf"),
        (send(client, asked, answer="   "), 400, "กรุณาระบุข้อความ"),
        (send(client, asked, answer="ก" * (workflow.MAX_NOTE + 1)), 400, "ยาวเกิน"),
        (send(client, asked, photos=[(b"not an image at all", "x.jpg")]), 415, "ไม่ใช่รูปภาพ"),
        (send(client, asked, photos=[(jpeg(scene(i)), f"{i}.jpg") for i in range(6)]), 400,
         "ไม่เกิน 5 รูป"),
    ]
    for response, status, says in cases:
        assert response.status_code == status, says
        assert says in response.get_data(as_text=True) or says == "csrf"
    kept = send(client, asked, answer="ก" * (workflow.MAX_NOTE + 1)).get_data(as_text=True)
    assert 'name="answer"' in kept and QUESTION in kept  # the form again, to fix and resend
    assert stored(session, asked["case"]) == before


def test_a_double_submit_answers_once_and_a_used_link_is_answered_kindly(client, session, asked):
    token = csrf_token(client, reply_path(asked))
    first = send(client, asked, photos=[(jpeg(scene(4)), "a.jpg")], csrf=token)
    assert first.status_code == 303
    after = stored(session, asked["case"])
    second = send(client, asked, answer="ส่งซ้ำ", photos=[(jpeg(scene(5)), "a.jpg")], csrf=token)
    assert second.status_code == 409
    body = second.get_data(as_text=True)
    assert "ได้รับคำตอบของท่านสำหรับคำถามนี้แล้ว" in body
    assert f'href="/track/{asked["case"].tracking_code}"' in body
    again = client.get(reply_path(asked))
    assert again.status_code == 409 and 'name="answer"' not in again.get_data(as_text=True)
    assert stored(session, asked["case"]) == after
    replies_count = session.scalar(select(func.count()).where(
        IncidentEvent.incident_id == asked["case"].id, IncidentEvent.action == "reply"))
    assert replies_count == 1


def test_a_link_to_an_earlier_question_does_not_answer_the_new_one(app, client, session, asked):
    token = csrf_token(client, reply_path(asked))
    assert send(client, asked, csrf=token).status_code == 303
    new_question = workflow.perform(session, asked["case"].id, "request_info",
                                    asked["dispatcher"], note="ขอรูปเพิ่มอีกรูปครับ")
    session.commit()
    assert client.get(reply_path(asked)).status_code == 409
    fresh = replies.make_token(app.config["SECRET_KEY"], asked["case"].id, new_question.id)
    page = client.get(reply_path(asked, fresh)).get_data(as_text=True)
    assert "ขอรูปเพิ่มอีกรูปครับ" in page and QUESTION not in page


def test_a_question_the_staff_closed_is_no_longer_answerable(client, session, asked):
    workflow.perform(session, asked["case"].id, "reject", asked["dispatcher"], note="ไม่ใช่พื้นที่")
    session.commit()
    before = stored(session, asked["case"])
    response = send(client, asked, csrf=csrf_token(client, "/login"))
    assert response.status_code == 409
    assert "ไม่ได้รอข้อมูลจากท่าน" in response.get_data(as_text=True)
    assert stored(session, asked["case"]) == before


def test_the_form_reads_in_english_too(client, asked):
    page = client.get(reply_path(asked) + "&lang=en").get_data(as_text=True)
    assert "Answer the staff&#39;s question" in page or "Answer the staff's question" in page
    assert re.search(r'<textarea[^>]+maxlength="2000"', page)


def test_answering_on_a_phone(demo_app, demo_session, live_server, phone, screenshot_dir):
    from mapdash.models import User
    dispatcher = demo_session.scalars(select(User).where(User.role == "dispatcher")).first()
    with demo_app.app_context():
        case = make_incident(demo_session, lon=104.62, lat=17.35, description="ไฟดับหน้าวัด")
    workflow.perform(demo_session, case.id, "accept", dispatcher)
    question = workflow.perform(demo_session, case.id, "request_info", dispatcher,
                                note="ขอรูปเสาไฟต้นที่ดับ และบอกบ้านเลขที่ใกล้ที่สุดด้วยครับ")
    demo_session.commit()
    token = replies.make_token(demo_app.config["SECRET_KEY"], case.id, question.id)
    phone.goto(f"{live_server}/track/{case.tracking_code}")
    phone.screenshot(path=str(screenshot_dir / "reply-waiting-status-phone.png"))
    phone.goto(f"{live_server}/reply/{case.tracking_code}?t={token}")
    phone.screenshot(path=str(screenshot_dir / "reply-form-phone.png"), full_page=True, scale="css")
    phone.fill("#answer", "เสาต้นที่ 3 หน้าบ้านเลขที่ 12 ค่ะ")
    phone.set_input_files("#photos", files=[{"name": "pole.jpg", "mimeType": "image/jpeg",
                                             "buffer": jpeg(scene(9))}])
    phone.click("#send-reply")
    phone.wait_for_selector("#reply-thanks")
    assert phone.text_content("#case-status").strip() == "รับเรื่องแล้ว"
    assert "เสาต้นที่ 3" not in phone.content()
    phone.screenshot(path=str(screenshot_dir / "reply-done-phone.png"), full_page=True, scale="css")
