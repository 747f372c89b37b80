"""The admin's pages of people and organization in a real Chromium, at desktop and tablet size:
an admin adds a crew member, who chooses a password with the one-time link on a phone and
signs in; the link then no longer works. Screenshots of every page."""
import hashlib
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from mapdash.cases.photos import process_image
from mapdash.models import Organization
from tests.photo_samples import png

ADMIN = "admin@demo.mapdash.test"
PASSWORD = "demo-password"
NEW_PASSWORD = "ทีมช่าง-รหัสยาว-2026"
SIZES = {"desktop": {"width": 1440, "height": 900}, "tablet": {"width": 820, "height": 1180}}


@pytest.fixture(params=list(SIZES))
def office_page(request, browser):
    """An admin's page at desktop or tablet size, and the size's name."""
    context = browser.new_context(viewport=SIZES[request.param], locale="th-TH")
    yield context.new_page(), request.param
    context.close()


def sign_in(page, base: str, email: str, password: str, start: str = "/admin/"):
    page.goto(base + start)
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")


def test_an_admin_adds_a_crew_member_who_sets_a_password_and_signs_in(office_page, phone,
                                                                       live_server, screenshot_dir):
    page, size = office_page
    sign_in(page, live_server, ADMIN, PASSWORD)
    page.wait_for_url("**/admin/")
    page.goto(live_server + "/admin/staff/")
    page.screenshot(path=str(screenshot_dir / f"admin-staff-{size}.png"), full_page=True, scale="css")

    form = page.locator("form.new-person")
    form.locator("input[name=display_name]").fill("สมหญิง ช่างไฟ")
    form.locator("input[name=email]").fill("somying@demo.mapdash.test")
    form.locator("select[name=role]").select_option("crew")
    form.locator("button[type=submit]").click()
    page.wait_for_selector("#password-link")
    # Made with PUBLIC_BASE_URL (the test app's is not this server's): its path, here.
    shown = urlsplit(page.inner_text("#password-link").strip())
    assert shown.path.startswith("/account/set-password/")
    link = live_server + shown.path
    assert "สมหญิง ช่างไฟ" in page.inner_text(".staff-list")
    page.screenshot(path=str(screenshot_dir / f"admin-staff-{size}-added.png"), full_page=True, scale="css")

    # The crew member, on their phone: the link, a password twice, then signing in.
    phone.goto(link)
    assert "สมหญิง ช่างไฟ" in phone.inner_text("main")
    phone.screenshot(path=str(screenshot_dir / "account-set-password-phone.png"), full_page=True, scale="css")
    phone.fill("input[name=password]", NEW_PASSWORD)
    phone.fill("input[name=password_again]", NEW_PASSWORD)
    phone.click("button[type=submit]")
    phone.wait_for_url("**/login**")
    assert phone.input_value("input[name=email]") == "somying@demo.mapdash.test"
    phone.fill("input[name=password]", NEW_PASSWORD)
    phone.click("button[type=submit]")
    phone.wait_for_url("**/crew/**")
    # Used once, the link opens nothing.
    answer = phone.goto(link)
    assert answer.status == 410 and "ลิงก์นี้ใช้ไม่ได้แล้ว" in phone.inner_text("main")

    # The admin sees the person's account, the departments and the organization.
    page.click(".staff-list a:has-text('สมหญิง ช่างไฟ')")
    page.wait_for_selector("#account-form")
    assert page.locator("#account-form select[name=role]").input_value() == "crew"
    page.screenshot(path=str(screenshot_dir / f"admin-staff-account-{size}.png"), full_page=True, scale="css")
    for path, name in (("/admin/departments/", "departments"),
                       ("/admin/organization/", "organization")):
        page.goto(live_server + path)
        page.wait_for_selector("form.office-form")
        page.screenshot(path=str(screenshot_dir / f"admin-{name}-{size}.png"), full_page=True, scale="css")


def test_a_bad_value_is_refused_beside_its_form_and_kept(office_page, live_server,
                                                         screenshot_dir):
    page, size = office_page
    sign_in(page, live_server, ADMIN, PASSWORD)
    page.wait_for_url("**/admin/")
    page.goto(live_server + "/admin/departments/")
    form = page.locator("form.department").first
    group = form.locator("input[name=notify_line_group]")
    group.evaluate("el => el.removeAttribute('pattern')")
    group.fill("Uabc")
    form.locator("button[type=submit]").click()
    page.wait_for_selector(".department .form-error")
    assert "รหัสกลุ่ม LINE ไม่ถูกต้อง" in page.inner_text(".department .form-error")
    assert page.locator("input[name=notify_line_group][aria-invalid=true]").input_value() == "Uabc"
    page.screenshot(path=str(screenshot_dir / f"admin-departments-{size}-error.png"),
                    full_page=True, scale="css")

    page.goto(live_server + "/admin/organization/")
    numbers = page.locator("#emergency")
    numbers.locator("input[name=number_4]").fill("1784")
    numbers.locator("button[type=submit]").click()
    page.wait_for_selector("#emergency .form-error")
    assert page.locator("input[name=number_4]").input_value() == "1784"
    page.screenshot(path=str(screenshot_dir / f"admin-organization-{size}-error.png"),
                    full_page=True, scale="css")


def test_citizens_see_the_offices_contact_logo_and_emergency_numbers(phone, live_server,
                                                                     demo_session, screenshot_dir):
    org = demo_session.scalars(select(Organization)).one()
    logo = process_image(png(size=(600, 600)))
    org.phone, org.email = "042 511 234", "saraban@demo.mapdash.test"
    org.address, org.office_hours = "99 หมู่ 1 ต.ตัวอย่าง\nอ.เมือง จ.ขอนแก่น 40000", "จันทร์-ศุกร์ 08:30-16:30 น."
    org.emergency_numbers = [{"number": "1669", "label_th": "เจ็บป่วยฉุกเฉิน", "label_en": None},
                             {"number": "1784", "label_th": "สาธารณภัย", "label_en": "Disasters"}]
    org.logo, org.logo_sha256 = logo.thumb, hashlib.sha256(logo.thumb).hexdigest()
    demo_session.commit()

    phone.goto(live_server + "/")
    assert phone.locator(".org-logo").evaluate("img => img.complete && img.naturalWidth") > 0
    contact = phone.inner_text(".contact")
    assert "042 511 234" in contact and "จันทร์-ศุกร์ 08:30-16:30 น." in contact
    assert phone.locator(".emergency-numbers a").evaluate_all(
        "links => links.map(a => a.getAttribute('href'))") == ["tel:1669", "tel:1784"]
    assert "สาธารณภัย" in phone.inner_text(".emergency-numbers")
    phone.screenshot(path=str(screenshot_dir / "home-phone-organization.png"), full_page=True, scale="css")
