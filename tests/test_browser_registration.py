"""An applicant on a phone (390x844, Thai) in a real Chromium registers for the elderly
allowance with two document photos and sees the confirmation; the welfare office reviews it
at desktop size. Screenshots of every page of the registrations, at both sizes."""
import re

import pytest
from sqlalchemy import select

from mapdash.models import CaseDocument, Category, Incident, Registration
from mapdash.office.auth import create_user
from tests import photo_samples as samples

WELFARE = ("welfare@demo.mapdash.test", "welfare-password-1")


@pytest.fixture
def two_documents(demo_session, tmp_path):
    """The admin asks for two documents (ID card and house registration); a welfare officer."""
    category = demo_session.scalars(select(Category).where(
        Category.code == "elderly_allowance")).one()
    category.registration = {**category.registration, "documents": ["id_card",
                                                                    "house_registration"]}
    create_user(demo_session, organization_id=category.organization_id, email=WELFARE[0],
                password=WELFARE[1], role="officer", department_code="welfare",
                display_name="เจ้าหน้าที่กองสวัสดิการ", check_strength=False)
    demo_session.commit()
    paths = []
    for name in ("id-card.jpg", "house.jpg"):
        path = tmp_path / name
        path.write_bytes(samples.jpeg(size=(800, 500)))
        paths.append(path)
    return paths


def fill(page):
    page.fill("input[name=full_name]", "นางทดลอง ใจงาม")
    page.fill("input[name=national_id]", "1-2345-67890-12-1")
    page.fill("input[name=birth_day]", "15")
    page.select_option("select[name=birth_month]", "3")
    page.fill("input[name=birth_year]", "2493")
    page.select_option("select[name=village]", "3")
    page.fill("input[name=address]", "45 ซอยวัด")
    page.fill("input[name=phone]", "080-000-4321")
    page.select_option("select[name=bank]", "ktb")
    page.fill("input[name=account_number]", "123-4-56789-0")
    page.fill("input[name=account_name]", "นางทดลอง ใจงาม")


def test_an_applicant_registers_on_a_phone_with_two_document_photos(
        live_server, phone, desktop, screenshot_dir, two_documents, demo_session):
    errors = []
    phone.on("pageerror", lambda exc: errors.append(str(exc)))
    shots = screenshot_dir

    phone.goto(live_server + "/")
    phone.get_by_role("link", name="ลงทะเบียนรับเบี้ยยังชีพผู้สูงอายุ").tap()
    phone.wait_for_url("**/report/elderly_allowance")
    assert "ผู้มีอายุ 60 ปีขึ้นไป" in phone.locator("#who-may-apply").inner_text()
    assert phone.locator("input[type=file][required]").count() == 2
    phone.screenshot(path=str(shots / "registration-1-form-phone.png"), full_page=True, scale="css")

    # A mistyped ID number: refused, everything typed still there.
    fill(phone)
    phone.fill("input[name=national_id]", "1-2345-67890-12-2")
    phone.set_input_files("input[name=doc-id_card]", str(two_documents[0]))
    phone.set_input_files("input[name=doc-house_registration]", str(two_documents[1]))
    phone.locator("#submit-registration").tap()
    phone.wait_for_selector("#form-error")
    assert "เลขประจำตัวประชาชนไม่ถูกต้อง" in phone.locator("#form-error").inner_text()
    assert phone.input_value("input[name=full_name]") == "นางทดลอง ใจงาม"
    assert phone.input_value("input[name=birth_year]") == "2493"
    assert phone.locator("#files-again").is_visible()
    phone.screenshot(path=str(shots / "registration-2-refused-phone.png"), full_page=True, scale="css")

    # Corrected, with the two photos again: sent.
    phone.fill("input[name=national_id]", "1-2345-67890-12-1")
    phone.set_input_files("input[name=doc-id_card]", str(two_documents[0]))
    phone.set_input_files("input[name=doc-house_registration]", str(two_documents[1]))
    submit = phone.locator("#submit-registration")
    box = submit.bounding_box()
    assert box["y"] + box["height"] <= 844  # the send button sits within thumb reach
    submit.tap()
    phone.wait_for_url(re.compile(r".*/track/[A-Z0-9-]+\?new=1"))
    assert phone.locator("h1").inner_text() == "ส่งคำขอของท่านแล้ว"
    code = phone.locator("#tracking-code").inner_text()
    assert re.fullmatch(r"[A-Z0-9]{4}-[A-Z0-9]{4}", code)
    assert re.fullmatch(r"[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}",
                        phone.locator("#reply-code").inner_text())
    timeline = phone.locator(".timeline").inner_text()
    assert "ได้รับคำขอแล้ว" in timeline and re.search(r"25\d\d", timeline)
    page = phone.content()
    assert "1234567890121" not in page and "ใจงาม" not in page and "1234567890" not in page
    phone.screenshot(path=str(shots / "registration-3-sent-phone.png"), full_page=True, scale="css")
    assert errors == []

    demo_session.expire_all()
    incident = demo_session.scalars(select(Incident).where(Incident.tracking_code == code)).one()
    assert demo_session.get(Registration, incident.id).national_id == "1234567890121"
    assert sorted(demo_session.scalars(select(CaseDocument.purpose).where(
        CaseDocument.incident_id == incident.id))) == ["house_registration", "id_card"]

    # The welfare office: the masked list, then the case panel with the documents.
    desktop.goto(live_server + "/login")
    desktop.fill("input[name=email]", WELFARE[0])
    desktop.fill("input[name=password]", WELFARE[1])
    desktop.locator("button[type=submit]").click()
    desktop.wait_for_url("**/dispatch/**")
    desktop.goto(live_server + "/dispatch/registrations/")
    row = desktop.locator("#registrations tr", has_text=code)
    assert "1-2345-xxxxx-12-1" in row.inner_text() and "123xxxxx90" in row.inner_text()
    desktop.screenshot(path=str(shots / "registration-4-list-desktop.png"), full_page=True, scale="css")
    row.get_by_role("link", name=code).click()
    desktop.wait_for_selector("#registration-national-id")
    assert desktop.locator("#registration-national-id").inner_text() == "1-2345-67890-12-1"
    assert desktop.locator("#registration-documents li").count() == 2
    assert "หน้าสมุดบัญชี" not in desktop.locator("#registration").inner_text()
    desktop.screenshot(path=str(shots / "registration-5-panel-desktop.png"), full_page=True, scale="css")
