"""The crew's phone screen (390x844, real Chromium): the closing button's steps while the phone
finds its position and uploads (no double tap), the map's legend and the dispatcher's type
icons, a popup clear of the zoom buttons, and a closing under review still on the list."""
import re

import pytest
from geoalchemy2.functions import ST_X, ST_Y
from sqlalchemy import select

from mapdash.models import Category, Closing, Incident, User
from tests.crew_support import jpeg, scene

CREW_EMAIL = "crew@demo.mapdash.test"
PASSWORD = "demo-password"
AWAY = 0.005  # degrees of latitude the phone stands from the case: ~550 m, too far for evidence

# A slow GPS: the position for a closing comes 1.5 s after it is asked for.
SLOW_GPS = """(() => {
  const geolocation = navigator.geolocation;
  const asked = geolocation.getCurrentPosition.bind(geolocation);
  geolocation.getCurrentPosition = (found, failed, options) =>
    setTimeout(() => asked(found, failed, options), 1500);
})();"""

# Every label the send button shows, in order.
RECORD_STEPS = """() => {
  const button = document.getElementById("close-submit");
  window.steps = [button.textContent];
  new MutationObserver(() => {
    if (window.steps[window.steps.length - 1] !== button.textContent) window.steps.push(button.textContent);
  }).observe(button, { childList: true, characterData: true, subtree: true });
}"""


@pytest.fixture
def case(demo_session):
    crew = demo_session.scalars(select(User).where(User.email == CREW_EMAIL)).one()
    incident, lon, lat, icon = demo_session.execute(
        select(Incident, ST_X(Incident.location), ST_Y(Incident.location), Category.icon)
        .join(Category, Category.id == Incident.category_id)
        .where(Incident.assigned_to == crew.id, Incident.status == "in_progress",
               Incident.location.is_not(None)).order_by(Incident.id).limit(1)).one()
    return {"id": incident.id, "code": incident.tracking_code, "lon": lon, "lat": lat, "icon": icon}


@pytest.fixture
def crew_phone(browser, case):
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, locale="th-TH", device_scale_factor=2,
        is_mobile=True, has_touch=True, permissions=["geolocation"],
        geolocation={"latitude": case["lat"] + AWAY, "longitude": case["lon"], "accuracy": 10})
    context.add_init_script(SLOW_GPS)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield page
    context.close()
    assert errors == []


def overlap(a, b) -> bool:
    return not (a["x"] + a["width"] <= b["x"] or b["x"] + b["width"] <= a["x"]
                or a["y"] + a["height"] <= b["y"] or b["y"] + b["height"] <= a["y"])


