"""Households and their QR stickers (issue 14, seed 002): the survey import with every kind
of bad row reported by its number and nothing stored, a good import stored, the sticker
sheets' text, pages and QR codes (only a random key), the place preset after a scan, the
staff's household map and the layer's role check."""
import io
import json
import math
import re

import pytest
import qrcode
from pypdf import PdfReader
from shapely.geometry import box
from sqlalchemy import func, select

from mapdash.households import layer, stickers
from mapdash.households.checks import check_rows
from mapdash.households.survey_file import read_survey_file
from mapdash.i18n import in_language
from mapdash.models import AdminChange, Household, HouseholdUpload
from mapdash.office.auth import create_user
from tests.factories import STAFF_PASSWORD, make_org, make_staff
from tests.support import csrf_token, login

# make_org: village 1 บ้านตะวันตก (100.00-100.01 E), village 2 บ้านตะวันออก (100.01-100.02 E),
# both 10.00-10.01 N; the organization is their union.
HEADER = "house_number,village,lat,lon\n"


@pytest.fixture
def office(session):
    org = make_org(session)
    users = make_staff(session, org)
    users["executive"] = create_user(session, organization_id=org.id, email="executive@example.test",
                                     password=STAFF_PASSWORD, role="executive")
    session.add(Household(organization_id=org.id, village_id=_village_id(session, org, 1),
                          house_number="5", location="SRID=4326;POINT(100.002 10.002)",
                          qr_key="existingKey5"))
    session.commit()
    return {"org": org, "users": users}


def _village_id(session, org, number):
    from mapdash.models import Village
    return session.scalar(select(Village.id).where(Village.organization_id == org.id,
                                                   Village.number == number))


def signed_in(app, role):
    client = app.test_client()
    assert login(client, f"{role}@example.test", STAFF_PASSWORD).status_code == 302
    return client


def upload(client, name, text):
    token = csrf_token(client, "/admin/households/")
    return client.post("/admin/households/check", data={
        "csrf_token": token, "file": (io.BytesIO(text.encode()), name)},
        content_type="multipart/form-data")


def households(session):
    session.expire_all()
    return session.scalar(select(func.count()).select_from(Household))


BAD_CSV = HEADER + "\n".join([
    "1,1,10.005,100.005",            # row 2: good
    "2,1,10.5,100.5",                # 3: outside the organization
    "3,9,10.005,100.005",            # 4: no village 9
    "4,1,10.005,100.015",            # 5: in village 2, 550 m outside village 1
    "6,1,10.005,100.0103",           # 6: 33 m outside village 1: within the margin, good
    "1,บ้านตะวันตก,10.006,100.006",   # 7: house 1 of village 1 again (village by name)
    "5,หมู่ 1,10.004,100.004",         # 8: house 5 of village 1 is already stored
    "7,1,abc,100.005",               # 9: not a number
    "8,1,95,100.005",                # 10: latitude out of range
    ",1,10.005,100.005",             # 11: no house number
    "9,1,100.005,10.005",            # 12: latitude and longitude swapped
    "",                              # a blank line a spreadsheet left: not a row
    "10,,10.005,100.005",            # 14: no village
]) + "\n"


def test_every_kind_of_bad_row_is_reported_by_its_row_and_nothing_is_stored(app, session, office):
    rows, kind = read_survey_file("survey.csv", BAD_CSV.encode())
    good, problems = check_rows(session, office["org"].id, rows, kind)
    assert [row.index for row in good] == [2, 6]
    english = {(p.index, in_language(p.reason, "en")) for p in problems}
    assert english == {
        (3, "the point is outside the organization's area"),
        (4, "there is no village '9' in this organization: give its number (e.g. 3) or its name"),
        (5, "the point is 548 m outside village 1; it lies in village 2"),
        (7, "house number 1 in village 1 repeats row 2"),
        (8, "house number 5 already exists in village 1"),
        (9, "latitude 'abc' is not a number"),
        (10, "latitude '95' is outside -90 to 90"),
        (11, "the house number is missing"),
        (12, "latitude and longitude look swapped"),
        (14, "the village is missing"),
    }
    # Every message is in Thai too.
    thai = {in_language(p.reason, "th") for p in problems}
    assert all(re.search("[\u0e00-\u0e7f]", text) for text in thai), thai

    client = signed_in(app, "admin")
    page = upload(client, "survey.csv", BAD_CSV)
    assert page.status_code == 400
    html = page.get_data(as_text=True)
    assert "ไม่ได้บันทึกอะไรเลย" in html
    for row in (3, 4, 5, 7, 8, 9, 10, 11, 12, 14):
        assert f"แถว {row}:" in html
    assert "household-confirm" not in html  # nothing to confirm
    assert households(session) == 1
    assert session.scalar(select(func.count()).select_from(HouseholdUpload)) == 0


