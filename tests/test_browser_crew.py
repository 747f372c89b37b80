"""A crew member on a phone (390x844, real Chromium): map, popup, closing with a photo, offline."""
import io

import pytest
from geoalchemy2.functions import ST_X, ST_Y
from playwright.sync_api import Error as PlaywrightError
from sqlalchemy import func, select

from mapdash.field import fieldwork
from mapdash.models import Closing, Incident, IncidentEvent, User
from tests.crew_support import add_report_photo, jpeg, resaved_smaller, scene

CREW_EMAIL = "crew@demo.mapdash.test"
PASSWORD = "demo-password"


@pytest.fixture
def case(demo_app, demo_session):
    """One of the demo crew's cases not yet started, now with a citizen's photo."""
    crew = demo_session.scalars(select(User).where(User.email == CREW_EMAIL)).one()
    incident, lon, lat = demo_session.execute(
        select(Incident, ST_X(Incident.location), ST_Y(Incident.location))
        .where(Incident.assigned_to == crew.id, Incident.status.in_(("assigned", "in_progress")),
               Incident.location.is_not(None))
        .order_by(Incident.status != "assigned", Incident.id).limit(1)).one()
    photo = jpeg(scene(4242))
    with demo_app.app_context():
        add_report_photo(demo_session, incident, photo)
    demo_session.commit()
    return {"id": incident.id, "code": incident.tracking_code, "lon": lon, "lat": lat,
            "citizen_photo": photo}


@pytest.fixture
def crew_phone(browser, case):
    """A phone standing at the case, which lets the page know where it is."""
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, locale="th-TH", device_scale_factor=2,
        is_mobile=True, has_touch=True, service_workers="allow", permissions=["geolocation"],
        geolocation={"latitude": case["lat"], "longitude": case["lon"], "accuracy": 10})
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield page
    context.close()
    assert errors == []


def sign_in(page, live_server):
    page.goto(live_server + "/crew/")
    page.fill("input[name=email]", CREW_EMAIL)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/crew/")


def open_popup(page, case):
    page.wait_for_selector(f"#crew-list li[data-case='{case['id']}']")
    page.click(f"#crew-list li[data-case='{case['id']}'] button")
    page.wait_for_selector(f".leaflet-popup [data-case='{case['id']}']")
    # Leaflet fades popups in: wait for it, so screenshots show the popup as people see it.
    page.wait_for_function("() => (popup => popup && getComputedStyle(popup).opacity === '1')"
                           "(document.querySelector('.leaflet-popup'))")
    # The map pans the popup into view and the page scrolls to the map: measure at rest.
    page.wait_for_function("""() => new Promise((resolve) => {
        const at = () => `${document.querySelector('.leaflet-popup').getBoundingClientRect().top},${scrollY}`;
        const before = at();
        setTimeout(() => resolve(at() === before), 300);
    })""")


def fill_closing(page, case, photo: bytes, note="เปลี่ยนหลอดไฟใหม่ 1 ดวง"):
    page.click(f".leaflet-popup [data-close='{case['id']}']")
    page.wait_for_selector("#close-sheet[open]")
    page.set_input_files("input[name=camera]", files=[
        {"name": "after.jpg", "mimeType": "image/jpeg", "buffer": photo}])
    page.wait_for_selector("#close-previews img")
    page.click("label.choice:has(input[value=fixed])")
    page.fill("textarea[name=note]", note)


def closings_of(session, case_id) -> list[Closing]:
    session.expire_all()
    return session.scalars(select(Closing).where(Closing.incident_id == case_id)).all()


