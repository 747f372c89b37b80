"""Fee and tax payments with receipts (issue 14, item 2): the amount in Thai words, the
citizen's form and its refusals, receipt numbers under concurrency, the receipt's PDF, the
reused-slip flag, the public check page, and who may reach slips and receipts."""
import io
import re
import threading
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from geoalchemy2.shape import from_shape
from PIL import Image, ImageDraw
from pypdf import PdfReader
from shapely.geometry import Point
from sqlalchemy import func, select

from mapdash import db
from mapdash.errors import UserError
from mapdash.i18n import LOCAL_TZ
from mapdash.models import CaseDocument, Household, Incident, Payment, Receipt, Village
from mapdash.office.auth import create_user
from mapdash.services import payments, receipts
from mapdash.services.thai_baht import baht_text
from tests.factories import STAFF_PASSWORD, make_org
from tests.support import csrf_token, login

# 27 Nov 2026 10:00 in Bangkok: fiscal year 2570 (1 Oct 2026 - 30 Sep 2027).
NOW = datetime(2026, 11, 27, 3, 0, tzinfo=UTC)


@pytest.mark.parametrize("amount, words", [
    ("1250.50", "หนึ่งพันสองร้อยห้าสิบบาทห้าสิบสตางค์"),
    ("1250.00", "หนึ่งพันสองร้อยห้าสิบบาทถ้วน"),
    ("21", "ยี่สิบเอ็ดบาทถ้วน"),
    ("101", "หนึ่งร้อยเอ็ดบาทถ้วน"),
    ("1000000", "หนึ่งล้านบาทถ้วน"),
    ("0.25", "ยี่สิบห้าสตางค์"),
    ("1", "หนึ่งบาทถ้วน"),
    ("11", "สิบเอ็ดบาทถ้วน"),
    ("10", "สิบบาทถ้วน"),
    ("20", "ยี่สิบบาทถ้วน"),
    ("111", "หนึ่งร้อยสิบเอ็ดบาทถ้วน"),
    ("1000001", "หนึ่งล้านเอ็ดบาทถ้วน"),
    ("10000000", "สิบล้านบาทถ้วน"),
    ("21000021", "ยี่สิบเอ็ดล้านยี่สิบเอ็ดบาทถ้วน"),
    ("2000000000", "สองพันล้านบาทถ้วน"),
    ("350.01", "สามร้อยห้าสิบบาทหนึ่งสตางค์"),
    ("0.21", "ยี่สิบเอ็ดสตางค์"),
    ("0", "ศูนย์บาทถ้วน"),
])
def test_an_amount_in_thai_words(amount, words):
    assert baht_text(Decimal(amount)) == words


@pytest.mark.parametrize("typed, satang", [
    ("1,250.50", 125050), ("1250.5", 125050), ("๑,๒๕๐", 125000), ("300 บาท", 30000), ("0.25", 25),
])
def test_amounts_as_people_type_them(typed, satang):
    assert payments.parse_amount(typed) == satang


@pytest.mark.parametrize("typed", ["", "abc", "-5", "0", "0.00", "1.234", "1,25.00", "1e3",
                                   "10000000.01", "NaN"])
def test_amounts_that_are_refused(typed):
    with pytest.raises(UserError) as refused:
        payments.parse_amount(typed)
    assert refused.value.field == "amount" and refused.value.status == 400


# --- Arranging ------------------------------------------------------------------------------
def slip_image(seed: int = 1, kind: str = "PNG", quality: int = 90) -> bytes:
    """A picture of a "slip": bars placed by `seed`, so two seeds give two different images and
    one seed saved twice (PNG, then JPEG) the same image in other bytes."""
    image = Image.new("RGB", (240, 320), "white")
    draw = ImageDraw.Draw(image)
    for row in range(12):
        width = 40 + (seed * 37 + row * 53) % 180
        draw.rectangle((10, 10 + row * 25, 10 + width, 24 + row * 25), fill=(20, 60 + row * 10, 120))
    out = io.BytesIO()
    image.save(out, kind, **({"quality": quality} if kind == "JPEG" else {}))
    return out.getvalue()


