"""The case type, village and response template pages in a real Chromium, at desktop
(1440x900) and tablet (820x1180) size, map tiles out of reach. An admin adds a case type with
two questions, a citizen reports with it on a phone, and the dispatcher reads the answers."""
import json
import re

import pytest
from sqlalchemy import select, text

from mapdash.models import Incident
from tests.test_browser_dispatch import sign_in as dispatcher_signs_in

ADMIN = "admin@demo.mapdash.test"
PASSWORD = "demo-password"
TABLET = dict(viewport={"width": 820, "height": 1180}, locale="th-TH", has_touch=True)


def admin_signs_in(page, base, path="/admin/types/"):
    page.goto(base + path)
    page.fill("input[name=email]", ADMIN)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**" + path)


@pytest.fixture
def errors(desktop):
    found: list = []
    desktop.on("pageerror", lambda exc: found.append(str(exc)))
    yield found
    assert found == []


def test_an_admin_adds_a_type_with_questions_and_a_citizen_reports_with_it(
        live_server, browser, desktop, phone, errors, demo_session, screenshot_dir):
    page = desktop
    admin_signs_in(page, live_server)
    page.screenshot(path=str(screenshot_dir / "admin-types-desktop.png"), full_page=True, scale="css")
    page.click("#add-type")
    page.wait_for_url("**/admin/types/new")
    page.fill("input[name=name_th]", "ต้นไม้ล้มขวางทาง")
    page.fill("input[name=name_en]", "Fallen tree")
    page.fill("input[name=code]", "tree")
    page.click("label.icon-choice:has(input[value=road])")
    page.fill("#color", "#15803d")
    page.select_option("select[name=department_id]", label="กองช่าง")
    page.fill("input[name=contact_name]", "นายสมชาย ใจดี")
    page.fill("input[name=contact_phone]", "08-1234-5678")
    page.fill("#limit-work-amount", "2")
    # The editor's buttons send the form and show it again with the change (no JS needed).
    page.click("#add-question")
    page.wait_for_selector("input[name='q-0-code']")
    page.fill("input[name='q-0-code']", "size")
    page.select_option("select[name='q-0-datatype']", "singlevaluelist")
    page.fill("input[name='q-0-description_th']", "ขนาดต้นไม้")
    page.check("input[name='q-0-required']")
    for j, (key, name) in enumerate((("small", "เล็ก"), ("big", "ใหญ่"))):
        page.click("#q-0 button.add-value")
        page.wait_for_selector(f"input[name='q-0-v-{j}-key']")
        page.fill(f"input[name='q-0-v-{j}-key']", key)
        page.fill(f"input[name='q-0-v-{j}-name_th']", name)
    page.click("#add-question")
    page.wait_for_selector("input[name='q-1-code']")
    page.fill("input[name='q-1-code']", "blocking")
    page.fill("input[name='q-1-description_th']", "ขวางถนนกี่ช่องทาง")
    assert page.locator("#q-1 .values").is_hidden()  # answers to choose: list kinds only
    assert page.input_value("input[name=name_th]") == "ต้นไม้ล้มขวางทาง"  # kept across presses
    page.screenshot(path=str(screenshot_dir / "admin-type-form-desktop.png"), full_page=True, scale="css")
    page.click("#save-type")
    page.wait_for_url(re.compile(r".*/admin/types/#type-\d+$"))
    assert "ต้นไม้ล้มขวางทาง" in page.locator(".case-types").inner_text()

    # A citizen reports a fallen tree: the officer and both questions are on the form.
    phone.goto(live_server + "/report/tree")
    phone.wait_for_selector("#place-map[data-loaded='13']")
    assert "นายสมชาย ใจดี" in phone.locator(".type-contact").inner_text()
    phone.screenshot(path=str(screenshot_dir / "admin-type-report-form-phone.png"))
    phone.locator("#place-map").scroll_into_view_if_needed()
    box = phone.locator("#place-map").bounding_box()
    phone.touchscreen.tap(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    phone.wait_for_selector("#place-village.inside")
    phone.fill("#description", "ต้นไม้ล้มขวางถนนหน้าวัด")
    phone.select_option("select[name='attribute[size]']", "big")
    phone.fill("input[name='attribute[blocking]']", "ทั้งสองช่อง")
    phone.get_by_role("button", name="ส่งเรื่อง").tap()
    phone.wait_for_url(re.compile(r".*/track/.*\?new=1$"))
    demo_session.expire_all()
    incident = demo_session.scalars(select(Incident).order_by(Incident.id.desc())).first()
    assert incident.category.code == "tree"
    assert incident.attributes == {"size": "big", "blocking": "ทั้งสองช่อง"}
    assert incident.time_limits.minutes["work"] == 2 * 24 * 60

    # The dispatcher opens it: the answers are in the panel.
    context = browser.new_context(viewport={"width": 1440, "height": 900}, locale="th-TH")
    page = context.new_page()
    dispatcher_signs_in(page, live_server)
    row = page.locator(f".case-row[data-case-id='{incident.id}']")
    row.wait_for()
    row.click()
    panel = page.locator(f"#case-panel .panel[data-case-id='{incident.id}']")
    panel.wait_for()
    assert "ขนาดต้นไม้" in panel.inner_text() and "ใหญ่" in panel.inner_text()
    assert "ทั้งสองช่อง" in panel.inner_text()
    context.close()


def test_the_admin_pages_on_a_desktop_and_a_tablet(live_server, browser, demo_session,
                                                   screenshot_dir, tmp_path):
    rows = demo_session.execute(text("SELECT number, name_th, ST_AsGeoJSON(geom) FROM villages "
                                     "ORDER BY number")).all()
    villages = tmp_path / "villages.geojson"
    villages.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"moo": n, "name_th": name},
         "geometry": json.loads(g)} for n, name, g in rows]}, ensure_ascii=False))
    for size, options in (("desktop", dict(viewport={"width": 1440, "height": 900},
                                           locale="th-TH")), ("tablet", TABLET)):
        context = browser.new_context(**options)
        page = context.new_page()
        found: list = []
        page.on("pageerror", lambda exc, found=found: found.append(str(exc)))
        try:
            admin_signs_in(page, live_server)
            page.screenshot(path=str(screenshot_dir / f"admin-types-{size}.png"), full_page=True, scale="css")
            page.click(".edit-link >> nth=0")
            page.wait_for_selector("#type-form")
            page.screenshot(path=str(screenshot_dir / f"admin-type-edit-{size}.png"),
                            full_page=True, scale="css")
            # A refusal keeps what was typed and says what is wrong beside the field.
            page.fill("#color", "green")
            page.eval_on_selector("#type-form", "f => f.noValidate = true")
            page.click("#save-type")
            page.wait_for_selector("#form-error")
            assert page.input_value("#color") == "green"
            page.screenshot(path=str(screenshot_dir / f"admin-type-refused-{size}.png"))

            page.goto(live_server + "/admin/villages/")
            page.screenshot(path=str(screenshot_dir / f"admin-villages-{size}.png"),
                            full_page=True, scale="css")
            page.set_input_files("input[name=file]", str(villages))
            page.click("#check-villages")
            page.wait_for_selector(f"#village-preview[data-loaded='{len(rows)}']")
            assert page.locator(".leaflet-overlay-pane path").count() == len(rows)
            page.screenshot(path=str(screenshot_dir / f"admin-villages-preview-{size}.png"),
                            full_page=True, scale="css")
            page.click("#confirm-villages")
            page.wait_for_url("**/admin/villages/")

            page.goto(live_server + "/admin/templates/new")
            page.select_option("select[name=action]", "request_info")
            page.fill("input[name=title]", "ขอรูปเพิ่ม")
            page.fill("textarea[name=text_th]", "กรุณาส่งรูปถ่ายจุดที่เกิดเหตุเพิ่มเติม")
            page.screenshot(path=str(screenshot_dir / f"admin-template-form-{size}.png"),
                            full_page=True, scale="css")
            page.click("#save-template")
            page.wait_for_url(re.compile(r".*/admin/templates/#template-\d+$"))
            page.screenshot(path=str(screenshot_dir / f"admin-templates-{size}.png"),
                            full_page=True, scale="css")
            assert found == []
        finally:
            context.close()
