"""The dispatcher's live map in a real Chromium, with map tiles out of reach."""
import pytest
from sqlalchemy import select, text

from mapdash import db
from mapdash.cases.intake import Report, create_incident
from mapdash.demo.synthetic import seed_synthetic
from mapdash.models import Incident, IncidentEvent

DISPATCHER = "dispatcher@demo.mapdash.test"
PASSWORD = "demo-password"
TIMEOUT_MS = 15_000  # the page polls every 3 s; slack for a loaded test machine


def sign_in(page, base, email=DISPATCHER):
    page.goto(base + "/dispatch/")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/dispatch/")
    page.wait_for_selector("#dispatch[data-villages='13'][data-loaded]")


def report_now(app, **fields) -> Incident:
    """A citizen's report arriving while the dispatcher watches, through the one intake."""
    with db.new_session(app) as session:
        incident = create_incident(session, Report(**fields))
        session.commit()
        return incident


def drawn(page, key, wanted):
    """Wait until the map and list show what was asked: the page notes it once drawn."""
    page.wait_for_function("([key, wanted]) => (document.getElementById('dispatch').dataset[key]"
                           " || '').includes(wanted)", arg=[key, wanted])


@pytest.fixture
def watch_errors(desktop):
    errors = []
    desktop.on("pageerror", lambda exc: errors.append(str(exc)))
    yield errors
    assert errors == []


def test_a_new_case_appears_live_and_is_accepted_and_assigned(live_server, demo_app, desktop,
                                                              watch_errors, screenshot_dir):
    page = desktop
    sign_in(page, live_server)
    assert page.locator(".leaflet-overlay-pane path").count() == 13      # our villages, no tiles
    labels = page.locator(".village-count").all_inner_texts()
    # "ม. 3" over the number of open cases
    assert len(labels) == 13 and all(label.startswith("ม. ") and label.split()[-1].isdigit()
                                     for label in labels)
    page.screenshot(path=str(screenshot_dir / "dispatch-desktop.png"))
    page.evaluate("window.sameDocument = true")

    incident = report_now(demo_app, category_code="streetlight", lon=104.6205, lat=17.3502,
                          description="ไฟฟ้าส่องสว่างดับ 3 ต้น หน้าศาลากลางบ้าน",
                          reporter_name="ทดสอบ ระบบ", reporter_phone="080-000-1234")
    row = page.locator(f".case-row[data-case-id='{incident.id}']")
    row.wait_for(timeout=TIMEOUT_MS)
    assert page.evaluate("window.sameDocument") is True                  # no reload
    assert "ไฟฟ้าส่องสว่างดับ" in row.inner_text()

    row.click()
    panel = page.locator(f"#case-panel .panel[data-case-id='{incident.id}']")
    panel.wait_for()
    assert "080-000-1234" in panel.inner_text()                          # staff see the contact
    page.wait_for_function("() => document.getElementById('dispatch').dataset.zoom >= 16")
    page.locator(".case-marker.status-new").first.wait_for()

    page.click(".action-accept button[type=submit]")
    page.wait_for_selector("#case-panel .panel[data-status='accepted']")
    page.click(".action-assign summary")
    page.select_option(".action-assign select[name=assignee_id]", label="ช่างไฟฟ้า (สาธิต) (กองช่าง)")
    page.click(".action-assign button[type=submit]")
    page.wait_for_selector("#case-panel .panel[data-status='assigned']")

    timeline = page.locator("#case-panel .timeline")
    assert timeline.locator(".event-accept").count() == 1
    assert timeline.locator(".event-assign").count() == 1
    assert "เจ้าหน้าที่รับแจ้ง (สาธิต)" in timeline.locator(".event-assign").inner_text()
    # The list under the panel has followed the change too.
    page.locator(f".case-row[data-case-id='{incident.id}'] .status-assigned").wait_for(
        state="attached", timeout=TIMEOUT_MS)
    page.screenshot(path=str(screenshot_dir / "dispatch-desktop-case.png"))
    timeline.scroll_into_view_if_needed()
    page.screenshot(path=str(screenshot_dir / "dispatch-desktop-timeline.png"))

    with db.new_session(demo_app, expire_on_commit=True) as session:
        events = session.scalars(select(IncidentEvent.action).where(
            IncidentEvent.incident_id == incident.id).order_by(IncidentEvent.id)).all()
        assert events == ["report", "accept", "assign"]
        assert session.get(Incident, incident.id).assignee.email == "crew@demo.mapdash.test"


def test_a_new_emergency_raises_the_alarm_until_accepted(live_server, demo_app, desktop,
                                                         watch_errors, screenshot_dir):
    page = desktop
    sign_in(page, live_server)
    page.mouse.click(700, 500)  # a click lets the page make sound
    incident = report_now(demo_app, category_code="ems", lon=104.6215, lat=17.3515,
                          description="รถจักรยานยนต์ล้ม มีผู้บาดเจ็บ 2 ราย")
    alert = page.locator(f"#alert-list li[data-case-id='{incident.id}']")
    alert.wait_for(timeout=TIMEOUT_MS)
    page.wait_for_function("() => Number(document.getElementById('alert-bar').dataset.beeps) >= 2",
                           timeout=TIMEOUT_MS)
    page.screenshot(path=str(screenshot_dir / "dispatch-desktop-alert.png"))

    alert.locator(".alert-accept").click()
    page.wait_for_selector("#alert-bar", state="hidden", timeout=TIMEOUT_MS)
    page.wait_for_selector(f"#case-panel .panel[data-case-id='{incident.id}'][data-status='accepted']")
    with db.new_session(demo_app, expire_on_commit=True) as session:
        assert session.get(Incident, incident.id).status == "accepted"


