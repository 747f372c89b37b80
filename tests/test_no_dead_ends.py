"""No dead ends (issue 19): a reporter without e-mail or LINE answers a question with the reply
code they were given, staff write down an answer given by phone, the dispatcher is warned
before asking someone who cannot be reached, a closing under review is not called done, and
the notifications page does not say all went out when it did not."""
import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import select, update

from mapdash.cases import replies, workflow
from mapdash.models import Incident, IncidentEvent, Notification
from mapdash.office.auth import create_user
from tests.factories import make_incident, make_org
from tests.support import csrf_token, login, make_app

PASSWORD = "correct horse battery"
QUESTION = "เสาไฟต้นไหนครับ ใกล้บ้านเลขที่เท่าไร"


@pytest.fixture
def office(session):
    org = make_org(session)
    users = {role: create_user(session, organization_id=org.id, email=f"{role}@example.test",
                               password=PASSWORD, role=role, display_name=f"{role} สาธิต",
                               department_code="engineering" if role == "crew" else None)
             for role in ("admin", "dispatcher", "crew")}
    session.commit()
    return {"org": org, "users": users}


def signed_in(app, role):
    client = app.test_client()
    assert login(client, f"{role}@example.test", PASSWORD).status_code == 302
    return client


def act(client, case_id, **form):
    return client.post(f"/dispatch/cases/{case_id}/actions", headers={"Accept": "application/json"},
                       data={"csrf_token": csrf_token(client, "/login"), **form})


def asked(session, office, **reporter) -> tuple[Incident, str | None]:
    """A case whose reporter gave only `reporter`, with a reply code when given one, asked a
    question."""
    code = reporter.pop("reply_code", False)
    case = make_incident(session, description="ไฟดับหน้าวัด", **reporter)
    reply_code = replies.issue_reply_code(case) if code else None
    workflow.perform(session, case.id, "request_info", office["users"]["dispatcher"],
                     note=QUESTION)
    session.commit()
    return case, reply_code


def test_a_reporter_without_email_or_line_answers_with_the_reply_code(app, session, office):
    case, reply_code = asked(session, office, reply_code=True)
    assert re.fullmatch(r"[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}", reply_code)
    assert replies.issue_reply_code(case) is None  # one per case, shown once
    citizen = app.test_client()
    track = f"/track/{case.tracking_code}"
    page = citizen.get(track).get_data(as_text=True)
    assert QUESTION in page and 'id="reply-code-form"' in page

    token = csrf_token(citizen, track)
    wrong = citizen.post(f"{track}/answer", data={"csrf_token": token, "reply_code": "ABCD-EFGH-JKMN"})
    assert wrong.status_code == 403
    wrong_page = wrong.get_data(as_text=True)
    assert "รหัสตอบกลับไม่ถูกต้อง" in wrong_page and 'value="ABCD-EFGH-JKMN"' in wrong_page
    assert citizen.post(f"{track}/answer", data={"reply_code": reply_code}).status_code == 400  # CSRF

    # As a person types it: small letters, no dashes.
    opened = citizen.post(f"{track}/answer", data={
        "csrf_token": token, "reply_code": reply_code.replace("-", " ").lower()})
    assert opened.status_code == 303
    form_url = opened.headers["Location"]
    assert form_url.startswith(f"/reply/{case.tracking_code}?t=")
    form = citizen.get(form_url).get_data(as_text=True)
    assert QUESTION in form and 'name="answer"' in form
    answered = citizen.post(form_url, data={"csrf_token": csrf_token(citizen, form_url),
                                            "t": form_url.split("t=")[1],
                                            "answer": "เสาต้นที่ 3 หน้าบ้านเลขที่ 12"})
    assert answered.status_code in (302, 303)
    session.expire_all()
    assert session.get(Incident, case.id).status == "accepted"
    reply = session.scalars(select(IncidentEvent).where(IncidentEvent.incident_id == case.id,
                                                        IncidentEvent.action == "reply")).one()
    assert reply.actor_id is None and reply.note == "เสาต้นที่ 3 หน้าบ้านเลขที่ 12"
    # Nothing waits any more: the code opens nothing.
    again = citizen.post(f"{track}/answer", data={"csrf_token": token, "reply_code": reply_code})
    assert again.status_code == 409
    # The dispatcher reads the answer in the panel.
    panel = signed_in(app, "dispatcher").get(f"/dispatch/cases/{case.id}").get_data(as_text=True)
    assert "เสาต้นที่ 3 หน้าบ้านเลขที่ 12" in panel