def test_a_geojson_with_bad_features_names_them_and_a_whole_file_refused_says_why(app, session, office):
    collection = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [100.015, 10.005]},
         "properties": {"house_number": "1", "village": 2}},
        {"type": "Feature", "geometry": {"type": "LineString", "coordinates": [[100, 10], [100.1, 10]]},
         "properties": {"house_number": "2", "village": 2}},
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [100.016, 10.005]},
         "properties": {"house_number": "๑", "moo": "2"}},  # Thai digits: house 1 again
    ]}
    client = signed_in(app, "admin")
    html = upload(client, "survey.geojson", json.dumps(collection)).get_data(as_text=True)
    assert "จุดที่ 2: รูปทรงไม่ใช่จุด" in html
    assert "จุดที่ 3: บ้านเลขที่ 1 ในหมู่ 2 ซ้ำกับจุดที่ 1" in html
    refused = upload(client, "survey.csv", "house,lat\n1,10\n")
    assert refused.status_code == 400
    assert "house_number, village, lat" in refused.get_data(as_text=True)
    assert upload(client, "survey.xlsx", "x").status_code == 400
    assert households(session) == 1


def test_a_good_file_is_stored_on_confirm_each_house_with_its_own_random_key(app, session, office):
    text = HEADER + "".join(f"{n},{1 + n % 2},10.00{n},100.0{'1' if n % 2 else '0'}{n}\n"
                            for n in range(1, 8))
    client = signed_in(app, "admin")
    preview = upload(client, "survey.csv", text)
    assert preview.status_code == 200, preview.get_data(as_text=True)[:3000]
    token = re.search(r'name="token" value="([^"]+)"', preview.get_data(as_text=True)).group(1)
    assert households(session) == 1  # nothing stored before the confirmation
    done = client.post("/admin/households/confirm", data={
        "csrf_token": csrf_token(client, "/admin/households/"), "token": token})
    assert done.status_code == 303
    stored = session.scalars(select(Household).where(Household.qr_key != "existingKey5")
                             .order_by(Household.house_number)).all()
    assert [(h.house_number, h.village.number) for h in stored] == [
        (str(n), 1 + n % 2) for n in range(1, 8)]
    keys = {h.qr_key for h in stored}
    assert len(keys) == 7 and all(re.fullmatch(r"[A-Za-z0-9_-]{12}", key) for key in keys)
    assert session.scalar(select(AdminChange.subject).where(AdminChange.action == "imported")) \
        == "household"
    again = client.post("/admin/households/confirm", data={
        "csrf_token": csrf_token(client, "/admin/households/"), "token": token})
    assert again.status_code == 410
    assert "สติกเกอร์" in client.get("/admin/households/").get_data(as_text=True)


def _qr_modules(page, width_mm: float, size: int) -> set[tuple[int, int]]:
    """The dark modules of the first sticker's QR code, read back from the page's rectangles."""
    points_per_mm = 72 / 25.4
    module = stickers.QR_SIZE / size
    found = set()
    content = page.get_contents().get_data().decode("latin-1")
    for x, y, w, _h in re.findall(r"([\d.]+) ([\d.]+) ([\d.]+) (-?[\d.]+) re f", content):
        left = float(x) / points_per_mm
        top = 297 - float(y) / points_per_mm
        if left >= stickers.LABEL_W or top >= stickers.LABEL_H:
            continue  # another sticker
        column, row = round((left - stickers.PAD) / module), round((top - stickers.PAD) / module)
        found.update((row, column + i) for i in range(round(float(w) / points_per_mm / module)))
    return found


