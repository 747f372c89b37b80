"""Staff intake, the receipt, the case list and the new-case badge in a real Chromium."""
from sqlalchemy import select

from mapdash import db
from mapdash.cases import workflow
from mapdash.models import Incident, User
from tests.test_browser_dispatch import DISPATCHER, report_now, sign_in

TABLET = {"width": 820, "height": 1180}


def test_a_phone_request_is_found_again_by_phone_after_it_is_closed(live_server, demo_app, desktop,
                                                                    screenshot_dir):
    page = desktop
    sign_in(page, live_server)
    page.click("#intake-link")
    page.click("a.intake-type[href$='/intake/streetlight']")
    page.screenshot(path=str(screenshot_dir / "intake-desktop.png"), full_page=True, scale="css")
    page.check("input[name=channel][value=phone]")
    page.fill("input[name=reporter_name]", "ป้าแดง ทดสอบ")
    page.fill("input[name=reporter_phone]", "089-555 0123")
    page.fill("textarea[name=description]", "ไฟดับสามต้นหน้าวัดโพธิ์ชัย")
    page.select_option("select[name=village]", "3")
    page.click("#submit-intake")
    page.wait_for_url("**/dispatch/receipt/*")
    code = page.inner_text("#receipt-code").strip()
    assert "ทางโทรศัพท์" in page.inner_text("#receipt")
    page.screenshot(path=str(screenshot_dir / "receipt-desktop.png"), full_page=True, scale="css")
    page.emulate_media(media="print")
    page.screenshot(path=str(screenshot_dir / "receipt-print.png"), full_page=True, scale="css")
    page.emulate_media(media="screen")

    # On the live map, among the cases with no place (only a village was given), by phone.
    page.goto(live_server + "/dispatch/")
    page.wait_for_selector("#dispatch[data-loaded]")
    page.click("#list-switch")
    listed = page.locator(".case-row", has_text=code)
    listed.wait_for()
    assert "ทางโทรศัพท์" in listed.inner_text()

    with db.new_session(demo_app) as session:  # handled and closed, weeks later
        case = session.scalars(select(Incident).where(Incident.tracking_code == code)).one()
        assert (case.channel, case.village.number) == ("phone", 3)
        dispatcher = session.scalars(select(User).where(User.email == DISPATCHER)).one()
        workflow.perform(session, case.id, "reject", dispatcher, note="ไม่ใช่ไฟของ อบต.")
        session.commit()

    page.goto(live_server + "/dispatch/")
    page.click("#list-link")
    page.fill("input[name=q]", "0895550123")
    page.click(".case-search button[type=submit]")
    row = page.locator(f".case-row[data-code='{code}']")
    row.wait_for()
    assert page.locator(".case-row").count() == 1
    assert "ไม่รับเรื่อง" in row.inner_text() or "Rejected" in row.inner_text()
    page.screenshot(path=str(screenshot_dir / "case-list-desktop.png"), full_page=True, scale="css")
    row.locator("a.code").click()  # to the map, the case opened
    page.wait_for_selector(f"#case-panel:not([hidden]) >> text={code}")


def test_every_new_case_is_counted_on_the_badge(live_server, demo_app, browser, screenshot_dir):
    context = browser.new_context(viewport=TABLET, locale="th-TH", has_touch=True)
    page = context.new_page()
    sign_in(page, live_server)
    badge = page.locator("#new-badge")
    assert badge.is_hidden()
    report_now(demo_app, category_code="road", lon=104.6205, lat=17.3502, description="ถนนทรุด")
    report_now(demo_app, category_code="complaint", organization_slug="demo-tambon",
               description="ร้องเรียนเสียงดัง")  # no place on the map: counted all the same
    page.wait_for_selector("#new-badge[data-count='2']", timeout=15_000)
    assert page.locator("#new-badge").get_attribute("data-chimes") == "1"
    # The filter bar fits a tablet: nothing sticks out of the page.
    assert page.evaluate("document.documentElement.scrollWidth") <= TABLET["width"]
    for field in page.locator(".filter-row select").all():
        box = field.bounding_box()
        assert box and box["x"] + box["width"] <= TABLET["width"]
    page.screenshot(path=str(screenshot_dir / "dispatch-tablet-badge.png"))
    badge.click()
    assert badge.is_hidden()
    # The sound is switched off, and stays off after a reload.
    page.click("#sound-toggle")
    page.reload()
    page.wait_for_selector("#dispatch[data-loaded]")
    assert page.get_attribute("#sound-toggle", "aria-pressed") == "false"
    report_now(demo_app, category_code="road", lon=104.6206, lat=17.3503, description="ทางแตก")
    page.wait_for_selector("#new-badge[data-count='1']", timeout=15_000)
    assert page.locator("#new-badge").get_attribute("data-chimes") is None

    for path, name in (("/dispatch/cases", "case-list"), ("/dispatch/intake/streetlight", "intake"),
                       ("/dispatch/intake", "intake-choose")):
        page.goto(live_server + path)
        page.screenshot(path=str(screenshot_dir / f"{name}-tablet.png"), full_page=True, scale="css")
        assert page.evaluate("document.documentElement.scrollWidth") <= TABLET["width"], path
    context.close()
