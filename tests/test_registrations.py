"""Registrations with documents (issue 14, item 1): the eligibility rules at fixed instants,
the applicant's form and its refusals, the review and ask-for-a-document loop, the masked
list, the approved list as xlsx and the tracking page's steps (item 4)."""
import io
import re
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from mapdash.errors import UserError
from mapdash.models import CaseDocument, Category, Incident, Registration
from mapdash.registrations import rules
from tests.crew_support import PASSWORD
from tests.registration_support import (
    ACCOUNT,
    FORM_PATH,
    GOOD_ID,
    GOOD_ID_DIGITS,
    documents,
    fields,
    pdf_with_javascript,
    photo,
    world,
)
from tests.support import csrf_token, login

BANGKOK = timezone(timedelta(hours=7))
ELDERLY = rules.Rules(min_age=60)


# --- the rules, at fixed instants ------------------------------------------------------------

def test_the_id_number_checksum():
    assert rules.national_id_valid(GOOD_ID_DIGITS)
    assert not rules.national_id_valid("1234567890122")           # last digit off by one
    assert not rules.national_id_valid("2234567890121")           # first digit changed
    assert not rules.national_id_valid("123456789012")            # 12 digits
    assert rules.check_national_id("๑-๒๓๔๕-๖๗๘๙๐-๑๒-๑") == GOOD_ID_DIGITS  # Thai digits, dashes
    with pytest.raises(UserError) as refused:
        rules.check_national_id("1-2345-67890-12-2")
    assert refused.value.code == "bad_national_id" and refused.value.field == "national_id"
    assert rules.mask_national_id(GOOD_ID_DIGITS) == "1-2345-xxxxx-12-1"
    assert rules.format_national_id(GOOD_ID_DIGITS) == GOOD_ID
    assert rules.mask_account(ACCOUNT) == "020xxxxx67"


def test_sixty_by_30_september_of_the_fiscal_year():
    """Applying on 15 Nov 2026 is for fiscal year 2570, which ends on 30 Sep 2027: born
    30 Sep 1967 is 60 that day, born 1 Oct 1967 a day too late."""
    now = datetime(2026, 11, 15, 10, 0, tzinfo=BANGKOK)
    assert rules.check_eligible(ELDERLY, date(1967, 9, 30), now) == 2570
    with pytest.raises(UserError) as refused:
        rules.check_eligible(ELDERLY, date(1967, 10, 1), now)
    assert refused.value.code == "too_young" and refused.value.status == 422
    assert "30 ก.ย. 2570" in refused.value.message_th and "2570" in refused.value.message_en


def test_the_fiscal_year_turns_at_midnight_of_1_october_thai_time():
    born = date(1966, 10, 1)  # 60 on 1 Oct 2026: too late for fiscal year 2569
    last_evening = datetime(2026, 9, 30, 16, 59, tzinfo=UTC)   # 23:59 in Bangkok
    with pytest.raises(UserError):
        rules.check_eligible(ELDERLY, born, last_evening)
    first_morning = datetime(2026, 9, 30, 17, 0, tzinfo=UTC)   # 00:00 on 1 Oct in Bangkok
    assert rules.check_eligible(ELDERLY, born, first_morning) == 2570


def test_the_window_includes_both_days_in_thai_time():
    window = rules.Rules(opens=date(2026, 11, 1), closes=date(2026, 11, 30))
    born = date(1950, 1, 1)
    with pytest.raises(UserError) as early:
        rules.check_eligible(window, born, datetime(2026, 10, 31, 16, 59, tzinfo=UTC))
    assert early.value.code == "registration_not_open" and "1 พ.ย. 2569" in early.value.message_th
    assert rules.check_eligible(window, born, datetime(2026, 10, 31, 17, 0, tzinfo=UTC)) == 2570
    assert rules.check_eligible(window, born, datetime(2026, 11, 30, 16, 59, tzinfo=UTC)) == 2570
    with pytest.raises(UserError) as late:
        rules.check_eligible(window, born, datetime(2026, 11, 30, 17, 0, tzinfo=UTC))
    assert late.value.code == "registration_closed" and late.value.status == 422