def test_crew_closes_a_case_from_its_popup(live_server, crew_phone, case, demo_session, screenshot_dir):
    page = crew_phone
    sign_in(page, live_server)
    page.wait_for_selector("#crew-list li:nth-child(2)")  # cases near me, not only mine
    page.screenshot(path=str(screenshot_dir / "crew-list-phone.png"))
    open_popup(page, case)
    page.screenshot(path=str(screenshot_dir / "crew-popup-phone.png"))
    page.click(f".leaflet-popup [data-start='{case['id']}']")
    page.wait_for_selector(f"#crew-toast:has-text('{case['code']}')")
    assert demo_session.get(Incident, case["id"]).status == "in_progress"

    open_popup(page, case)
    popup = page.locator(".leaflet-popup")
    assert popup.locator(f"[data-start='{case['id']}']").count() == 0
    assert popup.locator(".thumbs img").count() == 1  # the citizen's photo
    navigate = popup.locator("[data-navigate]")
    assert navigate.get_attribute("href") == (
        f"https://www.google.com/maps/dir/?api=1&destination={case['lat']},{case['lon']}")
    box = popup.locator(f"[data-close='{case['id']}']").bounding_box()
    assert box["height"] >= 44 and box["y"] > 844 * 0.4  # in reach of a thumb

    fill_closing(page, case, jpeg(scene(4243)))
    page.screenshot(path=str(screenshot_dir / "crew-close-sheet-phone.png"))
    submit = page.locator("#close-form button[type=submit]").bounding_box()
    assert submit["height"] >= 48 and submit["y"] + submit["height"] > 844 - 120
    page.click("#close-form button[type=submit]")
    page.wait_for_selector(f"#crew-toast:has-text('{case['code']}')")
    assert "ตรวจสอบ" not in page.inner_text("#crew-toast")
    page.wait_for_selector(f"#crew-list li[data-case='{case['id']}']", state="detached")
    page.screenshot(path=str(screenshot_dir / "crew-closed-phone.png"))

    closing, = closings_of(demo_session, case["id"])
    incident = demo_session.get(Incident, case["id"])
    assert incident.status == "resolved" and not closing.needs_review
    assert [p.kind for p in closing.photos] == ["evidence"]
    assert closing.position_accuracy_m == 10
    last = demo_session.scalars(select(IncidentEvent).where(IncidentEvent.incident_id == case["id"])
                                .order_by(IncidentEvent.id.desc()).limit(1)).one()
    assert last.action == "resolve" and last.id == closing.event_id
    assert last.note == "แก้ไขแล้ว: เปลี่ยนหลอดไฟใหม่ 1 ดวง"


def test_the_citizens_photo_resaved_smaller_flags_the_case(live_server, crew_phone, case, demo_session,
                                                           screenshot_dir):
    page = crew_phone
    sign_in(page, live_server)
    open_popup(page, case)
    fill_closing(page, case, resaved_smaller(case["citizen_photo"]), note="ซ่อมแล้ว")
    page.click("#close-form button[type=submit]")
    page.wait_for_selector("#crew-toast.warn")
    assert "ต้องให้เจ้าหน้าที่ตรวจสอบ" in page.inner_text("#crew-toast")
    page.screenshot(path=str(screenshot_dir / "crew-flagged-phone.png"))
    closing, = closings_of(demo_session, case["id"])
    assert closing.needs_review
    assert demo_session.get(Incident, case["id"]).evidence_review == "needs_review"


def test_closing_without_signal_is_sent_once_when_it_returns(live_server, crew_phone, case, demo_session,
                                                             screenshot_dir):
    page = crew_phone
    sign_in(page, live_server)
    page.wait_for_function("() => navigator.serviceWorker.controller !== null")
    open_popup(page, case)  # loads the citizen's photo once, so the phone keeps it

    page.context.set_offline(True)
    page.reload()  # the page and my cases come from the phone
    page.wait_for_selector("#crew-status:has-text('ไม่มีสัญญาณ')")
    page.wait_for_selector(".village-label")  # the villages were kept too
    open_popup(page, case)
    fill_closing(page, case, jpeg(scene(4244)))
    page.click("#close-form button[type=submit]")
    chip = f"#crew-list li[data-case='{case['id']}'] .chip-waiting"
    page.wait_for_selector(chip)
    assert page.inner_text(chip) == "รอส่ง"
    page.wait_for_selector("#crew-outbox:has-text('1 งานรอส่ง')")
    page.screenshot(path=str(screenshot_dir / "crew-waiting-offline-phone.png"))
    assert closings_of(demo_session, case["id"]) == []

    page.context.set_offline(False)
    page.wait_for_selector("#crew-outbox", state="hidden")
    page.wait_for_selector(f"#crew-toast:has-text('{case['code']}')")
    page.reload()  # and nothing is sent again
    page.wait_for_selector("#crew-list li")
    assert page.evaluate("CrewOutbox.all().then((items) => items.length)") == 0
    closings = closings_of(demo_session, case["id"])
    assert len(closings) == 1 and len(closings[0].photos) == 1
    assert demo_session.scalar(select(func.count()).select_from(IncidentEvent).where(
        IncidentEvent.incident_id == case["id"], IncidentEvent.action == "resolve")) == 1
    assert demo_session.get(Incident, case["id"]).status == "resolved"