def test_a_case_without_a_reply_code_asks_for_none(app, session, office):
    case, _ = asked(session, office, reporter_email="somchai@example.test")
    page = app.test_client().get(f"/track/{case.tracking_code}").get_data(as_text=True)
    assert QUESTION in page and 'id="reply-code-form"' not in page
    client = app.test_client()
    answer = client.post(f"/track/{case.tracking_code}/answer", data={
        "csrf_token": csrf_token(client, "/login"),
        "reply_code": "ABCD-EFGH-JKMN"})
    assert answer.status_code == 403


def test_staff_write_down_an_answer_given_by_phone(app, session, office):
    case, _ = asked(session, office, reporter_phone="080-000-4321")
    desk = signed_in(app, "dispatcher")
    panel = desk.get(f"/dispatch/cases/{case.id}").get_data(as_text=True)
    reply = re.search(r'action-reply".*?</form>', panel, re.S).group(0)
    assert "คำตอบของผู้แจ้ง (เช่น ที่ตอบทางโทรศัพท์)" in reply
    assert act(desk, case.id, action="reply", note="").status_code == 400
    assert act(signed_in(app, "crew"), case.id, action="reply", note="x").status_code in (403, 404)
    done = act(desk, case.id, action="reply", note="โทรมาแจ้งว่าเสาต้นที่ 3")
    assert done.status_code == 200 and done.get_json()["status"] == "accepted"
    event = session.scalars(select(IncidentEvent).where(IncidentEvent.action == "reply")).one()
    assert event.actor_id == office["users"]["dispatcher"].id
    page = app.test_client().get(f"/track/{case.tracking_code}").get_data(as_text=True)
    assert "โทรมาแจ้งว่าเสาต้นที่ 3" not in page  # the citizen's words are not published
    assert act(desk, case.id, action="reply", note="อีกครั้ง").status_code == 409  # nothing waits


@pytest.mark.parametrize("reporter, warning, reach", [
    ({}, "none", "ติดต่อผู้แจ้งไม่ได้"),
    ({"reporter_phone": "080-000-4321"}, "partial", "โทรศัพท์"),
    ({"reply_code": True}, "partial", "รหัสตอบกลับในหน้าติดตามเรื่อง"),
    ({"reporter_email": "somchai@example.test"}, None, "อีเมล"),
])
def test_the_dispatcher_is_warned_before_asking_who_cannot_hear(app, session, office, reporter,
                                                                  warning, reach):
    code = reporter.pop("reply_code", False) if reporter else False
    case = make_incident(session, description="ไฟดับ", **reporter)
    if code:
        replies.issue_reply_code(case)
    session.commit()
    panel = signed_in(app, "dispatcher").get(f"/dispatch/cases/{case.id}").get_data(as_text=True)
    assert reach in re.search(r'id="reach">(.*?)</p>', panel, re.S).group(1)
    ask = re.search(r'action-request_info".*?</form>', panel, re.S).group(0)
    found = re.search(r'id="reach-warning" data-reach="(\w+)"', ask)
    assert (found.group(1) if found else None) == warning
    if warning == "partial" and "reporter_phone" in reporter:
        assert "080-000-4321" in ask


