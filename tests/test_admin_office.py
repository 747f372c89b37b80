"""Departments (/admin/departments) and the organization (/admin/organization): happy paths,
refusals that keep what was typed, the record of each change, and who may open them."""
import io
import re
from datetime import UTC, datetime

import pytest
from PIL import Image
from pypdf import PdfReader
from sqlalchemy import select

from mapdash.cases.intake import Report, create_incident
from mapdash.models import AdminChange, Category, Department, Incident, Organization
from mapdash.office import printform
from mapdash.office.auth import create_user
from tests.factories import STAFF_PASSWORD, make_org, make_staff
from tests.photo_samples import jpeg, png
from tests.support import csrf_token, login

# Every page and form of the admin's people and organization, and what each form sends.
PAGES = ["/admin/staff/", "/admin/staff/{user}", "/admin/departments/", "/admin/organization/"]
FORMS = ["/admin/staff/", "/admin/staff/{user}/change", "/admin/staff/{user}/deactivate",
         "/admin/staff/{user}/activate", "/admin/staff/{user}/password-link",
         "/admin/departments/{department}", "/admin/organization/",
         "/admin/organization/emergency-numbers", "/admin/organization/logo",
         "/admin/organization/logo/remove", "/admin/organization/map-pack"]


@pytest.fixture
def people(session):
    users = make_staff(session)
    session.commit()
    return users


def signed_in(app, user):
    client = app.test_client()
    assert login(client, user.email, STAFF_PASSWORD).status_code == 302
    return client


@pytest.fixture
def admin(app, people):
    return signed_in(app, people["admin"])


def department(session, code="engineering") -> Department:
    return session.scalars(select(Department).where(Department.code == code)).first()


def recorded(session) -> list[tuple]:
    session.expire_all()
    return [(c.subject, c.action, c.subject_label, c.before, c.after)
            for c in session.scalars(select(AdminChange).order_by(AdminChange.id))]


def marked(html: str) -> list[str]:
    return re.findall(r'<(?:input|select|textarea)[^>]*name="([^"]+)"[^>]*aria-invalid="true"', html)


@pytest.mark.parametrize("role", ["dispatcher", "officer", "crew", None])
def test_only_admins_open_these_pages_and_strangers_are_sent_to_sign_in(app, people, session, role):
    client = signed_in(app, people[role]) if role else app.test_client()
    token = csrf_token(client, "/login")
    ids = {"user": people["crew"].id, "department": department(session).id}
    for path in PAGES:
        answer = client.get(path.format(**ids))
        assert answer.status_code == (403 if role else 302), (role, path)
        if not role:
            assert "/login" in answer.headers["Location"]
    for path in FORMS:
        answer = client.post(path.format(**ids), data={"csrf_token": token, "name_th": "x"})
        assert answer.status_code == (403 if role else 302), (role, path)
    assert recorded(session) == []


def test_a_department_is_renamed_given_alerts_and_an_officer_and_it_is_recorded(admin, people,
                                                                                 session):
    works = department(session)
    officer = people["officer"]
    page = admin.get("/admin/departments/").get_data(as_text=True)
    assert f'id="department-{works.id}"' in page and "กองช่าง" in page
    answer = admin.post(f"/admin/departments/{works.id}", data={
        "csrf_token": csrf_token(admin, "/admin/departments/"), "name_th": " กองช่าง  โยธา ",
        "name_en": "Public Works", "notify_email": "works@tambon.example",
        "notify_line_group": "C" + "ab" * 16, "officer_id": str(officer.id)})
    assert answer.status_code == 303 and answer.headers["Location"].endswith(f"#department-{works.id}")
    session.expire_all()
    assert (works.name_th, works.name_en, works.notify_email, works.officer_id) == (
        "กองช่าง โยธา", "Public Works", "works@tambon.example", officer.id)
    [(subject, action, label, before, after)] = recorded(session)
    assert (subject, action, label) == ("department", "changed", "engineering")
    assert before == {"name_th": "กองช่าง", "name_en": "Engineering Division",
                      "notify_email": None, "notify_line_group": None, "officer": None}
    assert after == {"name_th": "กองช่าง โยธา", "name_en": "Public Works",
                     "notify_email": "works@tambon.example",
                     "notify_line_group": "C" + "ab" * 16, "officer": officer.email}
    # The notifications page shows where alerts go and links here to change them.
    notifications = admin.get("/admin/notifications/").get_data(as_text=True)
    assert "works@tambon.example" in notifications and 'href="/admin/departments/"' in notifications