def test_the_sticker_sheets_show_each_house_and_its_qr_holds_only_the_random_key(app, session, office):
    org = office["org"]
    west, east = _village_id(session, org, 1), _village_id(session, org, 2)
    for n in range(1, 30):  # 29 more houses in village 1: 30 with house 5
        session.add(Household(organization_id=org.id, village_id=west, house_number=f"{n + 10}",
                              location=f"SRID=4326;POINT(100.00{n % 9 + 1} 10.005)",
                              qr_key=f"westHouse{n:03d}"))
    for n in (1, 2, 3):
        session.add(Household(organization_id=org.id, village_id=east, house_number=f"{n}/1",
                              location="SRID=4326;POINT(100.015 10.005)", qr_key=f"eastHouse{n:03d}"))
    session.commit()
    client = signed_in(app, "admin")

    every = client.get("/admin/households/stickers.pdf")
    assert every.status_code == 200 and every.mimetype == "application/pdf"
    reader = PdfReader(io.BytesIO(every.data))
    assert len(reader.pages) == math.ceil(30 / 24) + 1  # each village starts a sheet
    text = "".join(page.extract_text() for page in reader.pages)
    assert "บ้านตะวันตก" in text and "บ้านตะวันออก" in text and "บ้านเลขที่" in text
    for number in ("5", "11", "39", "1/1", "3/1"):
        assert number in text
    # Houses in number order: house 5 first, house 39 last (on the second sheet).
    assert reader.pages[0].extract_text().index("5") < reader.pages[0].extract_text().index("11")
    assert "39" in reader.pages[1].extract_text()

    one = client.get("/admin/households/stickers.pdf?village=2")
    one_reader = PdfReader(io.BytesIO(one.data))
    assert len(one_reader.pages) == 1
    assert "บ้านตะวันตก" not in one_reader.pages[0].extract_text()

    # The first sticker of village 2 is house 1/1: its QR is the link to /h/<key> and nothing
    # else (no house number, name or phone), the same code as qrcode makes of that link.
    link = f"{app.config['PUBLIC_BASE_URL'] or 'http://localhost'}/h/eastHouse001"
    code = qrcode.QRCode(border=0, error_correction=qrcode.constants.ERROR_CORRECT_M)
    code.add_data(link)
    code.make(fit=True)
    matrix = code.get_matrix()
    expected = {(r, c) for r, row in enumerate(matrix) for c, dark in enumerate(row) if dark}
    assert _qr_modules(one_reader.pages[0], stickers.LABEL_W, len(matrix)) == expected
    household = session.scalar(select(Household).where(Household.qr_key == "eastHouse001"))
    assert household.house_number not in link.replace("eastHouse001", "")
    # The table holds nothing personal to leak: a number, a village, a place, a key.
    assert set(Household.__table__.columns.keys()) == {
        "id", "organization_id", "village_id", "house_number", "location", "qr_key", "created_at"}

    assert signed_in(app, "dispatcher").get("/admin/households/stickers.pdf").status_code == 403


def test_a_scan_presets_the_house_for_the_report_form_until_cleared(app, session, office):
    citizen = app.test_client()
    unknown = citizen.get("/h/noSuchKey1234")
    assert unknown.status_code == 404
    assert "ไม่รู้จักคิวอาร์โค้ดนี้" in unknown.get_data(as_text=True)

    scanned = citizen.get("/h/existingKey5")
    assert scanned.status_code == 303
    assert scanned.headers["Location"].endswith("/?org=test-tambon")
    home = citizen.get("/?org=test-tambon").get_data(as_text=True)
    assert "บ้านเลขที่ 5 หมู่ 1 บ้านตะวันตก" in home

    form = citizen.get("/report/streetlight?org=test-tambon").get_data(as_text=True)
    assert 'id="lat" inputmode="decimal" autocomplete="off" value="10.002000"' in form
    assert 'value="100.002000"' in form
    assert "หมู่ 1 บ้านตะวันตก" in form.split('id="place-village"')[1][:200]  # the village, no JS
    assert 'id="house-pin-note"' in form
    # A place sent by the link (LINE's shared location) wins over the house.
    linked = citizen.get("/report/streetlight?org=test-tambon&lat=10.007&lon=100.015").get_data(as_text=True)
    assert 'value="10.007"' in linked and 'id="house-pin-note"' not in linked

    # Another organization's forms start from nothing.
    make_org(session, slug="other", villages=((1, "บ้านอื่น", box(101.0, 10.0, 101.01, 10.01)),))
    session.commit()
    other = citizen.get("/report/streetlight?org=other").get_data(as_text=True)
    assert "household-banner" not in other and 'value="10.002000"' not in other

    cleared = citizen.post("/h/clear", data={"csrf_token": csrf_token(citizen, "/?org=test-tambon"),
                                             "next": "/report/streetlight?org=test-tambon"})
    assert cleared.status_code == 303 and cleared.headers["Location"] == "/report/streetlight?org=test-tambon"
    after = citizen.get("/report/streetlight?org=test-tambon").get_data(as_text=True)
    assert "household-banner" not in after and 'value="10.002000"' not in after
    # Never an open redirect.
    away = citizen.post("/h/clear", data={"csrf_token": csrf_token(citizen, "/login"),
                                          "next": "//evil.example/"})
    assert away.headers["Location"] == "/"