def test_filters_and_layers_on_a_tablet(live_server, demo_app, browser, screenshot_dir):
    report_now(demo_app, category_code="info_request", description="ขอทราบกำหนดการจ่ายเบี้ยยังชีพ")
    context = browser.new_context(viewport={"width": 1024, "height": 768}, locale="th-TH",
                                  has_touch=True)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        sign_in(page, live_server)
        # Information requests, appointments and registrations have no place: listed apart,
        # on request.
        page.click("#list-switch")
        drawn(page, "list", "noplace")
        apart = set(page.locator(".case-row .row-title").all_inner_texts())
        assert apart and apart <= {"ขอข้อมูลข่าวสาร", "นัดหมายล่วงหน้า",
                                   "ลงทะเบียนรับเบี้ยยังชีพผู้สูงอายุ"}
        page.click("#list-switch")
        drawn(page, "list", "view")
        total = int(page.locator("#dispatch").get_attribute("data-cases"))
        page.click("label.type-toggle:has(input[value='streetlight'])")   # streetlights off
        drawn(page, "query", "type=")
        rows = page.locator(".case-row .row-title").all_inner_texts()
        assert 0 < len(rows) < total and "ไฟฟ้าส่องสว่างดับ" not in rows
        page.screenshot(path=str(screenshot_dir / "dispatch-tablet.png"))

        page.check("input[name=overdue]")
        drawn(page, "query", "overdue=1")
        assert page.locator(".case-row").count() == page.locator(".case-row.overdue").count()
        page.locator(".case-row").first.click()
        page.locator("#case-panel .panel").wait_for()
        page.wait_for_function("() => document.getElementById('dispatch').dataset.zoom >= 16")
        page.screenshot(path=str(screenshot_dir / "dispatch-tablet-case.png"))

        # Too many cases for markers in a zoom-14 view: the server's vector tiles draw them
        # (dots, or cells where they crowd), with the background tiles out of reach.
        with db.new_session(demo_app) as session:
            seed_synthetic(session, 4000, open_share=0.6)
            session.execute(text(  # no alarm of 600 emergencies over the map
                "UPDATE incidents SET status = 'accepted' WHERE status = 'new' AND category_id"
                " IN (SELECT id FROM categories WHERE emergency)"))
            session.commit()
        page.uncheck("input[name=overdue]")
        drawn(page, "query", "type=")
        page.evaluate("""() => {
            const root = document.getElementById('dispatch');
            const map = window[root.dataset.map];
            map.fitBounds(JSON.parse(root.dataset.bounds), { animate: false });
            map.setZoom(14, { animate: false });
        }""")
        drawn(page, "layer", "tiles")
        drawn(page, "tiles", "1")  # every tile in view loaded
        page.wait_for_function("() => document.querySelectorAll("
                               "'.leaflet-case-tiles-pane path').length > 20")
        assert page.locator(".case-marker").count() == 0
        page.screenshot(path=str(screenshot_dir / "dispatch-tablet-tiles.png"))
        assert errors == []
    finally:
        context.close()


def test_an_officer_sees_only_their_department(live_server, desktop, watch_errors):
    sign_in(desktop, live_server, "officer@demo.mapdash.test")
    department = desktop.locator("select[name=department]")
    assert department.is_disabled() and department.locator("option").all_inner_texts() == ["กองช่าง"]
    titles = set(desktop.locator(".case-row .row-title").all_inner_texts())
    assert titles and titles <= {"ไฟฟ้าส่องสว่างดับ", "ประปาชำรุด", "ทางชำรุด"}


def test_a_change_by_someone_else_keeps_what_the_dispatcher_was_typing(live_server, demo_app,
                                                                       desktop, watch_errors):
    from mapdash.cases import workflow
    from mapdash.office.auth import find_user

    page = desktop
    incident = report_now(demo_app, category_code="water", lon=104.6201, lat=17.3505,
                          description="ท่อประปาแตก น้ำไหลนอง")
    sign_in(page, live_server)
    page.locator(f".case-row[data-case-id='{incident.id}']").click()
    page.click(".action-request_info summary")
    page.fill(".action-request_info textarea[name=note]", "กรุณาส่งรูปถ่ายจุดที่ท่อแตก")

    with db.new_session(demo_app, expire_on_commit=True) as session:  # another dispatcher accepts it
        workflow.perform(session, incident.id, "accept", find_user(session, "admin@demo.mapdash.test"))
        session.commit()
    page.wait_for_selector("#case-panel .panel[data-status='accepted']", timeout=TIMEOUT_MS)
    assert page.locator(".action-accept").count() == 0
    assert page.locator(".action-request_info details").get_attribute("open") is not None
    assert page.input_value(".action-request_info textarea[name=note]") == "กรุณาส่งรูปถ่ายจุดที่ท่อแตก"