@pytest.fixture
def office(session):
    """An organization with its finance officer, an engineering officer, a dispatcher and an
    administrator."""
    org = make_org(session)
    people = {name: create_user(session, organization_id=org.id, email=f"{name}@example.test",
                                password=STAFF_PASSWORD, role=role, department_code=department,
                                display_name=f"{name} person")
              for name, role, department in (("finance", "officer", "finance"),
                                             ("engineer", "officer", "engineering"),
                                             ("dispatcher", "dispatcher", None),
                                             ("admin", "admin", None))}
    session.commit()
    return {"org": org, **people}


def today() -> date:
    return datetime.now(UTC).astimezone(LOCAL_TZ).date()


def form_values(**changes) -> dict:
    this_month = today().strftime("%Y-%m")
    return {"payer_name": "สมชาย ใจดี", "reporter_phone": "081 234 5678", "amount": "1,250.50",
            "transferred_on": (today() - timedelta(days=1)).isoformat(),
            "transfer_ref": "FT2569112700123", "house_number": "12/3", "village": "1",
            "month_from": this_month, "month_to": this_month, **changes}


def send(client, slip: bytes | None = None, filename="slip.png", code="garbage_fee",
         **changes):
    path = f"/report/{code}"
    data = {**form_values(**changes), "csrf_token": csrf_token(client, path)}
    if slip is not None:
        data["slip"] = (io.BytesIO(slip), filename)
    return client.post(path, data=data, content_type="multipart/form-data")


def counts(session) -> tuple[int, int, int]:
    session.expire_all()
    return (session.scalar(select(func.count()).select_from(Incident)),
            session.scalar(select(func.count()).select_from(Payment)),
            session.scalar(select(func.count()).select_from(CaseDocument)))


def sent_case(session, response) -> Incident:
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    code = re.search(r"/track/([A-Z0-9-]+)", response.headers["Location"]).group(1)
    return session.scalars(select(Incident).where(Incident.tracking_code == code)).one()


def staff_client(app, email):
    client = app.test_client()
    assert login(client, email, STAFF_PASSWORD).status_code == 302
    return client


def issue_url(client, incident_id) -> str:
    return f"/finance/payments/{incident_id}/receipt"


def post(client, path, data=None, page=None):
    token = csrf_token(client, page or path.rsplit("/", 1)[0])
    return client.post(path, data={**(data or {}), "csrf_token": token})


# --- The citizen's form ---------------------------------------------------------------------
@pytest.mark.parametrize("changes, field, message", [
    ({"amount": "abc"}, "amount", "The amount must be a number of baht"),
    ({"amount": "-50"}, "amount", "The amount must be more than zero"),
    ({"amount": "0"}, "amount", "The amount must be more than zero"),
    ({"transferred_on": "2999-01-01"}, "transferred_on", "cannot be in the future"),
    ({"transferred_on": "yesterday"}, "transferred_on", "Please give the date of the transfer"),
    ({"payer_name": ""}, "payer_name", "Please give the payer"),
    ({"village": "9"}, "village", "Please choose the village"),
])
def test_bad_input_is_refused_clearly_with_what_was_typed_kept(client, session, office, changes,
                                                               field, message):
    response = send(client, slip_image(), **changes)
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert message in page and 'lang="th"' in page  # in English and in Thai
    assert f'name="{field}"' in page and re.search(rf'name="{field}"[^>]*aria-invalid="true"',
                                                   page, re.S) or field == "village"
    typed = {**form_values(), **changes}
    for name in ("transfer_ref", "payer_name", "house_number", "amount", "transferred_on"):
        assert f'name="{name}"' in page
        if typed[name]:  # what was typed, kept (the refused value too)
            assert f'value="{typed[name]}"' in page, name
    assert re.search(rf'<option value="{typed["village"]}"\s+selected', page) or \
        typed["village"] == "9"
    assert counts(session) == (0, 0, 0)  # nothing stored


@pytest.mark.parametrize("slip, filename", [
    (b"this is not a picture", "slip.jpg"),
    (b"", "empty.png"),
    (b"%PDF-1.4 broken", "slip.pdf"),
])
def test_a_slip_that_is_not_a_real_image_or_pdf_is_refused(client, session, office, slip,
                                                          filename):
    response = send(client, slip, filename=filename)
    assert response.status_code in (400, 413, 415)
    assert "1,250.50" in response.get_data(as_text=True)
    assert counts(session) == (0, 0, 0)


