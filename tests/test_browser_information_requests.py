"""An information request in a real Chromium at phone size: chosen on the home page among the
other e-services, a form without map or photos, a refusal that keeps what was typed, and the
confirmation with the answer's due date (Buddhist Era); the office's panel with its clock."""
from datetime import datetime, time

from sqlalchemy import select

from mapdash import db
from mapdash.i18n import format_date
from mapdash.models import Incident, InformationRequest
from tests.support import wait_until
from tests.test_information_requests import answer_pdf

INFORMATION = "งบประมาณและสัญญาจ้างซ่อมถนนหมู่ 3 ปีงบประมาณ 2568"


def test_a_citizen_asks_for_information_and_sees_when_it_is_due(live_server, demo_app, phone,
                                                                 desktop, screenshot_dir):
    errors = []
    phone.on("pageerror", lambda exc: errors.append(str(exc)))
    phone.goto(live_server + "/")
    information = phone.locator("#kind-information")
    assert phone.locator(".kind-group").first.get_attribute("id") == "kind-report"
    phone.screenshot(path=str(screenshot_dir / "inforeq-home-phone.png"), full_page=True, scale="css")
    information.locator("a.category-tile").first.click()
    phone.wait_for_url("**/report/info_request")
    assert phone.locator("#place-step, #photo-step, #place-map, input[name=photos]").count() == 0
    assert "พระราชบัญญัติข้อมูลข่าวสาร" in phone.inner_text("#kind-intro")
    assert phone.inner_text("#submit-report") == "ส่งคำขอ"
    phone.screenshot(path=str(screenshot_dir / "inforeq-form-phone.png"), full_page=True, scale="css")

    phone.fill("#description", INFORMATION)
    phone.check("input[name=delivery][value=post]")
    phone.check("input[name=certified]")
    phone.fill("input[name=reporter_name]", "สมหญิง ขอดู")
    phone.click("#submit-report")  # by post, but no address: refused, all kept
    phone.wait_for_selector("#form-error")
    assert "ที่อยู่" in phone.inner_text("#form-error")
    assert phone.input_value("#description") == INFORMATION
    assert phone.is_checked("input[name=delivery][value=post]") and phone.is_checked("input[name=certified]")
    assert phone.locator("#postal_address[aria-invalid=true]").count() == 1
    phone.screenshot(path=str(screenshot_dir / "inforeq-form-refused-phone.png"), full_page=True, scale="css")

    phone.fill("#postal_address", "12/3 หมู่ 3 ต.ปางหมู อ.เมือง จ.แม่ฮ่องสอน 58000")
    phone.click("#submit-report")
    phone.wait_for_url("**/track/*?new=1")
    assert phone.inner_text(".received h1") == "ส่งคำขอข้อมูลข่าวสารแล้ว"
    code = phone.inner_text("#tracking-code").strip()
    with demo_app.app_context(), db.new_session(demo_app) as session:
        incident = session.scalars(select(Incident).where(Incident.tracking_code == code)).one()
        due = datetime.combine(session.get(InformationRequest, incident.id).answer_due_on, time())
        assert incident.description == INFORMATION
    due_text = phone.inner_text("#answer-due")
    assert format_date(due, lang="th") in due_text and "อีก 15 วัน" in due_text
    assert phone.locator("#reply-code").is_visible()
    phone.screenshot(path=str(screenshot_dir / "inforeq-confirmation-phone.png"), full_page=True, scale="css")
    assert errors == []

    # The office: the panel shows the answer's due day and how to send it; the answer goes
    # with a PDF, which the requester's phone (holding the reply code) then opens.
    desktop.goto(live_server + "/login")
    desktop.fill("input[name=email]", "admin@demo.mapdash.test")
    desktop.fill("input[name=password]", "demo-password")
    desktop.click("button[type=submit]")
    desktop.wait_for_url("**/dispatch/")
    desktop.goto(live_server + f"/dispatch/?case={incident.id}")
    desktop.wait_for_selector("#answer-clock")
    assert format_date(due, lang="th") in desktop.inner_text("#answer-clock")
    assert "ไปรษณีย์" in desktop.inner_text("#information-delivery")
    assert wait_until(lambda: desktop.locator(".case-row").count() > 0, 20)
    desktop.screenshot(path=str(screenshot_dir / "inforeq-panel-desktop.png"))
    desktop.click("#case-panel .action-accept button[type=submit]")
    desktop.wait_for_selector("#case-panel .panel[data-status='accepted']")
    desktop.click("#case-panel .action-resolve summary")
    desktop.fill("#case-panel .action-resolve textarea[name=note]",
                 "ส่งสำเนาสัญญาจ้างทางไปรษณีย์แล้ว และแนบไฟล์ไว้ให้")
    desktop.set_input_files("#case-panel .action-resolve input[name=documents]", files=[{
        "name": "contract.pdf", "mimeType": "application/pdf", "buffer": answer_pdf()}])
    desktop.screenshot(path=str(screenshot_dir / "inforeq-panel-answer-desktop.png"))
    desktop.click("#case-panel .action-resolve button.primary")
    desktop.wait_for_selector("#case-panel .panel[data-status='resolved']")
    # The panel as the server draws it now (a pushed change may be redrawing it meanwhile).
    desktop.goto(live_server + f"/dispatch/?case={incident.id}")
    assert "contract.pdf" in desktop.locator("#answer-files").inner_text()

    phone.reload()
    phone.wait_for_selector("#documents a")
    assert phone.inner_text("#documents a") == "contract.pdf"
    with phone.expect_download() as download:
        phone.click("#documents a")
    assert download.value.suggested_filename == "contract.pdf"
    phone.screenshot(path=str(screenshot_dir / "inforeq-answered-phone.png"), full_page=True, scale="css")
    desktop.goto(live_server + f"/track/{code}")  # this browser has no reply code: asked for it
    assert desktop.locator("#documents input[name=reply_code]").is_visible()
    desktop.screenshot(path=str(screenshot_dir / "inforeq-answered-locked-desktop.png"),
                       full_page=True, scale="css")


