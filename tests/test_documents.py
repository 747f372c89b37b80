"""A case's private documents: only real images and inert PDFs are taken, files and rows
are stored together, and only the case's department, its admins and its citizen (with the
reply code) can download them."""
import io
from datetime import UTC, datetime

import pytest
from fpdf import FPDF
from PIL import Image
from pypdf import PdfWriter
from pypdf.generic import DictionaryObject, NameObject, TextStringObject
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage

from mapdash.cases import documents, replies
from mapdash.errors import UserError
from mapdash.models import CaseDocument
from tests.crew_support import PASSWORD, make_user
from tests.factories import make_incident, make_org
from tests.support import csrf_token, login


def upload(data: bytes, name: str = "file") -> FileStorage:
    return FileStorage(io.BytesIO(data), filename=name)


def jpeg_with_gps() -> bytes:
    image = Image.new("RGB", (320, 200), (200, 30, 30))
    exif = Image.Exif()
    exif[0x8825] = {2: (13.0, 45.0, 0.0), 1: "N"}  # GPSInfo
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    return out.getvalue()


def plain_pdf() -> bytes:
    pdf = FPDF()
    pdf.set_creation_date(datetime(2026, 1, 5, tzinfo=UTC))  # the same bytes every call
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    pdf.cell(text="House registration")
    return bytes(pdf.output())


def hand_made_pdf(catalog_extra: bytes) -> bytes:
    """A one-page PDF written byte by byte, with `catalog_extra` in its catalogue."""
    objects = [b"<< /Type /Catalog /Pages 2 0 R " + catalog_extra + b" >>",
               b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>"]
    out, offsets = bytearray(b"%PDF-1.7\n"), []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1, xref)
    return bytes(out)


def pdf_with(change) -> bytes:
    writer = PdfWriter()
    writer.append(io.BytesIO(plain_pdf()))
    change(writer)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def launch_action(writer: PdfWriter) -> None:
    action = DictionaryObject({NameObject("/S"): NameObject("/Launch"),
                               NameObject("/F"): TextStringObject("calc.exe")})
    writer.pages[0][NameObject("/AA")] = DictionaryObject({NameObject("/O"): action})


def script_on_open(writer: PdfWriter) -> None:
    writer.root_object[NameObject("/OpenAction")] = DictionaryObject({
        NameObject("/S"): NameObject("/JavaScript"),
        NameObject("/JS"): TextStringObject("app.alert('hi');")})


def encrypted(writer: PdfWriter) -> None:
    writer.encrypt("secret")


def refusal(data: bytes) -> UserError:
    with pytest.raises(UserError) as caught:
        documents.check_upload(upload(data), field="id_card")
    return caught.value


def test_images_are_cleaned_and_inert_pdfs_kept_as_sent():
    assert documents.check_upload(upload(hand_made_pdf(b""))).media_type == "application/pdf"
    photo = documents.check_upload(upload(jpeg_with_gps(), "C:\\scans\\id card.jpg"))
    assert photo.media_type == "image/jpeg" and photo.filename == "id card.jpg"
    assert photo.phash is not None
    assert not Image.open(io.BytesIO(photo.data)).getexif()  # the GPS position is gone
    pdf = plain_pdf()
    kept = documents.check_upload(upload(pdf, "ทะเบียนบ้าน.pdf"))
    assert (kept.media_type, kept.data, kept.filename, kept.phash) == (
        "application/pdf", pdf, "ทะเบียนบ้าน.pdf", None)


@pytest.mark.parametrize("data, code, status", [
    (b"just some text, not a file", "document_type", 415),
    (b"", "document_empty", 400),
    (b"\xff\xd8\xff" + b"\0" * (documents.MAX_DOCUMENT_BYTES + 1), "document_too_large", 413),
    (b"%PDF-1.7\n this is not really a PDF", "document_damaged", 400),
    (pdf_with(script_on_open), "document_active", 400),
    (pdf_with(launch_action), "document_active", 400),
    (pdf_with(lambda writer: writer.add_attachment("run.exe", b"MZ")), "document_active", 400),
    (pdf_with(encrypted), "document_encrypted", 400),
    # a name spelled with #xx escapes is the same name to a PDF reader
    (hand_made_pdf(b"/OpenAction << /S /J#61vaScript /JS (app.alert(1)) >>"), "document_active",
     400),
])
def test_anything_but_an_image_or_an_inert_pdf_is_refused(data, code, status):
    refused = refusal(data)
    assert (refused.code, refused.status, refused.field) == (code, status, "id_card")


