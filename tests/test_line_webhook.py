"""POST /line/webhook against the local fake LINE API: signatures, redeliveries, answers."""
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import func, select, text

from mapdash.cases import workflow
from mapdash.integrations.line import links
from mapdash.models import LineWebhookEvent, User
from tests.factories import make_incident
from tests.line_fake import (
    ACCESS_TOKEN,
    CHANNEL_SECRET,
    event,
    location_event,
    signature,
    text_event,
    webhook_body,
)
from tests.support import make_app

USER = "U" + "1" * 32


@pytest.fixture
def line_app(demo_database_url, tmp_path, fake_line):
    app = make_app(demo_database_url, tmp_path / "photos", LINE_CHANNEL_SECRET=CHANNEL_SECRET,
                   LINE_CHANNEL_ACCESS_TOKEN=ACCESS_TOKEN, LINE_API_BASE_URL=fake_line.url)
    yield app
    app.extensions["db_engine"].dispose()


@pytest.fixture
def client(line_app):
    return line_app.test_client()


def post(client, body: bytes, sign=True, **headers):
    if sign:
        headers.setdefault("X-Line-Signature", signature(body))
    return client.post("/line/webhook", data=body, headers=headers,
                       content_type="application/json; charset=utf-8")


def handled_events(app) -> int:
    with app.extensions["db_engine"].connect() as conn:
        return conn.execute(select(func.count()).select_from(LineWebhookEvent)).scalar()


def reply_text(fake_line, index=-1) -> str:
    return fake_line.replies[index]["messages"][0]["text"]


def link_in(reply: str) -> str:
    return re.search(r"https?://\S+", reply).group(0)


def test_unsigned_forged_and_resigned_bodies_are_refused_without_a_trace(client, line_app,
                                                                         fake_line):
    body = webhook_body(event("follow", USER, fake_line.new_reply_token()))
    assert post(client, body, sign=False).status_code == 401
    assert post(client, body, **{"X-Line-Signature": ""}).status_code == 401
    assert post(client, body, **{"X-Line-Signature": signature(body, "another-secret")}).status_code == 403
    assert post(client, body, **{"X-Line-Signature": "not base64 at all"}).status_code == 403
    tampered = body.replace(USER.encode(), ("U" + "2" * 32).encode())
    assert post(client, tampered, **{"X-Line-Signature": signature(body)}).status_code == 403
    assert handled_events(line_app) == 0 and fake_line.calls == []


def test_a_signed_body_that_is_not_json_is_refused_without_a_trace(client, line_app, fake_line):
    for body in (b"events=1", b"\xff\xfe{}", b'{"events": "none"}', b"[]", b'{"events": [1]}'):
        response = post(client, body)
        assert response.status_code == 400, body
        assert response.get_json()["message_th"] if response.is_json else True
    assert handled_events(line_app) == 0 and fake_line.calls == []


def test_without_line_settings_the_webhook_is_not_there(demo_client):
    body = webhook_body(event("follow", USER, "token"))
    response = demo_client.post("/line/webhook", data=body,
                                headers={"X-Line-Signature": signature(body),
                                         "Accept": "application/json"})
    assert response.status_code == 404 and response.get_json()["error"] == "line_off"


def test_lines_verify_button_sends_no_events_and_gets_200(client, fake_line):
    assert post(client, webhook_body()).status_code == 200
    assert fake_line.calls == []


def test_follow_is_answered_with_a_greeting_and_a_signed_report_link(client, line_app, fake_line):
    assert post(client, webhook_body(event("follow", USER, fake_line.new_reply_token()))).status_code == 200
    [reply] = fake_line.replies
    message = reply["messages"][0]
    assert message["text"].startswith("สวัสดีค่ะ ขอบคุณที่เพิ่มเพื่อน")
    assert message["quickReply"]["items"][0]["action"] == {"type": "location", "label": "ส่งตำแหน่ง"}
    link = urlsplit(link_in(message["text"]))
    assert link.path == "/"
    [token] = parse_qs(link.query)["line"]
    assert links.user_from_token(line_app.config["SECRET_KEY"], token) == USER
    assert USER not in message["text"]


def test_a_redelivered_event_is_answered_once(client, line_app, fake_line):
    first = event("follow", USER, fake_line.new_reply_token(), event_id="01HREDELIVERED0000000000001")
    assert post(client, webhook_body(first)).status_code == 200
    again = {**first, "replyToken": fake_line.new_reply_token(),
             "deliveryContext": {"isRedelivery": True}}
    response = post(client, webhook_body(again))
    assert response.status_code == 200 and response.get_json() == {"received": 1, "answered": 0}
    assert len(fake_line.replies) == 1 and handled_events(line_app) == 1


