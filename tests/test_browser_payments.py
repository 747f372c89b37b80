"""A payment in a real Chromium at phone size: a citizen sends a slip (first with a mistake),
a finance officer issues the receipt, the citizen downloads it; and every new page at phone
and desktop size for the screenshots."""
import os
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from mapdash import db
from mapdash.i18n import LOCAL_TZ
from mapdash.office.auth import create_user
from tests.test_browser_dispatch import PASSWORD
from tests.test_payments import slip_image

FINANCE = "finance@demo.mapdash.test"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1440, "height": 900}


@pytest.fixture
def shots(screenshot_dir):
    """Where the screenshots go: SHOTS_DIR (the helper's folder) or the suite's folder."""
    path = Path(os.environ.get("SHOTS_DIR") or screenshot_dir)
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture
def finance_officer(demo_app):
    with db.new_session(demo_app) as session:
        create_user(session, organization_id=1, email=FINANCE, password=PASSWORD, role="officer",
                    department_code="finance", display_name="นางสาวการเงิน ตรวจสลิป",
                    check_strength=False)
        session.commit()


def _context(browser, size):
    return browser.new_context(viewport=size, locale="th-TH", device_scale_factor=2 if
                               size == PHONE else 1, is_mobile=size == PHONE,
                               has_touch=size == PHONE, accept_downloads=True)


def _fill_slip_form(page, amount: str):
    yesterday = (datetime.now(UTC).astimezone(LOCAL_TZ) - timedelta(days=1)).date()
    page.fill("#house_number", "99/1")
    page.select_option("#village", "3")
    page.fill("#amount", amount)
    page.fill("#transferred_on", yesterday.isoformat())
    page.fill("#transfer_ref", "FT69112799001")
    page.set_input_files("#slip", files=[{"name": "slip.png", "mimeType": "image/png",
                                          "buffer": slip_image(3)}])
    page.fill("#payer_name", "นายสมชาย ทดสอบ")
    page.fill("input[name=reporter_phone]", "081 234 5678")


def test_a_citizen_sends_a_slip_a_finance_officer_issues_the_receipt_the_citizen_downloads_it(
        live_server, browser, finance_officer, shots):
    citizen_context = _context(browser, PHONE)
    citizen = citizen_context.new_page()
    citizen.goto(live_server + "/report/garbage_fee")
    citizen.screenshot(path=str(shots / "payment-form-phone.png"), full_page=True, scale="css")

    # A negative amount: refused in Thai and English, everything typed kept but the file.
    _fill_slip_form(citizen, "-250")
    assert citizen.is_visible("#slip")  # the browser's own input, naming the chosen file
    citizen.click("#submit-payment")
    citizen.wait_for_selector("#form-error")
    assert "มากกว่าศูนย์" in citizen.inner_text("#form-error")
    assert "more than zero" in citizen.inner_text("#form-error")
    assert citizen.input_value("#house_number") == "99/1"
    assert citizen.input_value("#village") == "3"
    assert citizen.input_value("#transfer_ref") == "FT69112799001"
    assert citizen.get_attribute("#amount", "aria-invalid") == "true"
    citizen.screenshot(path=str(shots / "payment-form-error-phone.png"), full_page=True, scale="css")

    citizen.fill("#amount", "1,250.50")
    citizen.set_input_files("#slip", files=[{"name": "slip.png", "mimeType": "image/png",
                                             "buffer": slip_image(3)}])
    citizen.click("#submit-payment")
    citizen.wait_for_url(re.compile(r".*/track/[A-Z0-9-]+\?new=1"))
    code = citizen.inner_text("#tracking-code").strip()
    assert citizen.inner_text("#reply-code").strip()
    assert "1,250.50" in citizen.inner_text("#track-amount")
    citizen.screenshot(path=str(shots / "payment-sent-phone.png"), full_page=True, scale="css")

    officer_context = _context(browser, PHONE)
    officer = officer_context.new_page()
    officer.goto(live_server + "/finance/payments")
    officer.fill("input[name=email]", FINANCE)
    officer.fill("input[name=password]", PASSWORD)
    officer.click("button[type=submit]")
    officer.wait_for_url("**/finance/payments")
    officer.screenshot(path=str(shots / "payment-list-phone.png"), full_page=True, scale="css")
    officer.click(f"text={code}")
    # The slip is shown as an image: its element comes before its pixels do.
    officer.wait_for_function(
        "() => { const img = document.querySelector('.slip-preview');"
        " return img && img.complete && img.naturalWidth > 0; }")
    officer.screenshot(path=str(shots / "payment-detail-phone.png"), full_page=True, scale="css")
    officer.click("#issue-receipt")
    officer.wait_for_selector(".valid-badge")
    number = officer.inner_text(".receipt-line .number").strip()
    assert re.fullmatch(r"25\d\d/000001", number)
    assert officer.inner_text("#payment-status").strip() == "ดำเนินการแล้ว"
    officer.screenshot(path=str(shots / "payment-issued-phone.png"), full_page=True, scale="css")
    check_url = officer.get_attribute(".check-link", "href")

    # The citizen comes back to the same page (this browser kept the reply code).
    citizen.goto(f"{live_server}/track/{code}")
    citizen.wait_for_selector("#download-receipt")
    citizen.screenshot(path=str(shots / "payment-receipt-ready-phone.png"), full_page=True, scale="css")
    with citizen.expect_download() as download_info:
        citizen.click("#download-receipt")
    pdf = Path(download_info.value.path()).read_bytes()
    assert pdf.startswith(b"%PDF")

    # Anyone scanning the receipt's QR code: valid, the amount, nothing personal.
    checker = citizen_context.new_page()
    checker.goto(check_url)
    assert checker.inner_text("#verdict").strip() == "ใช้ได้"
    assert "1,250.50" in checker.inner_text("#check-amount")
    assert "สมชาย" not in checker.inner_text("main")
    checker.screenshot(path=str(shots / "receipt-check-phone.png"), full_page=True, scale="css")

    # The same pages at desktop size.
    desk_context = _context(browser, DESKTOP)
    desk = desk_context.new_page()
    for path, name in (("/report/garbage_fee", "payment-form"), ("/report/local_tax", "tax-form"),
                       (f"/track/{code}", "payment-track"), (check_url, "receipt-check")):
        desk.goto(path if path.startswith("http") else live_server + path)
        desk.screenshot(path=str(shots / f"{name}-desktop.png"), full_page=True, scale="css")
    officer_desk = _context(browser, DESKTOP)
    page = officer_desk.new_page()
    page.goto(live_server + "/finance/payments")
    page.fill("input[name=email]", FINANCE)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/finance/payments")
    page.screenshot(path=str(shots / "payment-list-desktop.png"), full_page=True, scale="css")
    page.click(f"text={code}")
    page.wait_for_selector(".slip-preview")
    page.screenshot(path=str(shots / "payment-detail-desktop.png"), full_page=True, scale="css")
    for context in (citizen_context, officer_context, desk_context, officer_desk):
        context.close()
