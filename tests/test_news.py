"""News and announcements: the admin form (a period that ends before it starts and a file
that is not a photo refused, typed text kept, nothing stored), targeting by village and the
period, the RSS and Atom feeds (parsed), and the push to LINE through the outbox, checked at
the local LINE stand-in: the right people get exactly one message."""
import io
from datetime import date, datetime, timedelta
from email.utils import parsedate_to_datetime
from xml.etree import ElementTree as ET

import pytest
from sqlalchemy import func, select, text

from mapdash.db import new_session
from mapdash.integrations.notify.worker import Worker
from mapdash.models import AdminChange, Announcement, Notification, Village
from mapdash.news import announcements
from tests.crew_support import jpeg, scene
from tests.factories import STAFF_PASSWORD, make_incident, make_org, make_staff
from tests.line_fake import ACCESS_TOKEN, CHANNEL_SECRET, event, signature, webhook_body
from tests.support import csrf_token, login, make_app

BASE = "https://report.tambon.example"
ORG = "test-tambon"
ATOM = "{http://www.w3.org/2005/Atom}"
WEST_USER, EAST_USER, FOLLOWER_USER = "U" + "1" * 32, "U" + "2" * 32, "U" + "3" * 32
FRIEND_USER, GONE_USER = "U" + "4" * 32, "U" + "5" * 32


@pytest.fixture
def app(database_url, tmp_path, fake_line):
    application = make_app(database_url, tmp_path / "photos", PUBLIC_BASE_URL=BASE,
                           DEFAULT_ORG=ORG, NOTIFY_BACKOFF_SECONDS=0,
                           LINE_CHANNEL_SECRET=CHANNEL_SECRET,
                           LINE_CHANNEL_ACCESS_TOKEN=ACCESS_TOKEN, LINE_API_BASE_URL=fake_line.url)
    yield application
    application.extensions["db_engine"].dispose()


@pytest.fixture
def db(app):
    with new_session(app, expire_on_commit=True) as session:
        yield session


@pytest.fixture
def org(db):
    org = make_org(db, slug=ORG)
    make_staff(db, org)
    db.commit()
    return org


def admin_client(app):
    client = app.test_client()
    assert login(client, "admin@example.test", STAFF_PASSWORD).status_code == 302
    return client


def write(client, **fields):
    token = csrf_token(client, "/admin/news/new")
    data = {"csrf_token": token, "title": "ปิดถนนซ่อมท่อประปา", "body": "งดใช้ถนนสายหลัก\nขออภัยในความไม่สะดวก",
            "starts_on": date.today().isoformat(), "area": "all", **fields}
    return client.post("/admin/news/new", data=data, content_type="multipart/form-data")


def villages(db) -> dict[int, int]:
    return dict(db.execute(select(Village.number, Village.id)).all())


def test_bad_period_and_bad_photo_are_refused_with_the_text_kept_and_nothing_stored(app, db, org):
    client = admin_client(app)
    ends_first = write(client, starts_on="2026-12-10", ends_on="2026-12-01")
    page = ends_first.get_data(as_text=True)
    assert ends_first.status_code == 400
    assert "The period ends before it starts" in page and "ปิดถนนซ่อมท่อประปา" in page
    assert 'value="2026-12-01"' in page
    not_a_photo = write(client, photo=(io.BytesIO(b"%PDF-1.4 not an image"), "photo.jpg"))
    assert not_a_photo.status_code == 415
    assert "ปิดถนนซ่อมท่อประปา" in not_a_photo.get_data(as_text=True)
    no_villages = write(client, area="villages")
    assert no_villages.status_code == 400
    assert db.scalar(select(func.count()).select_from(Announcement)) == 0
    assert db.scalar(select(func.count()).select_from(AdminChange)) == 0
    # Only staff who write news get the pages.
    officer = app.test_client()
    login(officer, "officer@example.test", STAFF_PASSWORD)
    assert officer.get("/admin/news/").status_code == 403


