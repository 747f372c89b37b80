"""End to end: a citizen reports through the signed LINE link, and LINE tells them that the
case was accepted, that staff need more information, and that it is resolved (with the after
photo): once each, though the LINE server failed a few times and a worker died mid-send."""
import io
import re
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, text, update

from mapdash.cases import workflow
from mapdash.db import new_session
from mapdash.integrations.line import links, sender
from mapdash.integrations.notify.worker import Worker
from mapdash.models import Department, Incident, Notification
from tests.crew_support import CASE_LAT, CASE_LON, PASSWORD, jpeg, make_user, scene
from tests.factories import make_org
from tests.line_fake import ACCESS_TOKEN, CHANNEL_SECRET
from tests.support import login, make_app

BASE = "https://report.tambon.example"
CITIZEN = "U" + "7" * 32
STAFF_GROUP = "C" + "8" * 32


@pytest.fixture
def app(database_url, tmp_path, fake_line):
    application = make_app(database_url, tmp_path / "photos", PUBLIC_BASE_URL=BASE,
                           NOTIFY_BACKOFF_SECONDS=0, LINE_CHANNEL_SECRET=CHANNEL_SECRET,
                           LINE_CHANNEL_ACCESS_TOKEN=ACCESS_TOKEN, LINE_API_BASE_URL=fake_line.url)
    yield application
    application.extensions["db_engine"].dispose()


@pytest.fixture
def db(app):
    with new_session(app, expire_on_commit=True) as session:
        yield session


def report_from_line(client) -> str:
    """The citizen opens the link a LINE reply gave them and sends the form."""
    token = links.sign_user("test-secret", CITIZEN)
    page = client.get(f"/report/streetlight?line={token}").get_data(as_text=True)
    fields = dict(re.findall(r'<input type="hidden" name="([a-z_]+)" value="([^"]*)"', page))
    assert fields["line"] == token
    sent = client.post("/report/streetlight", data={
        **fields, "lat": str(CASE_LAT), "lon": str(CASE_LON), "description": "ไฟดับหน้าวัด"})
    assert sent.status_code == 303
    return sent.headers["Location"].split("/track/")[1].split("?")[0]


def close_with_photo(client, case_id):
    token = client.get("/crew/token.json").get_json()["csrf_token"]
    form = {"idempotency_key": str(uuid.uuid4()), "result": "fixed", "note": "เปลี่ยนหลอดไฟแล้ว",
            "lat": str(CASE_LAT), "lon": str(CASE_LON), "accuracy": "10",
            "photos": [(io.BytesIO(jpeg(scene(31), taken=datetime.now(UTC))), "after.jpg")]}
    closed = client.post(f"/crew/cases/{case_id}/close", data=form,
                         content_type="multipart/form-data",
                         headers={"X-CSRFToken": token, "Accept": "application/json"})
    assert closed.status_code == 201, closed.get_json()


def drain(app, passes: int = 20) -> None:
    worker = Worker(app)
    for _ in range(passes):
        if worker.run_once() == 0:
            return
    raise AssertionError("the outbox never emptied")


def test_a_citizen_from_line_hears_accepted_question_and_result_once(app, db, fake_line):
    org = make_org(db)
    dispatcher = make_user(db, org, "dispatcher", "dispatcher@test.mapdash.test")
    crew = make_user(db, org, "crew", "crew@test.mapdash.test", "engineering")
    db.execute(update(Department).values(notify_line_group=STAFF_GROUP))
    db.commit()

    client = app.test_client()
    code = report_from_line(client)
    case = db.scalars(select(Incident).where(Incident.tracking_code == code)).one()
    assert case.reporter_line_user == CITIZEN
    case.created_at = datetime.now(UTC) - timedelta(hours=1)  # the after photo comes later
    db.commit()
    for action, note in (("accept", ""), ("request_info", "เสาไฟต้นไหน ใกล้บ้านเลขที่เท่าไร"),
                         ("reply", "เสาที่ 3 หน้าบ้านเลขที่ 12"), ("assign", "")):
        workflow.perform(db, case.id, action, dispatcher, note=note,
                         assignee_id=crew.id if action == "assign" else None)
        db.commit()
    crew_client = app.test_client()
    assert login(crew_client, crew.email, PASSWORD).status_code == 302
    close_with_photo(crew_client, case.id)

    # A worker claims everything and dies after LINE took the first message to the citizen.
    worker = Worker(app)
    claimed = worker.claim(batch=20)
    first = next(m for m in claimed if m.recipient == CITIZEN)
    sender.deliver(app.config, first)
    db.execute(text("UPDATE notifications SET next_attempt_at = now()"))  # the lease runs out
    db.commit()
    fake_line.fail_next(3)  # and LINE is down for a moment
    drain(app)

    link = f"{BASE}/track/{code}"
    to_citizen = [p for p in fake_line.pushes if p["to"] == CITIZEN]
    assert len(to_citizen) == 3
    said = ("ของท่านแล้ว", "ขอข้อมูลเพิ่มเติม", "ดำเนินการแล้ว")
    assert [next(w for w in said if w in p["messages"][0]["text"]) for p in to_citizen] == list(said)

    def push_saying(words):
        [push] = [p for p in to_citizen if words in p["messages"][0]["text"]]
        return push["messages"]
    accepted, question, resolved = (push_saying(words) for words in (
        "ของท่านแล้ว", "ขอข้อมูลเพิ่มเติม", "ดำเนินการแล้ว"))
    assert f"รับเรื่อง \"ไฟฟ้าส่องสว่างดับ\" ของท่านแล้ว (รหัส {code})" in accepted[0]["text"]
    assert f"ขอข้อมูลเพิ่มเติมเรื่อง {code}:\nเสาไฟต้นไหน ใกล้บ้านเลขที่เท่าไร" in question[0]["text"]
    assert resolved[0]["text"].startswith(f"เรื่อง {code} ดำเนินการแล้ว: ")
    assert "เปลี่ยนหลอดไฟแล้ว" in resolved[0]["text"]
    for messages in (accepted, question, resolved):
        assert messages[0]["text"].count(link) == 1
    assert [m["type"] for m in accepted + question] == ["text", "text"]
    assert [m["type"] for m in resolved] == ["text", "image"]
    photo_url = resolved[1]["originalContentUrl"]
    assert photo_url.startswith(f"{BASE}/photos/")
    assert app.test_client().get(photo_url.removeprefix(BASE)).status_code == 200
    # Staff heard of the new case in their group; nothing else went anywhere.
    [alert] = [p for p in fake_line.pushes if p["to"] == STAFF_GROUP]
    assert alert["messages"][0]["text"].startswith(f"เรื่องใหม่ {code}")
    assert len(fake_line.pushes) == 4
    statuses = [c["status"] for c in fake_line.calls]
    assert statuses.count(500) == 3 and statuses.count(409) == 1
    db.expire_all()
    assert {n.status for n in db.scalars(select(Notification))} == {"sent"}

    drain(app)
    assert len(fake_line.pushes) == 4
