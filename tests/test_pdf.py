"""The printed request form: a PDF that opens, carries its own Thai font, and says in Thai
what the case is, with a map, the photos and a QR code to the tracking page."""
import io
import re
from datetime import UTC, datetime

import pytest
from PIL import Image
from pypdf import PdfReader
from shapely.geometry import Polygon, box
from sqlalchemy import select

from mapdash.cases import photos
from mapdash.cases.intake import Report, create_incident
from mapdash.models import IncidentEvent
from mapdash.office import printform
from mapdash.office.auth import create_user
from tests.factories import make_org
from tests.support import csrf_token, login

PASSWORD = "correct horse battery"
DESCRIPTION = "น้ำประปาไม่ไหลมา 3 วันแล้ว ท่อแตกหน้าวัด ผู้สูงอายุลำบากมาก"


def pdf_text(pdf: bytes) -> str:
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def shows(text: str, detail: str) -> bool:
    """Whether `detail` is in the extracted `text`, wherever the layout broke its lines.

    HarfBuzz draws SARA AM (ำ) as two glyphs and fpdf2 maps only the first back to the
    character, so extraction shows the second as one stray character right after it (the
    print is right; copying gives e.g. "น้ำ;"). That one character is allowed, nothing else."""
    pattern = r"\s*".join("\u0e33.?" if ch == "\u0e33" else re.escape(ch)
                          for ch in detail if not ch.isspace())
    return re.search(pattern, text, re.S) is not None


def a_photo() -> photos.ProcessedPhoto:
    image = Image.new("RGB", (640, 480), (14, 165, 233))
    out = io.BytesIO()
    image.save(out, "JPEG")
    return photos.process_image(out.getvalue())


@pytest.fixture
def case(app, session):
    org = make_org(session)
    create_user(session, organization_id=org.id, email="dispatcher@example.test",
                password=PASSWORD, role="dispatcher", display_name="สมหญิง รับแจ้ง")
    incident = create_incident(session, Report(
        category_code="water", lon=100.004, lat=10.006, description=DESCRIPTION,
        reporter_name="บุญมี ศรีสุข", reporter_phone="080-000-5555"))
    with app.app_context():
        photos.store_photo(session, incident, a_photo(), "report")
    session.commit()
    return incident


def build(app, session, incident) -> bytes:
    with app.test_request_context():
        return printform.request_form(session, incident, tracking_url="https://example.test/track/X",
                                      printed_by="สมหญิง รับแจ้ง", now=datetime.now(UTC))


def test_the_form_opens_and_says_what_the_case_is_in_thai(app, session, case, screenshot_dir):
    pdf = build(app, session, case)
    (screenshot_dir / "request-form.pdf").write_bytes(pdf)  # to look at: pdftoppm -png
    assert pdf.startswith(b"%PDF-")
    text = pdf_text(pdf)
    for detail in (DESCRIPTION, "ประปาชำรุด", "หมู่1บ้านตะวันตก", "บุญมีศรีสุข", "080-000-5555",
                   "กองช่าง", "ใบรับแจ้งเรื่อง", case.tracking_code, "อบต.test-tambon",
                   "10.006000,100.004000", "สมหญิงรับแจ้ง"):
        assert shows(text, detail), detail


def test_the_thai_font_is_embedded_not_borrowed_from_the_reader(app, session, case):
    reader = PdfReader(io.BytesIO(build(app, session, case)))
    fonts = reader.pages[0]["/Resources"]["/Font"]
    embedded = []
    for ref in fonts.values():
        font = ref.get_object()
        descendant = font["/DescendantFonts"][0].get_object()
        descriptor = descendant["/FontDescriptor"].get_object()
        embedded.append((str(font["/BaseFont"]), "/FontFile2" in descriptor))
    assert sorted(name.split("+")[-1] for name, _ in embedded) == ["Sarabun", "SarabunBold"]
    assert all(has_file for _, has_file in embedded)


def test_the_form_has_the_qr_code_and_the_photo(app, session, case):
    page = PdfReader(io.BytesIO(build(app, session, case))).pages[0]
    sizes = sorted(image.image.size for image in page.images)
    assert len(sizes) == 2
    assert (480, 360) in sizes  # the citizen's photo (its thumbnail)
    qr = [size for size in sizes if size[0] == size[1]]
    assert qr and qr[0][0] >= 21  # a QR code is square, at least 21 modules wide


def test_the_reporter_of_a_sensitive_case_is_not_printed(app, session):
    org = make_org(session)
    tip = create_incident(session, Report(category_code="drug_tip", lon=100.004, lat=10.006,
                                          description="สงสัยมีการลักลอบจำหน่าย",
                                          reporter_name="ผู้แจ้งลับ", reporter_phone="080-000-9999"))
    session.commit()
    assert org.id == tip.organization_id
    text = pdf_text(build(app, session, tip))
    assert not shows(text, "ผู้แจ้งลับ") and not shows(text, "080-000-9999")
    assert shows(text, "ปกปิดข้อมูลผู้แจ้ง") and shows(text, "ผู้แจ้งไม่ได้แนบรูปถ่าย")


def test_a_case_without_a_place_still_prints(app, session):
    make_org(session)
    request = create_incident(session, Report(category_code="info_request",
                                              description="ขอทราบกำหนดการจ่ายเบี้ยยังชีพ"))
    session.commit()
    text = pdf_text(build(app, session, request))
    assert shows(text, "เรื่องนี้ไม่มีตำแหน่งบนแผนที่") and shows(text, "ขอทราบกำหนดการจ่ายเบี้ยยังชีพ")


def test_printing_from_the_panel_records_it_in_the_timeline(app, client, session, case):
    login(client, "dispatcher@example.test", PASSWORD)
    token = csrf_token(client, "/dispatch/")
    response = client.post(f"/dispatch/cases/{case.id}/form.pdf", data={"csrf_token": token})
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert f"request-{case.tracking_code}.pdf" in response.headers["Content-Disposition"]
    assert shows(pdf_text(response.data), DESCRIPTION)
    actions = session.scalars(select(IncidentEvent.action).where(
        IncidentEvent.incident_id == case.id).order_by(IncidentEvent.id)).all()
    assert actions == ["report", "print_form"]
    assert client.post("/dispatch/cases/999999/form.pdf", data={"csrf_token": token}).status_code == 404


def test_the_map_skips_villages_that_only_come_near(app, session):
    # Village 2 is a triangle whose bounding box reaches the map's area but whose land does not.
    triangle = Polygon([(100.0125, 10.02), (100.03, 10.02), (100.03, 10.0)])
    make_org(session, villages=((1, "บ้านตะวันตก", box(100.00, 10.00, 100.01, 10.01)),
                                (2, "บ้านสามเหลี่ยม", triangle)))
    incident = create_incident(session, Report(category_code="road", lon=100.005, lat=10.005,
                                               description="ถนนเป็นหลุมลึก"))
    session.commit()
    shapes = printform._map_shapes(session, incident)
    assert [(shape.number, shape.is_case_village) for shape in shapes] == [(1, True)]
    assert shows(pdf_text(build(app, session, incident)), "หมู่ 1")