def test_write_edit_withdraw_with_a_clean_public_photo_and_the_record(app, db, org):
    client = admin_client(app)
    photo = jpeg(scene(7), taken=datetime(2026, 3, 1, 9, 0))
    sent = write(client, area="villages", villages=[str(villages(db)[1])],
                 photo=(io.BytesIO(photo), "news.jpg"))
    assert sent.status_code == 303
    item = db.scalar(select(Announcement))
    assert [v.number for v in item.villages] == [1]
    public = app.test_client().get(f"/news/{item.id}/photo")
    assert public.status_code == 200 and public.mimetype == "image/jpeg"
    assert b"Exif" not in public.data[:4096]  # re-encoded: no EXIF (or GPS) left
    token = csrf_token(client, f"/admin/news/{item.id}")
    changed = client.post(f"/admin/news/{item.id}", data={
        "csrf_token": token, "title": "ปิดถนน (เลื่อน)", "body": item.body,
        "starts_on": item.starts_on.isoformat(), "area": "all"})
    assert changed.status_code == 303
    db.expire_all()
    assert db.get(Announcement, item.id).villages == []
    assert app.test_client().get(f"/news/{item.id}").status_code == 200
    client.post(f"/admin/news/{item.id}/withdraw", data={"csrf_token": token})
    assert app.test_client().get(f"/news/{item.id}").status_code == 404
    assert app.test_client().get(f"/news/{item.id}/photo").status_code == 404
    assert client.get(f"/news/{item.id}").status_code == 200  # staff still see it, marked
    actions = [c.action for c in db.scalars(select(AdminChange).order_by(AdminChange.id))]
    assert actions == ["created", "changed", "withdrawn"]


def add(db, org, title, starts, ends=None, village_numbers=(), **columns):
    item = Announcement(organization_id=org.id, title=title, body=f"{title} รายละเอียด & <b>",
                        starts_on=starts, ends_on=ends, **columns)
    item.villages = [v for v in db.scalars(select(Village)) if v.number in village_numbers]
    db.add(item)
    db.flush()
    return item


DAY = date(2026, 5, 10)


def test_targeting_by_village_and_the_period(db, org):
    add(db, org, "ทั้งตำบล", DAY - timedelta(days=3), DAY + timedelta(days=3))
    add(db, org, "หมู่ 1", DAY, DAY, (1,))
    add(db, org, "หมู่ 2", DAY - timedelta(days=1), None, (2,))
    add(db, org, "ยังไม่ถึง", DAY + timedelta(days=1))
    add(db, org, "หมดแล้ว", DAY - timedelta(days=9), DAY - timedelta(days=1))
    add(db, org, "ถอนแล้ว", DAY - timedelta(days=1), withdrawn_at=datetime(2026, 5, 9, 10))
    db.commit()
    ids = villages(db)

    def titles(rows):
        return sorted(a.title for a in rows)

    assert titles(announcements.current(db, org.id, DAY)) == ["ทั้งตำบล", "หมู่ 1", "หมู่ 2"]
    assert titles(announcements.current(db, org.id, DAY, ids[1])) == ["ทั้งตำบล", "หมู่ 1"]
    assert titles(announcements.current(db, org.id, DAY + timedelta(days=1))) == [
        "ทั้งตำบล", "ยังไม่ถึง", "หมู่ 2"]
    # The news page keeps ended ones as past news, never the future or withdrawn.
    assert titles(announcements.published(db, org.id, DAY, ids[2])[0]) == [
        "ทั้งตำบล", "หมดแล้ว", "หมู่ 2"]


def test_home_news_page_and_feeds(app, db, org):
    today = announcements.today()
    item = add(db, org, "ประชุมประชาคม", today - timedelta(days=1), today + timedelta(days=1), (1,),
               photo=b"\xff\xd8jpeg", photo_thumb=b"\xff\xd8thumb", photo_sha256="a" * 64)
    add(db, org, "แจกน้ำดื่ม", today - timedelta(days=20), today - timedelta(days=10))
    add(db, org, "พรุ่งนี้", today + timedelta(days=1))
    db.commit()
    client = app.test_client()
    home = client.get("/").get_data(as_text=True)
    assert "ประชุมประชาคม" in home and "แจกน้ำดื่ม" not in home and "พรุ่งนี้" not in home
    news = client.get("/news?village=2").get_data(as_text=True)
    assert "แจกน้ำดื่ม" in news and "ประชุมประชาคม" not in news

    rss = client.get("/news.rss")
    assert rss.mimetype == "application/rss+xml"
    channel = ET.fromstring(rss.data).find("channel")
    items = channel.findall("item")
    assert [i.findtext("title") for i in items] == ["ประชุมประชาคม", "แจกน้ำดื่ม"]
    assert items[0].findtext("link") == f"{BASE}/news/{item.id}"
    assert items[0].find("enclosure").get("url") == f"{BASE}/news/{item.id}/photo"
    assert items[0].findtext("description") == "ประชุมประชาคม รายละเอียด & <b>"
    published = parsedate_to_datetime(items[0].findtext("pubDate"))
    assert published.tzinfo is not None and published.date() >= today - timedelta(days=2)
    assert channel.findtext("link") == f"{BASE}/news"

    atom = client.get("/news.atom")
    assert atom.mimetype == "application/atom+xml"
    feed = ET.fromstring(atom.data)
    assert feed.tag == f"{ATOM}feed"
    entries = feed.findall(f"{ATOM}entry")
    assert [e.findtext(f"{ATOM}title") for e in entries] == ["ประชุมประชาคม", "แจกน้ำดื่ม"]
    assert entries[0].findtext(f"{ATOM}id") == f"{BASE}/news/{item.id}"
    for entry in entries:
        assert datetime.fromisoformat(entry.findtext(f"{ATOM}updated")).tzinfo is not None
        assert entry.find(f"{ATOM}link").get("href").startswith(BASE + "/news/")
    assert feed.find(f"{ATOM}link[@rel='self']").get("href") == f"{BASE}/news.atom"