# A closing waiting in the phone's outbox, as the page queues one: what the crew chose and
# wrote, and the photo itself.
QUEUE_CLOSING = """async ([caseId, code, key, note, photo]) => {
  const page = JSON.parse(document.getElementById("crew-page").textContent);
  await CrewOutbox.put({
    key, kind: "close", crew: page.crew, caseId, code,
    url: page.urls.close.replace("{id}", caseId), createdAt: new Date().toISOString(),
    fields: { idempotency_key: key, result: "fixed", reason: "", note },
    photos: [{ blob: new Blob([new Uint8Array(photo)], { type: "image/jpeg" }), name: "after.jpg" }],
  });
  window.dispatchEvent(new Event("online"));  // the signal is back: the outbox sends
}"""


def test_a_closing_whose_key_closed_the_case_otherwise_is_shown_and_dropped(
        live_server, crew_phone, case, demo_app, demo_session, screenshot_dir):
    # The case was closed with this key and one note; the phone still holds the key with another.
    crew = demo_session.scalars(select(User).where(User.email == CREW_EMAIL)).one()
    key = "6d1f4c2a-93b7-4e58-a0c1-7b2e9f3d5a18"
    with demo_app.app_context():
        fieldwork.close_case(demo_session, case["id"], crew, fieldwork.ClosingForm(
            idempotency_key=key, result="fixed", note="เปลี่ยนหลอดไฟแล้ว",
            photos=[io.BytesIO(jpeg(scene(4246)))]))
    demo_session.commit()

    page = crew_phone
    sign_in(page, live_server)
    page.wait_for_selector("#crew-list li")
    page.evaluate(QUEUE_CLOSING, [case["id"], case["code"], key, "ซ่อมสายไฟอีกจุด",
                                  list(jpeg(scene(4247), quality=60))])
    notice = page.locator("#crew-notices li")
    notice.wait_for()
    text = notice.inner_text()
    assert case["code"] in text and "แก้ไขแล้ว: เปลี่ยนหลอดไฟแล้ว" in text
    assert "ไม่ได้บันทึก" in text
    page.screenshot(path=str(screenshot_dir / "crew-closing-conflict-phone.png"))
    assert page.evaluate("CrewOutbox.all().then((items) => items.length)") == 0
    notice.get_by_role("button").click()  # it stays until the crew has read it
    assert page.locator("#crew-notices li").count() == 0

    closing, = closings_of(demo_session, case["id"])
    assert closing.note == "เปลี่ยนหลอดไฟแล้ว" and len(closing.photos) == 1


def test_crew_page_at_desktop_size(live_server, browser, case, screenshot_dir):
    context = browser.new_context(viewport={"width": 1440, "height": 900}, locale="th-TH",
                                  permissions=["geolocation"],
                                  geolocation={"latitude": case["lat"], "longitude": case["lon"]})
    page = context.new_page()
    sign_in(page, live_server)
    open_popup(page, case)
    page.screenshot(path=str(screenshot_dir / "crew-map-desktop.png"))
    context.close()


KEPT_OFFLINE = """caches.keys().then(async (names) => {
  let kept = 0;
  for (const name of names.filter((n) => n.startsWith("mapdash-crew-")))
    kept += (await (await caches.open(name)).keys()).length;
  return kept;
})"""


def test_signing_out_forgets_what_the_phone_kept(live_server, crew_phone, case, screenshot_dir):
    page = crew_phone
    sign_in(page, live_server)
    page.wait_for_function("() => navigator.serviceWorker.controller !== null")
    open_popup(page, case)
    page.wait_for_function(f"() => {KEPT_OFFLINE}")

    # A closing still waiting for signal: the crew member is asked first, and may stay.
    page.context.set_offline(True)
    fill_closing(page, case, jpeg(scene(4245)))
    page.click("#close-form button[type=submit]")
    page.wait_for_selector("#crew-outbox:has-text('1 งานรอส่ง')")
    asked = []
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
    page.click("#sign-out button")
    page.wait_for_function("() => document.getElementById('sign-out').dataset.forgotten === undefined")
    page.wait_for_timeout(200)  # a dismissed confirm leaves the page as it was
    assert asked and "1 รายการที่ยังไม่ได้ส่ง" in asked[0]
    assert page.url.endswith("/crew/") and page.evaluate(KEPT_OFFLINE) > 0

    page.context.set_offline(False)
    page.wait_for_selector("#crew-outbox", state="hidden")
    page.click("#sign-out button")
    page.wait_for_url(live_server + "/")
    assert page.evaluate(KEPT_OFFLINE) == 0

    # Without signal, the crew page is gone from the phone, not shown to the next person.
    page.context.set_offline(True)
    with pytest.raises(PlaywrightError, match="ERR_"):  # the browser's own "no internet"
        page.goto(live_server + "/crew/")