def test_legend_icons_popup_and_closing_progress(live_server, crew_phone, case, demo_session,
                                                 screenshot_dir):
    page = crew_phone
    page.goto(live_server + "/crew/")
    page.fill("input[name=email]", CREW_EMAIL)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/crew/")
    card = f"#crew-list li[data-case='{case['id']}']"
    page.wait_for_selector(card)

    # The markers carry the dispatcher's type icons; the legend says what they mean.
    marker = f".case-marker.case-{case['id']}"
    icon = page.get_attribute(f"{marker} img", "src")  # its fingerprinted address (assets.py)
    assert re.fullmatch(rf"/static/icons/{case['icon']}\.svg\?v=[0-9a-f]{{16}}", icon)
    assert "mine" in page.get_attribute(marker, "class")
    page.click(".legend summary")
    legend = page.inner_text(".legend")
    assert "งานของฉัน (หมุดใหญ่)" in legend and "ตำแหน่งของคุณ" in legend and "กำลังดำเนินการ" in legend
    assert icon in [
        img.get_attribute("src") for img in page.query_selector_all(".legend img")]
    page.screenshot(path=str(screenshot_dir / "crew-legend-390.png"))
    page.click(".legend summary")

    # A case at the very top of the map: its popup's title is not under the zoom buttons.
    page.evaluate("""([lat, lon]) => {
      const map = window[JSON.parse(document.getElementById("crew-page").textContent).map];
      map.setView([lat, lon], 16, { animate: false });
      map.panBy([0, map.getSize().y / 2 - 40], { animate: false });
    }""", [case["lat"], case["lon"]])
    page.dispatch_event(marker, "click")  # other markers may lie on it
    page.wait_for_selector(f".leaflet-popup [data-case='{case['id']}']")
    page.wait_for_timeout(600)  # the pan and the fade
    title = page.locator(".leaflet-popup .case-title").bounding_box()
    zoom = page.locator(".leaflet-control-zoom").bounding_box()
    map_box = page.locator("#crew-map").bounding_box()
    assert not overlap(title, zoom)
    assert title["y"] >= map_box["y"]  # in sight, not under the map's top edge
    page.screenshot(path=str(screenshot_dir / "crew-popup-clear-of-zoom-390.png"))

    # Closing: "finding your position…", then "uploading n%…", and a second tap does nothing.
    page.click(f".leaflet-popup [data-close='{case['id']}']")
    page.wait_for_selector("#close-sheet[open]")
    photo = jpeg(scene(991, size=(4000, 3000)), quality=95)
    page.set_input_files("input[name=camera]", files=[
        {"name": "after.jpg", "mimeType": "image/jpeg", "buffer": photo}])
    page.click("label.choice:has(input[value=fixed])")
    page.fill("textarea[name=note]", "ซ่อมท่อประปาแล้ว")
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.emulateNetworkConditions", {  # a slow uplink: ~3 s for the photo
        "offline": False, "latency": 20, "downloadThroughput": -1,
        "uploadThroughput": len(photo) // 3})
    page.evaluate(RECORD_STEPS)
    page.click("#close-submit")
    page.wait_for_selector("#close-submit:has-text('กำลังหาตำแหน่ง')")
    assert page.is_disabled("#close-submit")
    page.evaluate("document.getElementById('close-form').requestSubmit()")  # a second tap
    page.screenshot(path=str(screenshot_dir / "crew-close-finding-position-390.png"))
    page.wait_for_function("() => /กำลังอัปโหลด [1-9][0-9]?%/.test("
                           "document.getElementById('close-submit').textContent)")
    assert page.is_disabled("#close-submit") and page.is_visible("#close-progress")
    page.screenshot(path=str(screenshot_dir / "crew-close-uploading-390.png"))
    page.wait_for_selector("#close-sheet", state="hidden", timeout=60_000)
    cdp.send("Network.emulateNetworkConditions", {
        "offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1})
    steps = page.evaluate("window.steps")
    assert steps[0] == "ส่งปิดงาน" and steps[1] == "กำลังหาตำแหน่งของคุณ…"
    uploads = [int(step.split()[1].rstrip("%…")) for step in steps if step.startswith("กำลังอัปโหลด")]
    assert len(uploads) >= 3 and uploads == sorted(uploads) and uploads[0] == 0
    assert steps[-1] == "ส่งปิดงาน"
    demo_session.expire_all()
    closings = demo_session.scalars(select(Closing).where(Closing.incident_id == case["id"])).all()
    assert len(closings) == 1 and closings[0].needs_review  # once; 550 m from the case

    # Closed, but the evidence is checked: still on my list, marked, without actions.
    page.wait_for_selector(f"{card} .chip-review")
    assert page.inner_text(f"{card} .chip-review") == "ปิดงานแล้ว รอตรวจหลักฐาน"
    page.reload()
    page.wait_for_selector(f"{card} .chip-review")
    page.click(f"{card} button")
    page.wait_for_selector(f".leaflet-popup [data-case='{case['id']}'] .chip-review")
    assert page.query_selector(f".leaflet-popup [data-close='{case['id']}']") is None
    page.locator(card).scroll_into_view_if_needed()
    page.screenshot(path=str(screenshot_dir / "crew-under-review-390.png"))