def test_an_admin_sets_the_days_to_answer_and_the_form_says_so(live_server, phone, desktop,
                                                               screenshot_dir):
    phone.goto(live_server + "/login")
    phone.fill("input[name=email]", "admin@demo.mapdash.test")
    phone.fill("input[name=password]", "demo-password")
    phone.click("button[type=submit]")
    phone.wait_for_load_state()
    phone.goto(live_server + "/admin/organization/")
    days = phone.locator("#information-days input[name=information_days]")
    assert days.input_value() == "15"
    days.fill("120")
    days.evaluate("input => input.removeAttribute('max')")  # what the server says about it
    phone.click("#information-days button[type=submit]")
    phone.wait_for_selector("#information-days .form-error")
    assert "1 ถึง 90" in phone.inner_text("#information-days")
    assert phone.locator("#information-days input[name=information_days]").input_value() == "120"
    phone.locator("#information-days").screenshot(
        path=str(screenshot_dir / "inforeq-admin-days-refused-phone.png"))
    phone.fill("#information-days input[name=information_days]", "20")
    phone.click("#information-days button[type=submit]")
    phone.wait_for_url("**/admin/organization/#information-days")
    phone.screenshot(path=str(screenshot_dir / "inforeq-admin-organization-phone.png"),
                     full_page=True, scale="css")
    phone.goto(live_server + "/report/info_request")
    assert "20 วัน" in phone.inner_text("#kind-intro")

    desktop.goto(live_server + "/")
    desktop.screenshot(path=str(screenshot_dir / "inforeq-home-desktop.png"), full_page=True, scale="css")
    desktop.goto(live_server + "/report/info_request?lang=en")
    assert "Send request" in desktop.inner_text("#submit-report")
    desktop.screenshot(path=str(screenshot_dir / "inforeq-form-desktop-en.png"), full_page=True, scale="css")
    desktop.goto(live_server + "/report/streetlight")
    desktop.wait_for_selector("#place-step")
    desktop.screenshot(path=str(screenshot_dir / "inforeq-report-form-desktop.png"),
                       full_page=True, scale="css")