@pytest.mark.parametrize("fields, message, field", [
    ({"name_th": ""}, "ชื่อกอง/ฝ่ายต้องยาว", "name_th"),
    ({"name_en": "x" * 101}, "ชื่อกอง/ฝ่ายต้องยาว", "name_en"),
    ({"notify_email": "works at tambon"}, "ที่อยู่อีเมลไม่ถูกต้อง", "notify_email"),
    ({"notify_line_group": "Uabc"}, "รหัสกลุ่ม LINE ไม่ถูกต้อง", "notify_line_group"),
    ({"officer_id": "stranger"}, "เลือกผู้รับผิดชอบจากรายการ", "officer_id"),
    ({"officer_id": "99999999999"}, "เลือกผู้รับผิดชอบจากรายการ", "officer_id"),
    ({"officer_id": "inactive"}, "เลือกผู้รับผิดชอบจากรายการ", "officer_id"),
])
def test_a_bad_department_value_is_refused_beside_its_form_with_what_was_typed(
        admin, people, session, fields, message, field):
    other = make_org(session, slug="other-tambon")
    stranger = create_user(session, organization_id=other.id, email="x@other.test",
                           password=STAFF_PASSWORD, role="dispatcher")
    people["crew"].active = False
    session.commit()
    officer_ids = {"stranger": str(stranger.id), "inactive": str(people["crew"].id)}
    works = department(session)
    typed = {"name_th": "กองช่างใหม่", "name_en": "New Works", "notify_email": "ok@tambon.example",
             "notify_line_group": "", "officer_id": "", **fields}
    typed["officer_id"] = officer_ids.get(typed["officer_id"], typed["officer_id"])
    answer = admin.post(f"/admin/departments/{works.id}",
                        data={"csrf_token": csrf_token(admin, "/admin/departments/"), **typed})
    html = answer.get_data(as_text=True)
    assert answer.status_code == 400 and message in html
    assert marked(html) == [field]
    own_form = html.split(f'id="department-{works.id}"')[1].split("</form>")[0]
    assert 'class="form-error"' in own_form
    for name in ("name_th", "notify_email"):
        assert f'value="{typed[name]}"' in own_form
    assert recorded(session) == []


def test_a_department_of_another_organization_is_not_found(admin, session):
    other = make_org(session, slug="other-tambon")
    session.commit()
    foreign = session.scalars(select(Department).where(Department.organization_id == other.id)).first()
    answer = admin.post(f"/admin/departments/{foreign.id}", data={
        "csrf_token": csrf_token(admin, "/admin/departments/"), "name_th": "ของเรา"})
    assert answer.status_code == 404
    session.expire_all()
    assert foreign.name_th != "ของเรา"


def test_the_organizations_names_and_contact_are_saved_shown_and_recorded(app, admin, session):
    answer = admin.post("/admin/organization/", data={
        "csrf_token": csrf_token(admin, "/admin/organization/"), "name_th": "อบต.ทดสอบ",
        "name_en": "Test SAO", "phone": "042 511 234", "email": "saraban@tambon.example",
        "address": "99 หมู่ 1\nต.ทดสอบ", "office_hours": "จันทร์-ศุกร์ 08:30-16:30"})
    assert answer.status_code == 303
    home = app.test_client().get("/").get_data(as_text=True)
    assert "อบต.ทดสอบ" in home and 'href="tel:042511234"' in home
    assert "saraban@tambon.example" in home and "จันทร์-ศุกร์ 08:30-16:30" in home
    [(subject, action, label, before, after)] = recorded(session)
    assert (subject, action, label) == ("organization", "changed", "test-tambon")
    assert before == {"name_th": "อบต.test-tambon", "name_en": "test-tambon SAO", "phone": None,
                      "email": None, "address": None, "office_hours": None}
    assert after["phone"] == "042 511 234" and after["address"] == "99 หมู่ 1\nต.ทดสอบ"