def test_no_slip_is_refused(client, session, office):
    response = send(client, None)
    assert response.status_code == 400
    assert "Please attach the photo of the transfer slip" in response.get_data(as_text=True)
    assert counts(session) == (0, 0, 0)


def test_a_slip_is_stored_with_its_payment_for_the_finance_division(client, session, office):
    village = session.scalars(select(Village).where(Village.number == 1)).one()
    house = Household(organization_id=village.organization_id, village_id=village.id,
                      house_number="12/3", qr_key="k" * 12,
                      location=from_shape(Point(100.005, 10.005), srid=4326))
    session.add(house)
    session.commit()
    incident = sent_case(session, send(client, slip_image()))
    payment = session.get(Payment, incident.id)
    assert payment.household_id == house.id  # the survey's house of that number and village
    assert (payment.amount_satang, payment.pays_for, payment.house_number, payment.transfer_ref) \
        == (125050, "garbage_fee", "12/3", "FT2569112700123")
    assert incident.department.code == "finance" and incident.category.kind == "payment"
    assert incident.category.sensitive  # never on the public list
    assert payment.reused == []
    assert counts(session)[2] == 1
    page = client.get(f"/track/{incident.tracking_code}").get_data(as_text=True)
    assert "1,250.50" in page and 'id="payment"' in page


def test_a_tax_is_paid_for_a_year(client, session, office):
    year = today().year + 543
    response = send(client, slip_image(), code="local_tax", tax_kind="land_building",
                    tax_year=str(year))
    payment = session.get(Payment, sent_case(session, response).id)
    assert (payment.pays_for, payment.tax_kind, payment.tax_year) == ("tax", "land_building", year)
    with db_language("th"):
        assert payments.pays_for_text(payment) == f"ภาษีที่ดินและสิ่งปลูกสร้าง ประจำปี {year}"
    refused = send(client, slip_image(2), code="local_tax", tax_kind="land_building",
                   tax_year=str(year + 5))
    assert refused.status_code == 400 and "Please choose the year" in refused.get_data(as_text=True)


def db_language(lang):
    from mapdash.i18n import language
    return language(lang)


# --- The reused slip -------------------------------------------------------------------------
def test_a_slip_used_before_is_flagged_to_the_finance_officer_not_refused(app, client, session,
                                                                          office):
    first = sent_case(session, send(client, slip_image(1)))
    # The same picture saved again as a JPEG (other bytes), another reference: same image.
    again = sent_case(session, send(client, slip_image(1, "JPEG", 70), filename="again.jpg",
                                    transfer_ref="OTHER-REF"))
    # Another picture with the first one's reference (typed with spaces, in lower case).
    same_ref = sent_case(session, send(client, slip_image(7), transfer_ref="ft2569 112700123"))
    fresh = sent_case(session, send(client, slip_image(13), transfer_ref="NEW-1"))
    session.expire_all()
    assert session.get(Payment, first.id).reused == []
    assert session.get(Payment, again.id).reused == [
        {"incident_id": first.id, "code": first.tracking_code, "why": "same_image"}]
    assert [(f["incident_id"], f["why"]) for f in session.get(Payment, same_ref.id).reused] == [
        (first.id, "same_reference")]
    assert session.get(Payment, fresh.id).reused == []

    finance = staff_client(app, "finance@example.test")
    page = finance.get(f"/finance/payments/{again.id}").get_data(as_text=True)
    assert 'id="reuse-warning"' in page and first.tracking_code in page
    assert "Slip sent before" in finance.get("/finance/payments?lang=en").get_data(as_text=True)


# --- Receipts --------------------------------------------------------------------------------
def _payment(session, office, amount=125050, **fields) -> Incident:
    from mapdash.cases.intake import Report, create_incident
    org = office["org"]
    incident = create_incident(session, Report(category_code="garbage_fee",
                                                organization_slug=org.slug,
                                                reporter_name="สมหญิง รักดี"))
    session.add(Payment(incident_id=incident.id, organization_id=org.id, pays_for="garbage_fee",
                        amount_satang=amount, transferred_on=date(2026, 11, 26),
                        transfer_ref=fields.get("ref"), payer_name="สมหญิง รักดี",
                        house_number="45", village_id=None, months_from=date(2026, 10, 1),
                        months_to=date(2026, 12, 1), reused=[]))
    session.flush()
    return incident