def drain(app) -> None:
    worker = Worker(app)
    for _ in range(20):
        if worker.run_once() == 0:
            return
    raise AssertionError("the outbox never emptied")


def follow_event(client, kind: str, user: str) -> None:
    body = webhook_body(event(kind, user, None))
    answer = client.post("/line/webhook", data=body, content_type="application/json",
                         headers={"X-Line-Signature": signature(body)})
    assert answer.status_code == 200


def test_a_push_to_villages_or_all_reaches_the_right_line_users_once(app, db, org, fake_line):
    west, east = (100.005, 10.005), (100.015, 10.005)
    make_incident(db, lon=west[0], lat=west[1], reporter_line_user=WEST_USER)
    make_incident(db, lon=east[0], lat=east[1], reporter_line_user=EAST_USER)
    followed = make_incident(db, lon=west[0], lat=west[1])
    db.execute(text("INSERT INTO incident_followers (incident_id, line_user) VALUES (:id, :u)"),
               {"id": followed.id, "u": FOLLOWER_USER})
    make_incident(db, lon=west[0], lat=west[1], reporter_line_user=GONE_USER)
    today = announcements.today()
    for_west = add(db, org, "ตัดไฟหมู่ 1", today, today, (1,))
    for_all = add(db, org, "ข่าวทั้งตำบล", today)
    db.commit()
    client = app.test_client()
    follow_event(client, "follow", FRIEND_USER)   # a friend of the account, never reported
    follow_event(client, "follow", GONE_USER)
    follow_event(client, "unfollow", GONE_USER)   # blocked us: left out
    drain(app)  # the case messages of the reports above, if any
    fake_line.pushes.clear()

    admin = admin_client(app)
    token = csrf_token(admin, "/admin/news/")
    pushed = admin.post(f"/admin/news/{for_west.id}/line",
                        data={"csrf_token": token, "audience": "villages"})
    assert pushed.status_code == 303
    assert fake_line.pushes == []  # not in the request: the worker sends it
    again = admin.post(f"/admin/news/{for_west.id}/line",
                       data={"csrf_token": token, "audience": "villages"})
    assert again.status_code == 409
    drain(app)
    drain(app)
    assert sorted(p["to"] for p in fake_line.pushes) == [WEST_USER, FOLLOWER_USER]
    text_sent = fake_line.pushes[0]["messages"][0]["text"]
    assert "ตัดไฟหมู่ 1" in text_sent and f"{BASE}/news/{for_west.id}" in text_sent

    fake_line.pushes.clear()
    fake_line.fail_next(1)  # LINE fails once: sent again later, still once
    admin.post(f"/admin/news/{for_all.id}/line", data={"csrf_token": token, "audience": "all"})
    drain(app)
    drain(app)
    assert sorted(p["to"] for p in fake_line.pushes) == sorted(
        [WEST_USER, EAST_USER, FOLLOWER_USER, FRIEND_USER])
    assert db.scalar(select(func.count()).select_from(Notification).where(
        Notification.announcement_id.is_not(None), Notification.status != "sent")) == 0
    # A village push of an announcement for the whole area makes no sense: refused.
    whole = add(db, org, "อีกข่าว", today)
    db.commit()
    assert admin.post(f"/admin/news/{whole.id}/line",
                      data={"csrf_token": token, "audience": "villages"}).status_code == 400


def test_the_demo_office_has_news_for_the_tambon_for_two_villages_and_past(demo_client):
    home = demo_client.get("/").get_data(as_text=True)
    assert "ขอเชิญร่วมประชาคมหมู่บ้าน" in home and "งดจ่ายน้ำประปาชั่วคราว" in home
    assert "รับสมัครเบี้ยยังชีพผู้สูงอายุ" not in home  # ended: news past, not on the home page
    everything = demo_client.get("/news").get_data(as_text=True)
    assert "รับสมัครเบี้ยยังชีพผู้สูงอายุ" in everything
    village_1 = demo_client.get("/news?village=1").get_data(as_text=True)
    assert "ขอเชิญร่วมประชาคมหมู่บ้าน" in village_1 and "งดจ่ายน้ำประปาชั่วคราว" not in village_1
    assert "งดจ่ายน้ำประปาชั่วคราว" in demo_client.get("/news?village=3").get_data(as_text=True)