def test_the_household_layer_is_for_office_staff_only_and_within_the_view(app, session, office):
    url = "/households/layer.geojson?bbox=100.0,10.0,100.005,10.005"
    assert app.test_client().get(url).status_code == 401
    for role in ("crew", "executive"):
        assert signed_in(app, role).get(url).status_code == 403, role
    for role in ("admin", "dispatcher", "officer"):
        answer = signed_in(app, role).get(url)
        assert answer.status_code == 200, role
        assert answer.mimetype == "application/geo+json"
        [feature] = answer.json["features"]
        assert feature["properties"]["house_number"] == "5"
        assert answer.json["capped"] is False
    assert signed_in(app, "admin").get(
        "/households/layer.geojson?bbox=100.006,10.0,100.02,10.01").json["features"] == []
    assert signed_in(app, "admin").get("/households/layer.geojson?bbox=1,2").status_code == 400
    # At most the cap, saying so.
    for n in range(3):
        session.add(Household(organization_id=office["org"].id,
                              village_id=_village_id(session, office["org"], 2), house_number=str(n),
                              location="SRID=4326;POINT(100.015 10.005)", qr_key=f"capped{n:06d}"))
    session.commit()
    capped = layer.households_geojson(session, office["org"].id, None, limit=2)
    assert len(capped["features"]) == 2 and capped["capped"] is True
    assert layer.households_geojson(session, office["org"].id, None, limit=4)["capped"] is False


def test_staff_add_move_and_delete_houses_on_the_map(app, session, office):
    client = signed_in(app, "dispatcher")
    token = csrf_token(client, "/households/")
    headers = {"X-CSRFToken": token, "Accept": "application/json"}

    added = client.post("/households/", headers=headers,
                        data={"house_number": " ๑๒ ", "lon": "100.0102", "lat": "10.005"})
    assert added.status_code == 201
    feature = added.json
    # 22 m east of village 1, inside village 2: the village the place lies in.
    assert feature["properties"]["house_number"] == "12" and feature["properties"]["village"] == 2
    taken = client.post("/households/", headers=headers,
                        data={"house_number": "12", "lon": "100.015", "lat": "10.005"})
    assert taken.status_code == 409 and "มีอยู่ในระบบแล้ว" in taken.json["message_th"]
    outside = client.post("/households/", headers=headers,
                          data={"house_number": "13", "lon": "101", "lat": "10.005"})
    assert outside.status_code == 400 and outside.json["error"] == "outside_area"
    missing = client.post("/households/", headers=headers,
                          data={"house_number": "", "lon": "100.015", "lat": "10.005"})
    assert missing.json["error"] == "house_number_missing"

    moved = client.post(f"/households/{feature['id']}", headers=headers,
                        data={"lon": "100.003", "lat": "10.003"})
    assert moved.status_code == 200 and moved.json["properties"]["village"] == 1
    renumbered = client.post(f"/households/{feature['id']}", headers=headers, data={"house_number": "5"})
    assert renumbered.status_code == 409  # house 5 of village 1 exists

    crew = signed_in(app, "crew")
    assert crew.post(f"/households/{feature['id']}/delete", headers={
        "X-CSRFToken": csrf_token(crew, "/login"), "Accept": "application/json"}).status_code == 403
    deleted = client.post(f"/households/{feature['id']}/delete", headers=headers)
    assert deleted.status_code == 200 and households(session) == 1
    assert client.post(f"/households/{feature['id']}/delete", headers=headers).status_code == 404
    actions = session.scalars(select(AdminChange.action).where(AdminChange.subject == "household")
                              .order_by(AdminChange.id)).all()
    assert actions == ["created", "changed", "removed"]
    assert signed_in(app, "officer").get("/households/").status_code == 403


def test_a_thai_excel_csv_with_semicolons_and_decimal_commas_is_read(app, session, office):
    """Thai Excel saves "CSV" in Windows-874, and with a decimal comma, semicolon-separated."""
    text = "บ้านเลขที่;หมู่;ละติจูด;ลองจิจูด\r\n๑๒/๓;หมู่ที่ ๒;10,005;100,015\r\n"
    rows, kind = read_survey_file("สำรวจ.csv", text.encode("cp874"))
    good, problems = check_rows(session, office["org"].id, rows, kind)
    assert problems == []
    [row] = good
    assert (row.index, row.house_number, row.lat, row.lon) == (2, "12/3", 10.005, 100.015)
    assert row.village_id == _village_id(session, office["org"], 2)