def test_a_birth_date_in_the_future_and_odd_dates():
    now = datetime(2026, 11, 15, 10, 0, tzinfo=BANGKOK)
    with pytest.raises(UserError) as refused:
        rules.check_eligible(rules.Rules(), date(2026, 11, 16), now)
    assert refused.value.code == "birth_in_future" and refused.value.field == "birth_date"
    assert rules.parse_birth_date("15", "3", "2505") == date(1962, 3, 15)   # Buddhist Era
    assert rules.parse_birth_date("15", "3", "1962") == date(1962, 3, 15)   # Common Era
    for day, month, year in (("31", "2", "2505"), ("1", "13", "2505"), ("", "", ""), ("x", "1", "1")):
        with pytest.raises(UserError) as bad:
            rules.parse_birth_date(day, month, year)
        assert bad.value.code == "bad_birth_date"
    assert rules.age_on(date(2000, 2, 29), date(2060, 2, 28)) == 59
    assert rules.age_on(date(2000, 2, 29), date(2060, 3, 1)) == 60


# --- the applicant's form --------------------------------------------------------------------

@pytest.fixture
def office(app, session):
    people = world(session)
    session.commit()
    return people


def send(client, form=None, files=None, path=FORM_PATH):
    data = {**(fields() if form is None else form), **(documents() if files is None else files),
            "csrf_token": csrf_token(client, path)}
    return client.post(path, data=data, content_type="multipart/form-data")


def apply_ok(client) -> tuple[str, str]:
    """Apply; (tracking code, reply code) as the confirmation shows them."""
    response = send(client)
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    code = re.search(r'id="tracking-code">([A-Z0-9-]+)<', page)[1]
    reply = re.search(r'id="reply-code">([A-Z0-9-]+)<', page)[1]
    assert "ส่งคำขอของท่านแล้ว" in page
    return code, reply


def counts(session) -> tuple[int, int, int]:
    session.expire_all()
    return (session.scalar(select(func.count()).select_from(Incident)),
            session.scalar(select(func.count()).select_from(Registration)),
            session.scalar(select(func.count()).select_from(CaseDocument)))


def stored_files(app) -> list[Path]:
    root = Path(app.config["DOCUMENT_DIR"])
    return [path for path in root.rglob("*") if path.is_file()] if root.exists() else []


def test_an_application_is_stored_with_its_documents_and_nothing_public(client, session, office):
    page = client.get(FORM_PATH).get_data(as_text=True)
    assert "ผู้มีอายุ 60 ปีขึ้นไป" in page and 'name="doc-bank_book"' in page
    code, _reply = apply_ok(client)
    incident = session.scalars(select(Incident).where(Incident.tracking_code == code)).one()
    registration = session.get(Registration, incident.id)
    assert registration.national_id == GOOD_ID_DIGITS and registration.account_number == ACCOUNT
    assert registration.birth_date == date(1950, 3, 15) and registration.village.number == 1
    assert incident.description == "" and incident.category.kind == "registration"
    assert incident.department.code == "welfare" and incident.category.sensitive
    purposes = session.scalars(select(CaseDocument.purpose).where(
        CaseDocument.incident_id == incident.id).order_by(CaseDocument.purpose)).all()
    assert purposes == ["bank_book", "house_registration", "id_card"]
    assert len(stored_files(client.application)) == 3
    # The public pages: the status page says nothing about the person; the list leaves it out.
    fresh = client.application.test_client()
    track = fresh.get(f"/track/{code}").get_data(as_text=True)
    assert_nothing_personal(track)
    assert "ได้รับคำขอแล้ว" in track
    listed = fresh.get("/cases?org=test-tambon").get_data(as_text=True)
    assert code not in listed


def assert_nothing_personal(page: str) -> None:
    for secret in ("ทดสอบ ระบบดี", GOOD_ID_DIGITS, GOOD_ID, "xxxxx", "67890", "0201234567",
                   "020-1-23456-7", "080-000-1234", "12/3 ซอยวัด", "2493", "baac", "ธ.ก.ส."):
        assert secret not in page, secret


