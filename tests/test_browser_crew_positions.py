"""Crews' positions in real Chromium: a crew on a phone (390x844) shares where they are, the
dispatcher's map (1440x900 and a 820x1180 tablet) shows them as fresh, the case panel lists
them nearest first and one tap assigns; then the crew stops sharing."""
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from mapdash import db
from mapdash.cases import workflow
from mapdash.field import positions
from mapdash.models import CrewLastPosition, Incident, User
from mapdash.office.auth import create_user
from tests.factories import make_incident

CREW = "crew@demo.mapdash.test"
DISPATCHER = "dispatcher@demo.mapdash.test"
PASSWORD = "demo-password"
SHOTS = Path("/work/shots/crewpos")
TIMEOUT_MS = 15_000


@pytest.fixture
def scene(demo_app, demo_session):
    """Where the demo crew stands (at one of their cases), and a new streetlight case 300 m
    away, accepted and waiting for a crew (550 m once the crew has walked 250 m west)."""
    crew = demo_session.scalars(select(User).where(User.email == CREW)).one()
    dispatcher = demo_session.scalars(select(User).where(User.email == DISPATCHER)).one()
    lon, lat = 104.6205, 17.3502
    waiting = make_incident(demo_session, lon=lon + 0.0028, lat=lat,
                            description="ไฟฟ้าส่องสว่างดับ หน้าโรงเรียน")
    workflow.perform(demo_session, waiting.id, "accept", dispatcher)
    # Two more crews of the department: one shared 12 minutes ago from 1.6 km away, one never.
    far = create_user(demo_session, organization_id=crew.organization_id,
                      email="crew2@demo.mapdash.test", password=PASSWORD, role="crew",
                      department_code="engineering", display_name="ช่างโยธา สมศักดิ์")
    create_user(demo_session, organization_id=crew.organization_id,
                email="crew3@demo.mapdash.test", password=PASSWORD, role="crew",
                department_code="engineering", display_name="ช่างประปา วิชัย")
    taken = datetime.now(UTC) - timedelta(minutes=12)
    positions.record(demo_session, far, positions.PositionForm(
        lat=lat + 0.012, lon=lon + 0.004, accuracy=25, recorded_at=taken))
    demo_session.commit()
    SHOTS.mkdir(parents=True, exist_ok=True)
    return {"crew": crew.id, "crew_name": crew.display_name, "lon": lon, "lat": lat,
            "case": waiting.id, "far": far.id}


def sign_in(page, url, email):
    page.goto(url)
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(url)


def popup_shown(page):
    """Leaflet fades popups in: wait for it, so screenshots show the popup as people see it."""
    page.wait_for_function("() => (popup => popup && getComputedStyle(popup).opacity === '1')"
                           "(document.querySelector('.leaflet-popup'))")


def last_position(app, crew_id) -> CrewLastPosition | None:
    with db.new_session(app, expire_on_commit=True) as session:
        return session.get(CrewLastPosition, crew_id)