@pytest.mark.parametrize("fields, message, field", [
    ({"name_th": ""}, "กรอกชื่อหน่วยงาน", "name_th"),
    ({"phone": "call us"}, "เบอร์โทรศัพท์ต้องเป็นตัวเลข", "phone"),
    ({"email": "saraban"}, "ที่อยู่อีเมลไม่ถูกต้อง", "email"),
    ({"address": "ก" * 501}, "ยาวได้ไม่เกิน 500", "address"),
    ({"office_hours": "8" * 201}, "ยาวได้ไม่เกิน 200", "office_hours"),
])
def test_bad_contact_details_are_refused_with_what_was_typed(admin, session, fields, message, field):
    typed = {"name_th": "อบต.ใหม่", "name_en": "New SAO", "phone": "042 511 234",
             "email": "a@tambon.example", "address": "", "office_hours": "", **fields}
    answer = admin.post("/admin/organization/", data={
        "csrf_token": csrf_token(admin, "/admin/organization/"), **typed})
    html = answer.get_data(as_text=True)
    assert answer.status_code == 400 and message in html and marked(html) == [field]
    assert 'value="New SAO"' in html
    session.expire_all()
    assert session.scalars(select(Organization.name_en)).one() == "test-tambon SAO"
    assert recorded(session) == []


def emergency_form(admin, rows):
    form = {"csrf_token": csrf_token(admin, "/admin/organization/")}
    for n, (number, label_th, label_en) in enumerate(rows, start=1):
        form.update({f"number_{n}": number, f"label_th_{n}": label_th, f"label_en_{n}": label_en})
    return admin.post("/admin/organization/emergency-numbers", data=form)


def test_the_emergency_numbers_are_the_organizations(app, admin, session):
    home = app.test_client().get("/").get_data(as_text=True)
    assert [n for n in re.findall(r'href="tel:(\d+)" class="call"', home)] == ["1669", "191", "199"]
    page = admin.get("/admin/organization/").get_data(as_text=True)
    assert 'value="เจ็บป่วยฉุกเฉิน"' in page and 'value="Medical emergency"' in page
    answer = emergency_form(admin, [("1669", "เจ็บป่วยฉุกเฉิน", "Medical emergency"),
                                    ("", "", ""), ("1784", "สาธารณภัย", ""),
                                    ("042-511-999", "กู้ภัย อบต.", "SAO rescue")])
    assert answer.status_code == 303
    citizen = app.test_client()
    home = citizen.get("/").get_data(as_text=True)
    assert re.findall(r'href="tel:(\d+)" class="call"', home) == ["1669", "1784", "042511999"]
    assert "กู้ภัย อบต." in home
    english = citizen.get("/?lang=en").get_data(as_text=True)
    assert "SAO rescue" in english and "สาธารณภัย" in english  # no English: the Thai label
    session.execute(select(Category))  # a report form of an emergency type shows them too
    ems = session.scalars(select(Category).where(Category.emergency)).first()
    report = citizen.get(f"/report/{ems.code}?lang=th").get_data(as_text=True)
    assert 'href="tel:1784"' in report and 'href="tel:191"' not in report
    [(subject, action, label, before, after)] = recorded(session)
    assert (subject, action) == ("organization", "changed")
    assert [row["number"] for row in before["emergency_numbers"]] == ["1669", "191", "199"]
    assert [row["number"] for row in after["emergency_numbers"]] == ["1669", "1784", "042511999"]