@pytest.fixture
def world(app, session):
    with app.app_context():  # DOCUMENT_DIR is the app's (not around requests: they share g)
        return _world(session)


def _world(session):
    org = make_org(session)
    people = {
        "org": org,
        "admin": make_user(session, org, "admin", "admin@docs.test"),
        "dispatcher": make_user(session, org, "dispatcher", "dispatcher@docs.test"),
        "engineer": make_user(session, org, "officer", "engineer@docs.test", "engineering"),
        "health": make_user(session, org, "officer", "health@docs.test", "public_health"),
    }
    other = make_org(session, slug="other-tambon")
    people["other_admin"] = make_user(session, other, "admin", "admin@other.test")
    case = make_incident(session)  # a streetlight: the engineering department's
    people["reply_code"] = replies.issue_reply_code(case)
    people["case"] = case
    people["document"] = documents.store_document(
        session, case, documents.check_upload(upload(plain_pdf(), "answer.pdf")), "answer",
        staff=people["engineer"])
    session.commit()
    return people


def test_files_and_rows_are_stored_together_or_not_at_all(app, session, world):
    case = world["case"]
    with app.app_context():
        assert documents.document_path(world["document"]).read_bytes() == plain_pdf()
        checked = documents.check_upload(upload(jpeg_with_gps()))
        path = documents.document_path(documents.store_document(session, case, checked, "id_card"))
        assert path.exists()
        session.rollback()
        assert not path.exists()
    assert [d.purpose for d in documents.documents_of(session, case.id)] == ["answer"]
    assert session.scalar(select(func.count()).select_from(CaseDocument)) == 1


def test_only_the_department_its_admins_and_the_citizen_download(app, session, world):
    url = f"/documents/{world['document'].id}"
    for who in (None, "dispatcher", "health", "other_admin"):
        client = app.test_client()
        if who:
            assert login(client, world[who].email, PASSWORD).status_code in (302, 303)
        assert client.get(url).status_code == 404, who
    for who in ("engineer", "admin"):
        client = app.test_client()
        login(client, world[who].email, PASSWORD)
        answer = client.get(url)
        assert answer.status_code == 200 and answer.data == plain_pdf(), who
        assert answer.headers["Cache-Control"] == "private, no-store"
        assert "attachment" in answer.headers["Content-Disposition"]
        assert answer.headers["X-Content-Type-Options"] == "nosniff"

    citizen = app.test_client()
    track = f"/track/{world['case'].tracking_code}"
    locked = citizen.get(track).get_data(as_text=True)
    assert 'id="documents"' in locked and url not in locked and "/documents\"" in locked
    token = csrf_token(citizen, track)
    wrong = citizen.post(f"{track}/documents", data={"csrf_token": token,
                                                      "reply_code": "AAAA-BBBB-CCCC"},
                         headers={"Accept-Language": "en"})
    assert wrong.status_code == 403 and "reply code" in wrong.get_data(as_text=True)
    assert citizen.get(url).status_code == 404
    typed = world["reply_code"].lower().replace("-", " ")  # as a person might type it
    right = citizen.post(f"{track}/documents", data={"csrf_token": token, "reply_code": typed})
    assert right.status_code == 303 and right.headers["Location"].endswith("#documents")
    assert citizen.get(url).data == plain_pdf()
    assert f'href="{url}">answer.pdf</a>' in citizen.get(track).get_data(as_text=True)
    # Another case's document stays closed to this citizen.
    with app.app_context():
        other = documents.store_document(session, make_incident(session), documents.check_upload(
            upload(plain_pdf())), "answer")
        session.commit()
    assert citizen.get(f"/documents/{other.id}").status_code == 404
    assert citizen.get("/documents/99999999999999999999").status_code in (400, 404)


def test_the_tracking_page_s_view_is_locked_until_the_reply_code(app, session, world):
    case = world["case"]
    assert documents.citizen_view(session, {}, case) == documents.CitizenView(True, [])
    kept = {"reply_codes": {case.tracking_code: world["reply_code"]}}
    view = documents.citizen_view(session, kept, case)
    assert not view.locked and [d.id for d in view.documents] == [world["document"].id]
    assert documents.citizen_view(session, kept, case, purposes=("receipt",)) == \
        documents.CitizenView(False, [])