def test_when_line_fails_nothing_is_kept_and_the_redelivery_is_answered(client, line_app,
                                                                         fake_line):
    fake_line.fail_next(3)
    follow = event("follow", USER, fake_line.new_reply_token())
    assert post(client, webhook_body(follow)).status_code == 503
    assert handled_events(line_app) == 0 and fake_line.replies == []
    redelivered = {**follow, "deliveryContext": {"isRedelivery": True}}
    assert post(client, webhook_body(redelivered)).status_code == 503
    assert post(client, webhook_body(redelivered)).status_code == 503
    assert post(client, webhook_body(redelivered)).status_code == 200
    assert len(fake_line.replies) == 1
    with line_app.extensions["db_engine"].connect() as conn:
        replied = conn.execute(text("SELECT replied_at FROM line_webhook_events")).scalar_one()
    assert replied is not None


@pytest.mark.parametrize("body", [b"{}", b"", b"OK", b'{"sentMessages": "none"}', b"[1]"])
def test_a_reply_line_accepted_counts_as_delivered_whatever_its_body(client, line_app,
                                                                     fake_line, body):
    """LINE answered 200: the reply is shown to the user, so the event is recorded as
    replied, and LINE's redelivery of it is not answered a second time (issue 16, item 8)."""
    fake_line.reply_body(body)
    follow = event("follow", USER, fake_line.new_reply_token())
    response = post(client, webhook_body(follow))
    assert response.status_code == 200 and response.get_json() == {"received": 1, "answered": 1}
    with line_app.extensions["db_engine"].connect() as conn:
        replied, error = conn.execute(text(
            "SELECT replied_at, reply_error FROM line_webhook_events")).one()
    assert replied is not None and error is None
    again = {**follow, "replyToken": fake_line.new_reply_token(),
             "deliveryContext": {"isRedelivery": True}}
    assert post(client, webhook_body(again)).get_json() == {"received": 1, "answered": 0}
    assert len(fake_line.replies) == 1


def test_an_expired_reply_token_is_recorded_and_not_retried(client, line_app, fake_line):
    response = post(client, webhook_body(event("follow", USER, "expired-token")))
    assert response.status_code == 200 and fake_line.replies == []
    with line_app.extensions["db_engine"].connect() as conn:
        error = conn.execute(text("SELECT reply_error FROM line_webhook_events")).scalar_one()
    assert "400" in error and "Invalid reply token" in error


def test_a_shared_location_gets_the_report_link_with_the_place_set(client, line_app, fake_line):
    post(client, webhook_body(location_event(USER, fake_line.new_reply_token(), 17.35, 104.62)))
    reply = reply_text(fake_line)
    assert reply.startswith("ได้รับตำแหน่งแล้ว")
    link = link_in(reply)
    query = parse_qs(urlsplit(link).query)
    assert query["lat"] == ["17.350000"] and query["lon"] == ["104.620000"]
    assert query["org"] == ["demo-tambon"]
    # the home page passes the place and the LINE user on to the chosen form ...
    home = client.get(link).get_data(as_text=True)
    form_link = re.search(r'href="(/report/streetlight[^"]*)"', home).group(1).replace("&amp;", "&")
    assert parse_qs(urlsplit(form_link).query)["line"] == query["line"]
    # ... which shows the pin's place and village without JavaScript
    form = client.get(form_link).get_data(as_text=True)
    assert 'value="17.350000"' in form and 'value="104.620000"' in form
    assert re.search(r'class="place-village inside"[^>]*>หมู่ 1 ', form)
    assert f'name="line" value="{query["line"][0]}"' in form and USER not in form


def test_a_location_outside_the_area_says_so(client, fake_line):
    post(client, webhook_body(location_event(USER, fake_line.new_reply_token(), 13.7563, 100.5018)))
    reply = reply_text(fake_line)
    assert reply.startswith("ตำแหน่งนี้อยู่นอกพื้นที่") and "lat=" not in link_in(reply)


def test_a_tracking_code_in_a_sentence_is_answered_with_the_status(client, line_app, fake_line):
    with line_app.app_context():
        session = line_app.extensions["db_sessionmaker"]()
        case = make_incident(session, lon=104.62, lat=17.35, reporter_name="สมชาย ลับมาก",
                             reporter_phone="0811111111")
        dispatcher = session.scalars(select(User).where(User.role == "dispatcher")).first()
        workflow.perform(session, case.id, "accept", dispatcher)
        workflow.perform(session, case.id, "request_info", dispatcher, note="ขอรูปเสาไฟเพิ่มครับ")
        session.commit()
        code = case.tracking_code
    typed = f"เรื่อง {code.lower().replace('-', ' ')} ถึงไหนแล้วคะ"
    post(client, webhook_body(text_event(USER, fake_line.new_reply_token(), typed)))
    reply = reply_text(fake_line)
    assert reply.splitlines() == [f"เรื่อง {code}: ขอข้อมูลเพิ่มเติม", "ขอรูปเสาไฟเพิ่มครับ",
                                  f"http://localhost/track/{code}"]
    assert "สมชาย" not in reply and "0811111111" not in reply