@pytest.mark.parametrize("form, files, code, status, field", [
    (fields(national_id="1-2345-67890-12-2"), None, "bad_national_id", 400, "national_id"),
    (fields(birth_year="2580"), None, "birth_in_future", 422, "birth_date"),
    (fields(birth_day="31", birth_month="2"), None, "bad_birth_date", 400, "birth_date"),
    (fields(birth_year="2543"), None, "too_young", 422, "birth_date"),  # born 2000
    (fields(account_number="12-34"), None, "bad_account", 400, "account_number"),
    (fields(bank="nope"), None, "bad_bank", 400, "bank"),
    (fields(phone="call me"), None, "bad_phone", 400, "phone"),
    (fields(), documents(**{"doc-bank_book": None}), "document_missing", 400, "doc-bank_book"),
    (fields(), documents(**{"doc-id_card": [(io.BytesIO(b"not an image at all"), "id.jpg")]}),
     "document_type", 415, "doc-id_card"),
    (fields(), documents(**{"doc-id_card": [(io.BytesIO(b"\xff\xd8\xff" + b"\0" * (10 * 2**20)),
                                             "huge.jpg")]}),
     "document_too_large", 413, "doc-id_card"),
    (fields(), documents(**{"doc-house_registration": [(io.BytesIO(pdf_with_javascript()),
                                                        "house.pdf")]}),
     "document_active", 400, "doc-house_registration"),
])
def test_bad_input_is_refused_with_what_was_typed_and_nothing_stored(
        client, session, office, form, files, code, status, field):
    before = counts(session)
    response = send(client, form, files)
    page = response.get_data(as_text=True)
    assert response.status_code == status, page[:3000]
    assert 'id="form-error"' in page
    # What was typed comes back; the refused field is marked.
    assert f'value="{form["full_name"]}"' in page and f'value="{form["national_id"]}"' in page
    assert re.search(rf'name="{field}"[^>]*aria-invalid="true"', page) or \
        (field == "birth_date" and 'class="birth-date" aria-invalid="true"' in page)
    assert f'data-error="{code}"' in page
    assert counts(session) == before and stored_files(client.application) == []


def test_outside_the_window_and_a_second_application_are_refused(client, session, office):
    category = session.scalars(select(Category).where(Category.code == "elderly_allowance")).one()
    category.registration = {**category.registration, "opens": "2020-01-01",
                             "closes": "2020-01-31"}
    session.commit()
    page = client.get(FORM_PATH).get_data(as_text=True)
    assert 'id="window-closed"' in page and "31 ม.ค. 2563" in page
    response = send(client)
    assert response.status_code == 422 and "31 ม.ค. 2563" in response.get_data(as_text=True)
    category.registration = {**category.registration, "opens": None, "closes": None}
    session.commit()
    apply_ok(client)
    again = send(client.application.test_client())
    assert again.status_code == 409 and 'data-error="already_applied"' in again.get_data(as_text=True)
    assert counts(session)[0] == 1


# --- the review ------------------------------------------------------------------------------

def act(client, incident_id, action, note=""):
    token = csrf_token(client, f"/dispatch/cases/{incident_id}")
    return client.post(f"/dispatch/cases/{incident_id}/actions",
                       data={"action": action, "note": note, "csrf_token": token})