@pytest.mark.parametrize("rows, message, field", [
    ([("", "", "")], "ต้องมีหมายเลขฉุกเฉินอย่างน้อยหนึ่งหมายเลข", "number_1"),
    ([("1669", "เจ็บป่วย", ""), ("19x", "ตำรวจ", "")], "ต้องเป็นตัวเลข 3 ถึง 10 หลัก", "number_2"),
    ([("1669", "", "Medical")], "เป็นภาษาไทย", "label_th_1"),
    ([("1669", "ก" * 61, "")], "เป็นภาษาไทย", "label_th_1"),
])
def test_bad_emergency_numbers_are_refused_with_what_was_typed(admin, session, rows, message, field):
    answer = emergency_form(admin, rows)
    html = answer.get_data(as_text=True)
    assert answer.status_code == 400 and message in html and marked(html) == [field]
    for number, label_th, _label_en in rows:
        assert f'value="{number}"' in html and f'value="{label_th}"' in html
    session.expire_all()
    assert session.scalars(select(Organization.emergency_numbers)).one() is None
    assert recorded(session) == []


def upload_logo(admin, data: bytes, name="logo.png"):
    return admin.post("/admin/organization/logo", content_type="multipart/form-data", data={
        "csrf_token": csrf_token(admin, "/admin/organization/"), "logo": (io.BytesIO(data), name)})


def test_a_logo_is_cleaned_served_publicly_and_removed(app, admin, session):
    assert upload_logo(admin, png(size=(1200, 600))).status_code == 303
    home = app.test_client().get("/").get_data(as_text=True)
    src = re.search(r'<img class="org-logo" src="([^"]+)"', home).group(1)
    served = app.test_client().get(src)
    assert served.status_code == 200 and served.mimetype == "image/jpeg"
    assert served.headers["Cache-Control"].startswith("public")
    image = Image.open(io.BytesIO(served.data))
    assert image.format == "JPEG" and image.size == (480, 240)
    again = app.test_client().get(src, headers={"If-None-Match": served.headers["ETag"]})
    assert again.status_code == 304
    photo = upload_logo(admin, jpeg(), "logo.jpg")  # EXIF and GPS are not kept
    assert photo.status_code == 303
    session.expire_all()
    assert b"SecretPhone" not in session.scalars(select(Organization.logo)).one()

    assert admin.post("/admin/organization/logo/remove", data={
        "csrf_token": csrf_token(admin, "/admin/organization/")}).status_code == 303
    assert app.test_client().get(src).status_code == 404
    assert "org-logo" not in app.test_client().get("/").get_data(as_text=True)
    assert [(row[0], row[1], list(row[4])) for row in recorded(session)] == [
        ("organization", "changed", ["logo"])] * 3


def test_the_logo_heads_the_printed_request_form(app, admin, session):
    case = create_incident(session, Report(category_code="water", lon=100.004, lat=10.006,
                                           description="ท่อประปาแตกหน้าวัด"))
    session.commit()

    def images() -> list[tuple[int, int]]:
        session.expire_all()
        with app.test_request_context():
            pdf = printform.request_form(session, session.get(Incident, case.id),
                                         tracking_url="https://example.test/track/X",
                                         printed_by="admin", now=datetime(2026, 1, 5, tzinfo=UTC))
        return sorted(image.image.size for image in PdfReader(io.BytesIO(pdf)).pages[0].images)

    without = images()
    assert upload_logo(admin, png(size=(1200, 600))).status_code == 303
    assert images() == sorted([*without, (480, 240)])


@pytest.mark.parametrize("data, name, status, message", [
    (b"%PDF-1.4 not an image", "logo.png", 415, "ไม่ใช่รูปภาพ"),
    (b"", "logo.png", 400, "เลือกไฟล์รูปภาพ"),
])
def test_a_file_that_is_not_an_image_is_refused(admin, session, data, name, status, message):
    answer = upload_logo(admin, data, name) if data else admin.post(
        "/admin/organization/logo", content_type="multipart/form-data",
        data={"csrf_token": csrf_token(admin, "/admin/organization/")})
    assert answer.status_code == status and message in answer.get_data(as_text=True)
    session.expire_all()
    assert session.scalars(select(Organization.logo_sha256)).one() is None
    assert recorded(session) == []


def test_another_organizations_logo_is_not_there_until_it_has_one(app, session):
    other = make_org(session, slug="other-tambon")
    session.commit()
    assert app.test_client().get(f"/photos/logo/{other.id}").status_code == 404
