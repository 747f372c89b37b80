"""A citizen on a phone (390x844, Thai) in a real Chromium: choose, pin, photo, send, follow.

Map tiles are out of reach, as in a village with poor signal: the village outlines are ours."""
import re

import pytest
from sqlalchemy import select

from mapdash.i18n import BE_OFFSET, LOCAL_TZ
from mapdash.integrations.notify.worker import Worker
from mapdash.models import Incident
from tests import photo_samples as samples
from tests.factories import make_incident

PHONE = dict(viewport={"width": 390, "height": 844}, locale="th-TH", device_scale_factor=2,
             is_mobile=True, has_touch=True)


@pytest.fixture
def lamp_photo(tmp_path):
    path = tmp_path / "IMG_0042.jpg"
    path.write_bytes(samples.jpeg(size=(1200, 900), orientation=6))  # with GPS in its EXIF
    return path


def watch_errors(page) -> list:
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    return errors


def open_form(page, live_server):
    page.goto(live_server + "/report/streetlight")
    page.wait_for_selector("#place-map[data-loaded='13']")


def test_a_citizen_reports_a_streetlight_with_a_photo_and_follows_it(
        live_server, phone, screenshot_dir, lamp_photo, demo_session, demo_app):
    errors = watch_errors(phone)
    shots = screenshot_dir

    # 1. Choose what happened.
    phone.goto(live_server + "/")
    phone.screenshot(path=str(shots / "report-1-home-phone.png"))
    phone.get_by_role("link", name="ไฟฟ้าส่องสว่างดับ").tap()
    phone.wait_for_url("**/report/streetlight")
    phone.wait_for_selector("#place-map[data-loaded='13']")
    assert phone.locator("#use-location").is_visible()
    assert not phone.locator("#coords").evaluate("d => d.open")  # typed coordinates tucked away

    # 2. Say where: a tap on the map drops the pin, and the village shows.
    phone.locator("#place-map").scroll_into_view_if_needed()
    box = phone.locator("#place-map").bounding_box()
    phone.touchscreen.tap(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    phone.wait_for_selector("#place-village.inside")
    phone.wait_for_function("() => window[document.getElementById('place-map').dataset.map]"
                            ".getZoom() >= 15")  # zoomed in, so the pin can be dragged exactly
    village = phone.locator("#place-village").inner_text()
    assert re.search(r"หมู่ \d+ บ้าน", village)
    assert phone.locator(".leaflet-marker-icon").count() == 1
    lat, lon = float(phone.input_value("#lat")), float(phone.input_value("#lon"))
    assert 17.2 < lat < 17.5 and 104.5 < lon < 104.8
    phone.screenshot(path=str(shots / "report-2-pin-phone.png"))

    # 3. Add a photo and details.
    phone.set_input_files("#photos", str(lamp_photo))
    phone.wait_for_selector("#photo-previews img")
    phone.fill("#description", "ไฟดับ 2 ต้น หน้าศาลากลางบ้าน")
    phone.locator("#description").scroll_into_view_if_needed()
    phone.screenshot(path=str(shots / "report-3-photo-phone.png"))

    # 4. Send: the tracking code comes back with the link and QR code.
    phone.get_by_role("button", name="ส่งเรื่อง").tap()
    phone.wait_for_url(re.compile(r".*/track/[A-Z0-9]{4}-[A-Z0-9]{4}\?new=1$"))
    code = phone.locator("#tracking-code").inner_text().strip()
    assert re.fullmatch(r"[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}", code)
    assert phone.get_by_text("ส่งเรื่องเรียบร้อยแล้ว").is_visible()
    assert phone.locator("img.qr").evaluate("img => img.complete && img.naturalWidth > 0")
    phone.screenshot(path=str(shots / "report-4-received-phone.png"))
    phone.screenshot(path=str(shots / "report-4-received-phone-full.png"), full_page=True, scale="css")

    # 5. Later: type the code (as read over the phone) on the home page, see the status page.
    phone.goto(live_server + "/")
    phone.fill("#track-code", code.lower().replace("-", " "))
    phone.get_by_role("button", name="ดูสถานะ").tap()
    phone.wait_for_url(f"**/track/{code}")
    assert phone.locator("#case-status").inner_text() == "รอรับเรื่อง"
    assert village in phone.locator(".facts").inner_text()
    assert "กองช่าง" in phone.locator(".facts").inner_text()
    timeline = phone.locator(".timeline").inner_text()
    reported = demo_session.scalar(select(Incident.created_at).where(Incident.tracking_code == code))
    assert "รับแจ้งเรื่อง" in timeline and str(reported.astimezone(LOCAL_TZ).year + BE_OFFSET) in timeline
    # The photo is cleaned by the worker, off the request: until then a placeholder.
    assert "กำลังประมวลผลรูปภาพ" in phone.locator(".photo-grid .photo-pending").inner_text()
    assert Worker(demo_app).process_photos() == 1
    # The page finds the clean copy by itself (photo-pending.js), no reload.
    phone.wait_for_selector(".photo-grid a img")
    assert phone.locator(".photo-grid .photo-pending").count() == 0
    thumb = phone.locator(".photo-grid img").first
    thumb.scroll_into_view_if_needed()
    phone.wait_for_function("() => document.querySelector('.photo-grid img').naturalWidth > 0")
    assert thumb.evaluate("img => img.naturalHeight > img.naturalWidth")  # upright: EXIF applied
    phone.screenshot(path=str(shots / "report-5-status-phone.png"), full_page=True, scale="css")

    incident = demo_session.scalars(select(Incident).where(Incident.tracking_code == code)).one()
    assert len(incident.photos) == 1 and incident.village is not None
    assert errors == []


def test_use_my_location_places_the_pin_where_the_phone_is(live_server, browser, screenshot_dir):
    context = browser.new_context(**PHONE, geolocation={"latitude": 17.3612, "longitude": 104.6321},
                                  permissions=["geolocation"])
    page = context.new_page()
    open_form(page, live_server)
    page.get_by_role("button", name="ใช้ตำแหน่งปัจจุบันของฉัน").tap()
    page.wait_for_selector("#place-village.inside")
    assert page.input_value("#lat") == "17.361200" and page.input_value("#lon") == "104.632100"
    assert "ปักหมุดที่ตำแหน่งของคุณแล้ว" in page.inner_text("#geo-message")
    page.screenshot(path=str(screenshot_dir / "report-geolocation-phone.png"))
    context.close()


def test_a_refused_location_says_what_to_do_instead(live_server, browser, screenshot_dir):
    context = browser.new_context(**PHONE)  # the permission is not granted
    page = context.new_page()
    open_form(page, live_server)
    page.get_by_role("button", name="ใช้ตำแหน่งปัจจุบันของฉัน").tap()
    page.wait_for_function("() => document.getElementById('geo-message').textContent.includes('ไม่ได้รับอนุญาต')")
    assert "แตะแผนที่เพื่อปักหมุดเอง" in page.inner_text("#geo-message")
    page.screenshot(path=str(screenshot_dir / "report-geolocation-refused-phone.png"))
    context.close()


def test_typed_coordinates_outside_every_area_are_refused_before_sending(live_server, phone):
    open_form(phone, live_server)
    phone.locator("#coords summary").tap()
    phone.fill("#lat", "13.7563, 100.5018")  # pasted "lat, lon" from another map app
    phone.locator("#lon").dispatch_event("change")
    phone.locator("#lat").dispatch_event("change")
    phone.wait_for_selector("#place-village.outside")
    assert phone.input_value("#lon") == "100.5018"
    assert "นอกพื้นที่" in phone.inner_text("#place-village")
    phone.get_by_role("button", name="ส่งเรื่อง").tap()
    assert "/report/streetlight" in phone.url  # the form was not sent


def test_the_same_problem_nearby_is_offered_instead_of_a_duplicate(live_server, phone, demo_session,
                                                                  screenshot_dir):
    earlier = make_incident(demo_session, lon=104.6300, lat=17.3400)
    demo_session.commit()
    open_form(phone, live_server)
    phone.locator("#coords summary").tap()
    phone.fill("#lon", "104.6303")  # ~32 m east of the earlier report
    phone.fill("#lat", "17.3400")
    phone.locator("#lat").dispatch_event("change")
    phone.wait_for_selector("#nearby li")
    assert earlier.tracking_code in phone.inner_text("#nearby")
    phone.locator("#nearby").scroll_into_view_if_needed()
    phone.screenshot(path=str(screenshot_dir / "report-nearby-phone.png"))
    phone.get_by_role("button", name="เป็นปัญหาเดียวกัน (+1)").tap()
    phone.wait_for_url(f"**/track/{earlier.tracking_code}?followed=1")
    assert "คุณติดตามเรื่องนี้ (+1)" in phone.inner_text("main")
    demo_session.expire_all()
    assert demo_session.get(Incident, earlier.id).followers_count == 1


def test_a_photo_that_is_not_an_image_is_caught_on_the_phone(live_server, phone):
    open_form(phone, live_server)
    phone.set_input_files("#photos", [{"name": "photo.pdf", "mimeType": "application/pdf",
                                       "buffer": samples.PDF}])
    assert "ไม่ใช่รูปภาพ" in phone.inner_text("#photo-message")
    assert phone.locator("#photo-previews li").count() == 0


def test_the_form_works_without_javascript(live_server, browser, demo_session):
    context = browser.new_context(**PHONE, java_script_enabled=False)
    page = context.new_page()
    page.goto(live_server + "/report/streetlight")
    assert page.locator("#lat").is_visible()  # typed coordinates are the way to say where
    page.fill("#lat", "17.35")
    page.fill("#lon", "104.62")
    page.fill("#description", "ส่งจากโทรศัพท์ที่ปิดจาวาสคริปต์")
    page.get_by_role("button", name="ส่งเรื่อง").click()
    page.wait_for_url(re.compile(r".*/track/.*\?new=1$"))
    assert page.get_by_text("ส่งเรื่องเรียบร้อยแล้ว").is_visible()
    context.close()


def test_the_public_cases_page_on_a_phone_and_a_desktop(live_server, phone, desktop, screenshot_dir):
    for page, size in ((phone, "phone"), (desktop, "desktop")):
        errors = watch_errors(page)
        page.goto(live_server + "/cases?status=open")
        page.wait_for_selector("#cases-map[data-loaded]")
        assert int(page.get_attribute("#cases-map", "data-loaded")) > 0
        assert page.locator(".leaflet-marker-pane > *, .leaflet-overlay-pane path").count() > 0
        page.screenshot(path=str(screenshot_dir / f"cases-{size}.png"), full_page=size == "desktop")
        assert errors == []


def test_status_and_form_pages_at_desktop_size_in_english(live_server, desktop, demo_session,
                                                          screenshot_dir):
    case = make_incident(demo_session, lon=104.62, lat=17.35)
    demo_session.commit()
    desktop.goto(live_server + f"/track/{case.tracking_code}?lang=en")
    assert desktop.get_by_text("Report received").is_visible()
    desktop.screenshot(path=str(screenshot_dir / "status-desktop-en.png"), full_page=True, scale="css")
    desktop.goto(live_server + "/report/fire?lang=en")
    desktop.wait_for_selector("#place-map[data-loaded='13']")
    assert desktop.get_by_text("A report here does not replace calling").is_visible()
    desktop.screenshot(path=str(screenshot_dir / "report-fire-desktop-en.png"), full_page=True, scale="css")