def test_a_crew_shares_and_the_dispatcher_sees_and_assigns_the_nearest(
        live_server, demo_app, browser, scene, screenshot_dir):
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, locale="th-TH", device_scale_factor=2,
        is_mobile=True, has_touch=True, service_workers="block", permissions=["geolocation"],
        geolocation={"latitude": scene["lat"], "longitude": scene["lon"], "accuracy": 12})
    phone = context.new_page()
    errors = []
    phone.on("pageerror", lambda exc: errors.append(str(exc)))
    sign_in(phone, live_server + "/crew/", CREW)
    bar = phone.locator("#crew-sharing")
    assert bar.get_attribute("data-state") == "off"
    assert "ไม่ได้แชร์ตำแหน่ง" in bar.inner_text()
    phone.click("#crew-sharing-toggle")
    phone.wait_for_selector("#crew-sharing[data-state='on']", timeout=TIMEOUT_MS)
    assert "กำลังแชร์ตำแหน่งของคุณ" in bar.inner_text() and "ส่งล่าสุดเมื่อ" in bar.inner_text()
    assert phone.locator("#crew-sharing-toggle").inner_text() == "หยุดแชร์"
    kept = last_position(demo_app, scene["crew"])
    assert kept is not None and kept.stopped_at is None and kept.accuracy_m == 12
    phone.wait_for_selector("#crew-list li")
    phone.screenshot(path=str(SHOTS / "crew-sharing-on-390x844.png"))
    phone.screenshot(path=str(screenshot_dir / "crew-sharing-on.png"))

    # Without signal the crew walks 250 m: the position waits on the phone, and goes when
    # the signal is back.
    context.set_offline(True)
    context.set_geolocation({"latitude": scene["lat"], "longitude": scene["lon"] - 0.0024,
                             "accuracy": 9})
    phone.wait_for_selector("#crew-sharing[data-state='waiting']", timeout=TIMEOUT_MS)
    assert "1 ตำแหน่งรอส่ง" in bar.inner_text()
    assert last_position(demo_app, scene["crew"]).accuracy_m == 12
    phone.screenshot(path=str(SHOTS / "crew-sharing-offline-390x844.png"))
    context.set_offline(False)
    phone.wait_for_selector("#crew-sharing[data-state='on']", timeout=TIMEOUT_MS)
    assert last_position(demo_app, scene["crew"]).accuracy_m == 9

    desk = browser.new_context(viewport={"width": 1440, "height": 900}, locale="th-TH")
    page = desk.new_page()
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    sign_in(page, live_server + "/dispatch/", DISPATCHER)
    pin = page.locator(f".crew-pin[data-crew='{scene['crew']}']")
    pin.wait_for(timeout=TIMEOUT_MS)
    assert "crew-fresh" in pin.get_attribute("class")
    assert page.locator("#crew-layer-count").inner_text() == "(2)"
    assert "crew-stale" in page.locator(f".crew-pin[data-crew='{scene['far']}']").get_attribute("class")
    page.evaluate("([lat, lon]) => window[document.getElementById('dispatch').dataset.map]"
                  ".setView([lat + 0.005, lon], 15)", [scene["lat"], scene["lon"]])
    pin.click()
    popup = page.locator(".crew-position-popup")
    popup.wait_for()
    popup_shown(page)
    text = popup.inner_text()
    assert scene["crew_name"] in text and "ล่าสุด" in text and "ส่งตำแหน่งเมื่อ" in text
    page.screenshot(path=str(SHOTS / "dispatch-crews-1440x900.png"))
    page.set_viewport_size({"width": 820, "height": 1180})
    page.evaluate("([lat, lon]) => window[document.getElementById('dispatch').dataset.map]"
                  ".closePopup().setView([lat + 0.005, lon], 15)", [scene["lat"], scene["lon"]])
    page.wait_for_selector(".crew-position-popup", state="detached")
    pin.click()
    popup.wait_for()
    popup_shown(page)
    page.screenshot(path=str(SHOTS / "dispatch-crews-820x1180.png"))
    # The layer box hides and shows them.
    page.click("#crew-layer")
    assert pin.count() == 0
    page.click("#crew-layer")
    pin.wait_for()

    page.set_viewport_size({"width": 1440, "height": 900})
    page.goto(f"{live_server}/dispatch/?case={scene['case']}")
    rows = page.locator("#case-panel .nearest-crews li")
    rows.first.wait_for(timeout=TIMEOUT_MS)
    first = rows.first
    assert first.get_attribute("data-crew") == str(scene["crew"])   # the only one sharing
    assert "550 ม." in first.inner_text() and "ล่าสุด" in first.inner_text()
    texts = rows.all_inner_texts()
    assert rows.nth(1).get_attribute("data-crew") == str(scene["far"])
    assert "1.3 กม." in texts[1] and "ไม่ล่าสุด" in texts[1] and "12 นาที" in texts[1]
    assert "ช่างประปา วิชัย" in texts[2] and "ไม่ได้แชร์ตำแหน่ง" in texts[2]
    page.locator("#case-panel .nearest-crews").scroll_into_view_if_needed()
    page.screenshot(path=str(SHOTS / "assign-nearest-crews-1440x900.png"))
    page.locator("#case-panel .nearest-crews").screenshot(
        path=str(SHOTS / "assign-nearest-crews-list.png"))
    first.locator("button[type=submit]").click()                        # one tap
    page.wait_for_selector("#case-panel .panel[data-status='assigned']", timeout=TIMEOUT_MS)
    with db.new_session(demo_app, expire_on_commit=True) as session:
        assert session.get(Incident, scene["case"]).assigned_to == scene["crew"]

    # The crew stops: off on the phone, off the dispatcher's map.
    phone.click("#crew-sharing-toggle")
    phone.wait_for_selector("#crew-sharing[data-state='off']")
    phone.wait_for_function("() => true")
    for _ in range(50):
        kept = last_position(demo_app, scene["crew"])
        if kept.stopped_at is not None:
            break
        phone.wait_for_timeout(100)
    assert kept.stopped_at is not None
    phone.screenshot(path=str(SHOTS / "crew-sharing-off-390x844.png"))
    context.close()
    desk.close()
    assert errors == []