def test_a_closing_under_review_is_not_called_done(app, session, office):
    crew = office["users"]["crew"]
    dispatcher = office["users"]["dispatcher"]
    case = make_incident(session, description="ไฟดับ")
    for action, extra in (("accept", {}), ("assign", {"assignee_id": crew.id})):
        workflow.perform(session, case.id, action, dispatcher, **extra)
    workflow.perform(session, case.id, "resolve", crew, note="เปลี่ยนหลอดแล้ว")
    session.execute(update(Incident).where(Incident.id == case.id)
                    .values(evidence_review="needs_review"))
    session.commit()
    citizen = app.test_client()

    def status_text():
        page = citizen.get(f"/track/{case.tracking_code}").get_data(as_text=True)
        return re.search(r'id="case-status">([^<]*)<', page).group(1), page

    def in_public_list():  # the status the public list of cases (/cases) gives it
        page = citizen.get("/cases").get_data(as_text=True)
        row = re.search(rf'{case.tracking_code}.*?class="status[^"]*">([^<]*)<', page, re.S)
        return row.group(1)

    status, page = status_text()
    assert status == "แจ้งว่าเสร็จแล้ว กำลังตรวจสอบ" and 'id="under-review"' in page
    assert "ดำเนินการแล้วเสร็จ" not in page
    assert in_public_list() == "แจ้งว่าเสร็จแล้ว กำลังตรวจสอบ"
    # Sent back: the crew's word stays the crew's in the timeline.
    workflow.perform(session, case.id, "send_back", dispatcher, note="รูปไม่ชัด")
    session.commit()
    status, page = status_text()
    assert "ช่างแจ้งว่าดำเนินการเสร็จแล้ว" in page and 'id="under-review"' not in page
    workflow.perform(session, case.id, "resolve", crew, note="ถ่ายรูปใหม่แล้ว")
    session.execute(update(Incident).where(Incident.id == case.id)
                    .values(evidence_review="needs_review"))
    workflow.perform(session, case.id, "accept_evidence", dispatcher)
    session.commit()
    status, page = status_text()
    assert status != "แจ้งว่าเสร็จแล้ว กำลังตรวจสอบ" and 'id="under-review"' not in page
    assert in_public_list() == status


CONFIGURED = {"SMTP_HOST": "smtp.example.test", "SMTP_FROM": "office@example.test",
              "LINE_CHANNEL_SECRET": "s" * 32, "LINE_CHANNEL_ACCESS_TOKEN": "t" * 40}


def test_the_notifications_page_says_what_is_not_set_up(app, session, office):
    page = signed_in(app, "admin").get("/admin/notifications/").get_data(as_text=True)
    box = re.search(r'id="not-configured">(.*?)</div>', page, re.S).group(1)
    assert "SMTP_HOST" in box and "LINE_CHANNEL_ACCESS_TOKEN" in box
    assert 'class="all-good"' not in page


@pytest.mark.parametrize("missing", ["SMTP_HOST", "LINE_CHANNEL_SECRET"])
def test_the_notifications_page_names_the_one_missing(database_url, tmp_path, session, office,
                                                      missing):
    app = make_app(database_url, tmp_path / "photos", **{**CONFIGURED, missing: ""})
    try:
        page = signed_in(app, "admin").get("/admin/notifications/").get_data(as_text=True)
    finally:
        app.extensions["db_engine"].dispose()
    box = re.search(r'id="not-configured">(.*?)</div>', page, re.S).group(1)
    assert missing in box and ("LINE_" in box) == (missing != "SMTP_HOST")


def test_the_notifications_page_is_honest_about_what_waits_and_fails(
        database_url, tmp_path, session, office):
    app = make_app(database_url, tmp_path / "photos", **CONFIGURED)
    try:
        admin = signed_in(app, "admin")
        assert 'class="all-good"' in admin.get("/admin/notifications/").get_data(as_text=True)
        case = make_incident(session, reporter_email="somchai@example.test")
        workflow.perform(session, case.id, "accept", office["users"]["dispatcher"])
        session.commit()
        page = admin.get("/admin/notifications/").get_data(as_text=True)
        assert 'id="still-waiting"' in page and 'class="all-good"' not in page
        # A message that failed once and waits for its next try is listed, with its error.
        session.execute(update(Notification).values(attempts=1, last_error="421 try later",
                                                    next_attempt_at=datetime.now(UTC)))
        session.commit()
        page = admin.get("/admin/notifications/").get_data(as_text=True)
        assert "421 try later" in page and case.tracking_code in page
        assert 'class="all-good"' not in page and 'id="not-configured"' not in page
    finally:
        app.extensions["db_engine"].dispose()