@pytest.fixture
def in_app(app):
    """The app's context, for services called outside a request (the documents' folder)."""
    with app.test_request_context():
        yield app


def _check_url(receipt):
    return f"http://localhost/receipts/check/{receipt.fiscal_year}/{receipt.number}?k=x"


def test_receipt_numbers_under_concurrency_run_one_to_n_without_gap(app, session, office):
    """N officers issue N receipts at the same moment, each on its own connection: the numbers
    are exactly 1..N. An issue that fails after taking its number gives it back."""
    n = 8
    ids = [_payment(session, office).id for _ in range(n + 1)]
    session.commit()
    finance_id = office["finance"].id
    start = threading.Barrier(n + 1)
    numbers, errors = [], []

    def officer(incident_id, fail=False):
        with app.app_context(), db.new_session(app) as own:
            staff = own.get(type(office["finance"]), finance_id)
            start.wait()
            try:
                receipt = receipts.issue(own, incident_id, staff, NOW, _check_url)
                if fail:
                    raise RuntimeError("the printer caught fire")
                own.commit()
                numbers.append(receipt.number)
            except RuntimeError:
                own.rollback()
            except Exception as error:  # reported below, not lost in the thread
                errors.append(error)

    threads = [threading.Thread(target=officer, args=(incident_id, index == 0))
               for index, incident_id in enumerate(ids)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(numbers) == list(range(1, n + 1))
    session.expire_all()
    stored = session.scalars(select(Receipt).order_by(Receipt.number)).all()
    assert [(r.fiscal_year, r.number) for r in stored] == [(2570, k) for k in range(1, n + 1)]
    assert session.scalars(select(Incident.status).where(Incident.id.in_(ids[1:]))).all() \
        == ["resolved"] * n
    # The next fiscal year starts again at 1; this one goes on at n + 1.
    assert receipts.next_number(session, office["org"].id, 2571) == 1
    assert receipts.next_number(session, office["org"].id, 2570) == n + 1


def test_a_void_receipt_keeps_its_number_and_a_corrected_one_takes_the_next(in_app, session,
                                                                             office):
    incident = _payment(session, office)
    finance, engineer = office["finance"], office["engineer"]
    first = receipts.issue(session, incident.id, finance, NOW, _check_url)
    with pytest.raises(UserError) as twice:
        receipts.issue(session, incident.id, finance, NOW, _check_url)
    assert twice.value.status == 409
    with pytest.raises(UserError) as not_theirs:
        receipts.void(session, first.id, engineer, "wrong", NOW)
    assert not_theirs.value.status == 404
    with pytest.raises(UserError) as no_reason:
        receipts.void(session, first.id, finance, "  ", NOW)
    assert no_reason.value.field == "reason"
    receipts.void(session, first.id, finance, "The transfer was 1,205.50 baht", NOW)
    second = receipts.issue(session, incident.id, finance, NOW, _check_url)
    session.commit()
    assert (first.label, second.label) == ("2570/000001", "2570/000002")
    assert first.voided_at is not None and second.voided_at is None
    assert receipts.valid_receipt(session, incident.id).id == second.id


def test_the_receipt_pdf_reads_in_thai(in_app, session, office):
    incident = _payment(session, office)
    finance = office["finance"]
    receipt = receipts.issue(session, incident.id, finance, NOW, _check_url)
    session.commit()
    document = session.get(CaseDocument, receipt.document_id)
    from mapdash.cases.documents import document_path
    text = "".join(page.extract_text() for page in PdfReader(document_path(document)).pages)
    flat = re.sub(r"\s+", "", text)
    for expected in ("ใบเสร็จรับเงิน", "2570/000001", "1,250.50",
                     "หนึ่งพันสองร้อยห้าสิบบาทห้าสิบสตางค์", "สมหญิงรักดี", "อบต.test-tambon",
                     "27พ.ย.2569", "26พ.ย.2569", "ค่าธรรมเนียมเก็บขยะ", "ตุลาคม2569", "ธันวาคม2569",
                     "financeperson"):
        assert expected in flat, (expected, text)


def test_the_check_page_says_valid_or_void_and_the_amount_and_nothing_more(app, client, session,
                                                                            office):
    incident = _payment(session, office)
    finance = office["finance"]
    with app.test_request_context():
        receipt = receipts.issue(session, incident.id, finance, NOW, _check_url)
        session.commit()
        token = receipts.check_token(app.config["SECRET_KEY"], receipt.id)
    url = f"/receipts/check/2570/1?k={token}&lang=en"
    page = client.get(url)
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    assert 'id="verdict">Valid' in text and "1,250.50 baht" in text and "2570/000001" in text
    for private in ("สมหญิง", "45", incident.tracking_code, "finance person"):
        assert private not in re.sub(r"<[^>]+>", " ", text.split("<main", 1)[1])
    for wrong in (f"/receipts/check/2570/2?k={token}", "/receipts/check/2570/1?k=forged.token",
                  "/receipts/check/2570/1", f"/receipts/check/2571/1?k={token}"):
        assert client.get(wrong).status_code == 404, wrong
    receipts.void(session, receipt.id, finance, "The money never arrived", NOW)
    session.commit()
    voided = client.get(url).get_data(as_text=True)
    assert 'id="verdict">Void' in voided and "The money never arrived" not in voided


# --- Who reaches what -------------------------------------------------------------------------
def test_slips_and_receipts_only_reach_the_finance_division_and_the_payer(app, client, session,
                                                                           office):
    """Every URL of a slip or a receipt, tried anonymously, by another department's officer,
    by a dispatcher, by a citizen without the reply code, then by those allowed."""
    response = send(client, slip_image())
    incident = sent_case(session, response)
    track = client.get(f"/track/{incident.tracking_code}?new=1").get_data(as_text=True)
    reply_code = re.search(r'id="reply-code">([A-Z0-9-]+)<', track).group(1)

    finance = staff_client(app, "finance@example.test")
    assert post(finance, issue_url(finance, incident.id),
                page=f"/finance/payments/{incident.id}").status_code == 303
    session.expire_all()
    receipt = receipts.valid_receipt(session, incident.id)
    slip = session.scalars(select(CaseDocument).where(CaseDocument.incident_id == incident.id,
                                                       CaseDocument.purpose == "slip")).one()
    private = [f"/documents/{slip.id}", f"/documents/{receipt.document_id}",
               f"/finance/payments/{incident.id}"]

    anonymous = app.test_client()
    engineer = staff_client(app, "engineer@example.test")
    dispatcher = staff_client(app, "dispatcher@example.test")
    for url in private:
        assert anonymous.get(url).status_code in (302, 404), url  # sign in, or nothing there
        assert engineer.get(url).status_code == 404, url
        assert dispatcher.get(url).status_code in (403, 404), url
    assert engineer.get("/finance/payments").get_data(as_text=True).count("payment-") == 0
    for action in (f"/finance/payments/{incident.id}/receipt",
                   f"/finance/payments/{incident.id}/refuse",
                   f"/finance/receipts/{receipt.id}/void"):
        token = csrf_token(engineer, "/finance/payments")
        assert engineer.post(action, data={"csrf_token": token, "note": "x", "reason": "x"}
                             ).status_code == 404, action
    assert receipts.valid_receipt(session, incident.id).id == receipt.id

    for url in private:
        assert finance.get(url).status_code == 200, url
    admin = staff_client(app, "admin@example.test")
    assert admin.get(f"/documents/{receipt.document_id}").status_code == 200

    # The payer in another browser: no link, no file, until the reply code is typed.
    payer = app.test_client()
    page = payer.get(f"/track/{incident.tracking_code}").get_data(as_text=True)
    assert 'id="download-receipt"' not in page and 'id="receipt-locked"' in page
    assert f'action="/track/{incident.tracking_code}/documents"' in page
    assert payer.get(f"/documents/{receipt.document_id}").status_code == 404
    token = csrf_token(payer, f"/track/{incident.tracking_code}")
    wrong = payer.post(f"/track/{incident.tracking_code}/documents",
                       data={"csrf_token": token, "reply_code": "AAAA-BBBB-CCCC"})
    assert wrong.status_code == 403
    assert payer.get(f"/documents/{receipt.document_id}").status_code == 404
    payer.post(f"/track/{incident.tracking_code}/documents",
               data={"csrf_token": token, "reply_code": reply_code.lower()})
    page = payer.get(f"/track/{incident.tracking_code}").get_data(as_text=True)
    assert f'href="/documents/{receipt.document_id}"' in page
    download = payer.get(f"/documents/{receipt.document_id}")
    assert download.status_code == 200 and download.data.startswith(b"%PDF")
    assert "no-store" in download.headers["Cache-Control"]
    # The slip is the finance division's: the payer's code opens the receipt, not other cases.
    other = sent_case(session, send(app.test_client(), slip_image(5)))
    other_receipt_page = payer.get(f"/track/{other.tracking_code}").get_data(as_text=True)
    assert "/documents/" not in other_receipt_page


def test_the_finance_officer_refuses_a_slip_or_asks_for_a_clearer_one(app, client, session,
                                                                     office):
    asked = sent_case(session, send(client, slip_image(1)))
    refused = sent_case(session, send(client, slip_image(2), transfer_ref="R2"))
    finance = staff_client(app, "finance@example.test")
    page = f"/finance/payments/{asked.id}"
    empty = post(finance, f"{page}/ask", {"note": ""}, page=page)
    assert empty.status_code == 400 and "Please write a message or reason" in empty.get_data(
        as_text=True)
    assert post(finance, f"{page}/ask", {"note": "ภาพไม่ชัด กรุณาส่งใหม่"}, page=page
                ).status_code == 303
    page = f"/finance/payments/{refused.id}"
    assert post(finance, f"{page}/refuse", {"note": "ยอดเงินไม่เข้าบัญชี"}, page=page
                ).status_code == 303
    session.expire_all()
    assert (session.get(Incident, asked.id).status, session.get(Incident, refused.id).status) \
        == ("info_requested", "rejected")
    track = client.get(f"/track/{asked.tracking_code}").get_data(as_text=True)
    assert "ภาพไม่ชัด กรุณาส่งใหม่" in track  # the question, on the citizen's page
    assert 'id="issue-receipt"' not in finance.get(page).get_data(as_text=True)


def test_the_payer_sends_the_clearer_slip_asked_for_from_the_tracking_page(app, client, session,
                                                                         office):
    incident = sent_case(session, send(client, slip_image(1)))
    track = f"/track/{incident.tracking_code}"
    reply_code = re.search(r'id="reply-code">([A-Z0-9-]+)<', client.get(f"{track}?new=1")
                           .get_data(as_text=True)).group(1)
    finance = staff_client(app, "finance@example.test")
    page = f"/finance/payments/{incident.id}"
    post(finance, f"{page}/ask", {"note": "ภาพไม่ชัด กรุณาส่งใหม่"}, page=page)

    stranger = app.test_client()
    token = csrf_token(stranger, track)
    refused = stranger.post(f"{track}/slip", content_type="multipart/form-data", data={
        "csrf_token": token, "reply_code": "AAAA-BBBB-CCCC",
        "slip": (io.BytesIO(slip_image(2)), "clear.png")})
    assert refused.status_code == 403
    not_a_slip = client.post(f"{track}/slip", content_type="multipart/form-data", data={
        "csrf_token": csrf_token(client, track), "slip": (io.BytesIO(b"text"), "clear.png")})
    assert not_a_slip.status_code == 415
    assert counts(session)[2] == 1

    other_browser = app.test_client()
    assert 'id="new-slip-form"' in other_browser.get(track).get_data(as_text=True)
    sent = other_browser.post(f"{track}/slip", content_type="multipart/form-data", data={
        "csrf_token": csrf_token(other_browser, track), "reply_code": reply_code,
        "slip": (io.BytesIO(slip_image(2)), "clear.png")})
    assert sent.status_code == 303
    session.expire_all()
    assert session.get(Incident, incident.id).status == "accepted"
    assert counts(session)[2] == 2
    assert post(finance, issue_url(finance, incident.id), page=page).status_code == 303
    again = other_browser.post(f"{track}/slip", content_type="multipart/form-data", data={
        "csrf_token": csrf_token(other_browser, track),
        "slip": (io.BytesIO(slip_image(3)), "late.png")})
    assert again.status_code == 409  # nothing is waiting for a slip any more