def test_a_sensitive_case_only_says_it_was_received(client, line_app, fake_line):
    with line_app.app_context():
        session = line_app.extensions["db_sessionmaker"]()
        tip = make_incident(session, category="drug_tip", lon=104.621, lat=17.351)
        session.commit()
        code = tip.tracking_code
    post(client, webhook_body(text_event(USER, fake_line.new_reply_token(), code)))
    assert reply_text(fake_line) == f"เรื่อง {code}: ได้รับเรื่องแล้ว"


def test_unknown_codes_report_words_and_other_text(client, fake_line):
    for typed in ("ZZZZ-9999", "อยากแจ้งเรื่องไฟดับค่ะ", "สวัสดีครับ"):
        post(client, webhook_body(text_event(USER, fake_line.new_reply_token(), typed)))
    unknown, report, other = (r["messages"][0]["text"] for r in fake_line.replies)
    assert unknown.startswith("ไม่พบเรื่องที่มีรหัสนี้")
    assert report.startswith("แจ้งเรื่องได้ที่ลิงก์นี้") and "line=" in report
    assert other.startswith("พิมพ์รหัสติดตาม") and "line=" in other


def test_the_rich_menus_report_postback_gets_the_signed_link(client, fake_line):
    post(client, webhook_body(event("postback", USER, fake_line.new_reply_token(),
                                    postback={"data": "action=report"})))
    assert "line=" in reply_text(fake_line)


def test_groups_get_their_id_when_the_account_joins_and_no_chatter_after(client, fake_line):
    group = "C" + "9" * 32
    join = event("join", USER, fake_line.new_reply_token(), source={"type": "group", "groupId": group})
    chat = text_event(USER, fake_line.new_reply_token(), "ประชุมบ่ายนี้นะ",
                      source={"type": "group", "groupId": group, "userId": USER})
    response = post(client, webhook_body(join, chat))
    assert response.get_json() == {"received": 2, "answered": 1}
    assert reply_text(fake_line).endswith(group)


def test_hostile_events_get_no_500_and_odd_ones_are_skipped(client, line_app, fake_line):
    """Signed bodies with fields of the wrong type, nesting no parser can follow, and messages
    we do not read: a 4xx or a short help, never a 500."""
    token = fake_line.new_reply_token
    odd = [{**event("follow", USER, token()), "source": "U1"},
           {**event("follow", USER, token()), "source": [USER]},
           event("message", USER, token(), message="ABCD-2345"),
           event("message", USER, token(), message=["text"]),
           event("postback", USER, token(), postback="action=report"),
           event("follow", USER, 12345),
           event("follow", USER, {"token": "x"}),
           event("follow", USER, token(), source={"type": "user", "userId": {"id": USER}}),
           event("follow", USER, token(), source={"type": "user", "userId": "U" * 5000}),
           event("message", USER, token(), message={"type": "text", "text": ["ABCD2345"]}),
           event("message", USER, token(), message={"type": "location", "latitude": "x"}),
           event("follow\u0000", USER, token()),
           event("follow", USER, token(), event_id="01HNUL\u00000000000000000000")]
    response = post(client, webhook_body(*odd))
    assert response.status_code == 200
    # answered with the help: the two messages that are not objects, the text that is not a
    # text, the place that is not a place; the rest is skipped
    assert response.get_json() == {"received": len(odd), "answered": 4}
    assert reply_text(fake_line).startswith("พิมพ์รหัสติดตาม")
    deep = b'{"events": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    assert post(client, deep).status_code == 400
    for kind in ("image", "sticker", "video"):
        post(client, webhook_body(event("message", USER, token(), message={"type": kind, "id": "3"})))
        assert reply_text(fake_line).startswith("พิมพ์รหัสติดตาม")
    assert handled_events(line_app) == len(odd) - 1 + 3  # not the id with a NUL