def test_review_ask_for_a_document_answer_with_it_approve_and_export(client, session, office):
    code, reply_code = apply_ok(client)
    incident_id = session.scalar(select(Incident.id).where(Incident.tracking_code == code))
    staff = client.application.test_client()
    login(staff, "welfare@test.mapdash.test", PASSWORD)
    panel = staff.get(f"/dispatch/cases/{incident_id}").get_data(as_text=True)
    assert GOOD_ID in panel and ACCOUNT in panel and "นางทดสอบ ระบบดี" in panel
    assert panel.count("/documents/") == 3
    assert act(staff, incident_id, "accept").status_code == 200
    question = "รูปสมุดบัญชีไม่ชัด กรุณาส่งใหม่"
    assert act(staff, incident_id, "request_info", question).status_code == 200

    # The applicant: the status page asks; the reply code opens the answer form.
    applicant = client.application.test_client()  # another phone: types the code
    track = applicant.get(f"/track/{code}").get_data(as_text=True)
    assert question in track
    opened = applicant.post(f"/track/{code}/answer", data={
        "reply_code": reply_code.lower(), "csrf_token": csrf_token(applicant, f"/track/{code}")})
    assert opened.status_code == 303
    form_path = opened.headers["Location"]
    form = applicant.get(form_path).get_data(as_text=True)
    assert 'name="documents"' in form and 'name="photos"' not in form
    token = re.search(r'name="t" value="([^"]+)"', form)[1]
    bad = applicant.post(form_path, content_type="multipart/form-data", data={
        "answer": "ส่งรูปใหม่แล้วค่ะ", "t": token, "document_purpose": "bank_book",
        "documents": [(io.BytesIO(pdf_with_javascript()), "bank.pdf")],
        "csrf_token": csrf_token(applicant, form_path)})
    assert bad.status_code == 400 and "ส่งรูปใหม่แล้วค่ะ" in bad.get_data(as_text=True)
    assert counts(session)[2] == 3
    sent = applicant.post(form_path, content_type="multipart/form-data", data={
        "answer": "ส่งรูปใหม่แล้วค่ะ", "t": token, "document_purpose": "bank_book",
        "documents": [photo("bank-new.jpg")], "csrf_token": csrf_token(applicant, form_path)})
    assert sent.status_code == 303
    assert counts(session)[2] == 4
    panel = staff.get(f"/dispatch/cases/{incident_id}").get_data(as_text=True)
    assert "bank-new.jpg" in panel and panel.count("/documents/") == 4

    assert act(staff, incident_id, "resolve", "อนุมัติ เริ่มรับเงินเดือนตุลาคม").status_code == 200
    track = client.application.test_client().get(f"/track/{code}").get_data(as_text=True)
    assert "อนุมัติแล้ว" in track and "อนุมัติ เริ่มรับเงินเดือนตุลาคม" in track
    assert "ได้รับคำขอแล้ว" in track and "เจ้าหน้าที่ขอข้อมูลเพิ่มเติม" in track
    assert re.search(r"\d{1,2} [ก-๙.]+ 25\d\d", track)  # the Buddhist Era timeline
    assert_nothing_personal(track)

    # The approved list of the fiscal year, read back.
    year = session.get(Registration, incident_id).fiscal_year
    category_id = session.scalar(select(Category.id).where(Category.code == "elderly_allowance"))
    response = staff.get(f"/dispatch/registrations/{category_id}/{year}/approved.xlsx")
    assert response.status_code == 200 and "no-store" in response.headers["Cache-Control"]
    sheet = load_workbook(io.BytesIO(response.data)).active
    rows = [row for row in sheet.iter_rows(values_only=True)]
    header = next(i for i, row in enumerate(rows) if row[0] == "ลำดับ")
    data = [row for row in rows[header + 1:] if row[0] is not None]
    assert len(data) == 1
    number, tracking, name, national_id, born, age, village_no = data[0][:7]
    assert (number, tracking, name, national_id) == (1, code, "นางทดสอบ ระบบดี", GOOD_ID)
    assert born.date() == date(1950, 3, 15) and age >= 76 and village_no == 1
    assert data[0][11] == ACCOUNT and data[0][10].startswith("ธนาคารเพื่อการเกษตร")


def test_a_refusal_reads_with_its_reason_and_the_list_is_masked(client, session, office):
    code, _ = apply_ok(client)
    incident_id = session.scalar(select(Incident.id).where(Incident.tracking_code == code))
    staff = client.application.test_client()
    login(staff, "welfare@test.mapdash.test", PASSWORD)
    assert act(staff, incident_id, "reject", "ได้รับบำนาญอยู่แล้ว").status_code == 200
    track = client.application.test_client().get(f"/track/{code}").get_data(as_text=True)
    assert "ไม่อนุมัติ" in track and "ได้รับบำนาญอยู่แล้ว" in track

    listed = staff.get("/dispatch/registrations/")
    page = listed.get_data(as_text=True)
    assert listed.status_code == 200 and code in page
    assert "1-2345-xxxxx-12-1" in page and "020xxxxx67" in page
    assert GOOD_ID not in page and GOOD_ID_DIGITS not in page and ACCOUNT not in page
    rejected = staff.get("/dispatch/registrations/?status=resolved").get_data(as_text=True)
    assert code not in rejected
    # Nothing approved: the export has its header and no row.
    year = session.get(Registration, incident_id).fiscal_year
    category_id = session.scalar(select(Category.id).where(Category.code == "elderly_allowance"))
    sheet = load_workbook(io.BytesIO(staff.get(
        f"/dispatch/registrations/{category_id}/{year}/approved.xlsx").data)).active
    assert GOOD_ID not in [cell for row in sheet.iter_rows(values_only=True) for cell in row]