def test_a_long_text_looks_up_only_its_first_codes(client, line_app, fake_line):
    with line_app.app_context():
        session = line_app.extensions["db_sessionmaker"]()
        code = make_incident(session, lon=104.62, lat=17.35).tracking_code
        session.commit()
    queries = []
    engine = line_app.extensions["db_engine"]
    count = lambda *args: queries.append(1)  # noqa: E731
    from sqlalchemy import event as sa_event
    sa_event.listen(engine, "before_cursor_execute", count)
    try:
        post(client, webhook_body(text_event(USER, fake_line.new_reply_token(),
                                             "ZZZZ-9999 " * 499 + code)))
    finally:
        sa_event.remove(engine, "before_cursor_execute", count)
    assert len(queries) < 20
    assert reply_text(fake_line).startswith("ไม่พบเรื่องที่มีรหัสนี้")


def ask_line_reporter(line_app, user=USER, question="ขอรูปเสาไฟเพิ่มครับ", lon=104.62):
    """A case reported from LINE by `user`, accepted, with a staff question waiting."""
    with line_app.app_context():
        session = line_app.extensions["db_sessionmaker"]()
        case = make_incident(session, lon=lon, lat=17.35, reporter_line_user=user)
        dispatcher = session.scalars(select(User).where(User.role == "dispatcher")).first()
        workflow.perform(session, case.id, "accept", dispatcher)
        workflow.perform(session, case.id, "request_info", dispatcher, note=question)
        session.commit()
        return case.id, case.tracking_code


def case_replies(line_app, case_id) -> list[tuple[str, str]]:
    with line_app.extensions["db_engine"].connect() as conn:
        return [tuple(row) for row in conn.execute(text(
            "SELECT i.status, e.note FROM incident_events e JOIN incidents i ON i.id = e.incident_id"
            " WHERE e.incident_id = :id AND e.action = 'reply'"), {"id": case_id})]


def test_a_text_from_a_reporter_whose_case_waits_is_their_answer_once(client, line_app,
                                                                       fake_line):
    older_id, _ = ask_line_reporter(line_app, question="คำถามแรก")
    case_id, code = ask_line_reporter(line_app, lon=104.621)  # asked last: this one is answered
    answer = text_event(USER, fake_line.new_reply_token(), "เสาต้นที่ 3 หน้าวัดค่ะ")
    assert post(client, webhook_body(answer)).status_code == 200
    assert reply_text(fake_line) == (f"ได้รับข้อมูลเพิ่มเติมสำหรับเรื่อง {code} แล้ว ขอบคุณค่ะ\n"
                                     f"http://localhost/track/{code}")
    assert case_replies(line_app, case_id) == [("accepted", "เสาต้นที่ 3 หน้าวัดค่ะ")]
    assert case_replies(line_app, older_id) == []
    # LINE delivers the same event again: it is not a second answer.
    again = {**answer, "replyToken": fake_line.new_reply_token(),
             "deliveryContext": {"isRedelivery": True}}
    assert post(client, webhook_body(again)).get_json() == {"received": 1, "answered": 0}
    assert len(case_replies(line_app, case_id)) == 1 and len(fake_line.replies) == 1
    # The next text answers the older case, still waiting.
    post(client, webhook_body(text_event(USER, fake_line.new_reply_token(), "ตอบเรื่องแรก")))
    assert case_replies(line_app, older_id) == [("accepted", "ตอบเรื่องแรก")]


def test_a_tracking_code_keeps_precedence_and_others_texts_are_no_answer(client, line_app,
                                                                        fake_line):
    case_id, code = ask_line_reporter(line_app)
    post(client, webhook_body(text_event(USER, fake_line.new_reply_token(), f"{code} ถึงไหนแล้ว")))
    assert reply_text(fake_line).startswith(f"เรื่อง {code}: ขอข้อมูลเพิ่มเติม")
    stranger = "U" + "9" * 32
    post(client, webhook_body(text_event(stranger, fake_line.new_reply_token(), "เสาต้นที่ 3")))
    assert reply_text(fake_line).startswith("พิมพ์รหัสติดตาม")
    too_long = "ก" * (workflow.MAX_NOTE + 1)
    post(client, webhook_body(text_event(USER, fake_line.new_reply_token(), too_long)))
    assert reply_text(fake_line).startswith("ข้อความยาวเกิน 2,000 ตัวอักษร")
    assert case_replies(line_app, case_id) == []


def test_when_line_fails_the_answer_is_not_kept_and_the_redelivery_records_it(client, line_app,
                                                                               fake_line):
    case_id, _ = ask_line_reporter(line_app)
    answer = text_event(USER, fake_line.new_reply_token(), "เสาต้นที่ 3")
    fake_line.fail_next(1)
    assert post(client, webhook_body(answer)).status_code == 503
    assert case_replies(line_app, case_id) == []
    assert post(client, webhook_body({**answer, "deliveryContext": {"isRedelivery": True}})
                ).status_code == 200
    assert case_replies(line_app, case_id) == [("accepted", "เสาต้นที่ 3")]
