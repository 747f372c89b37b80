"""Village boundaries at /admin/villages: a file uploaded is checked and shown on a map with
each bad feature listed before anything is stored; the confirm step stores it all or
nothing, places the cases again and is recorded."""
import io
import json
import zipfile
from datetime import UTC, datetime, timedelta

import pytest
import shapefile
from sqlalchemy import func, select, text

from mapdash.models import AdminChange, Incident, Village, VillageUpload
from tests.support import csrf_token, login

ADMIN = "admin@demo.mapdash.test"


@pytest.fixture
def admin(demo_client):
    login(demo_client, ADMIN, "demo-password")
    return demo_client


def demo_villages(session) -> list[dict]:
    """The demo villages as GeoJSON features, as a surveyor's file would have them."""
    rows = session.execute(text("SELECT number, name_th, ST_AsGeoJSON(geom) FROM villages "
                                "ORDER BY number")).all()
    return [{"type": "Feature", "properties": {"moo": number, "name_th": name},
             "geometry": json.loads(geometry)} for number, name, geometry in rows]


def geojson(features) -> bytes:
    return json.dumps({"type": "FeatureCollection", "features": features},
                      ensure_ascii=False).encode()


def upload(client, data: bytes, name="villages.geojson", **fields):
    token = csrf_token(client, "/admin/villages/")
    return client.post("/admin/villages/check", data={
        "csrf_token": token, "file": (io.BytesIO(data), name), **fields},
        content_type="multipart/form-data", headers={"Accept-Language": "en"})


def imported(session) -> list[AdminChange]:
    session.expire_all()
    return list(session.scalars(select(AdminChange).where(AdminChange.subject == "village")))


def test_a_file_is_shown_first_and_stored_when_confirmed(admin, demo_session):
    features = demo_villages(demo_session)
    features[0]["properties"]["name_th"] = "บ้านใหม่ชื่อใหม่"
    assert len(features) > 2
    count = len(features)
    answer = upload(admin, geojson(features))
    assert answer.status_code == 200
    page = answer.get_data(as_text=True)
    assert 'id="village-preview"' in page and "บ้านใหม่ชื่อใหม่" in page
    assert page.count("Replaces the village now stored") == count
    assert 'id="village-confirm"' in page
    # Nothing stored yet: the demo names are still there.
    old_name = demo_session.scalars(select(Village.name_th).where(Village.number == 1)).one()
    assert old_name != "บ้านใหม่ชื่อใหม่" and imported(demo_session) == []

    token = page.split('name="token" value="')[1].split('"')[0]
    done = admin.post("/admin/villages/confirm", data={
        "csrf_token": csrf_token(admin, "/admin/villages/"), "token": token})
    assert done.status_code == 303
    demo_session.expire_all()
    assert demo_session.scalars(select(Village.name_th).where(Village.number == 1)).one() \
        == "บ้านใหม่ชื่อใหม่"
    [change] = imported(demo_session)
    assert (change.action, change.subject_label) == ("imported", "villages.geojson")
    assert change.after["updated"] == count and change.after["created"] == 0
    assert change.after["villages"] == list(range(1, count + 1))
    # Every located case is still in a village; the token is used up.
    assert demo_session.scalar(select(func.count()).select_from(Incident).where(
        Incident.location.is_not(None), Incident.village_id.is_(None))) == 0
    assert demo_session.scalars(select(VillageUpload)).first() is None
    again = admin.post("/admin/villages/confirm", data={
        "csrf_token": csrf_token(admin, "/admin/villages/"), "token": token})
    assert again.status_code == 410 and len(imported(demo_session)) == 1
    assert "บ้านใหม่ชื่อใหม่" in admin.get("/admin/villages/").get_data(as_text=True)
    assert "villages.geojson" in admin.get("/admin/changes").get_data(as_text=True)


def test_a_zipped_shapefile_without_prj_needs_its_coordinate_system(admin, demo_session):
    features = demo_villages(demo_session)
    buffer = io.BytesIO()
    shp, shx, dbf = io.BytesIO(), io.BytesIO(), io.BytesIO()
    with shapefile.Writer(shp=shp, shx=shx, dbf=dbf, shapeType=shapefile.POLYGON) as writer:
        writer.field("MOO", "N", size=4)
        writer.field("NAME_TH", "C", size=80)
        writer.poly(features[1]["geometry"]["coordinates"][0])
        writer.record(99, "บ้านใหม่")
    with zipfile.ZipFile(buffer, "w") as archive:
        for ext, part in ((".shp", shp), (".shx", shx), (".dbf", dbf)):
            archive.writestr(f"moo{ext}", part.getvalue())
    answer = upload(admin, buffer.getvalue(), "moo.zip")
    assert answer.status_code == 400
    page = answer.get_data(as_text=True)
    assert "coordinate system" in page and 'aria-invalid="true"' in page
    answer = upload(admin, buffer.getvalue(), "moo.zip", crs="EPSG:4326")
    page = answer.get_data(as_text=True)
    assert answer.status_code == 200 and "บ้านใหม่" in page and ">New<" in page


@pytest.mark.parametrize("data, name, words", [
    (b"number,name\n1,x\n", "villages.csv", "GeoJSON"),
    (b"{not json", "villages.geojson", "cannot read"),
    (b"PK\x03\x04broken", "villages.zip", "zip"),
    (geojson([]), "villages.geojson", "no features"),
    (b'{"type": "Point", "coordinates": [1, 2]}', "villages.json", "Feature"),
    (b" " * (21 * 2**20), "villages.geojson", "20 MB"),
])
def test_files_that_are_not_village_files_are_refused(admin, demo_session, data, name, words):
    answer = upload(admin, data, name)
    assert answer.status_code == 400
    page = answer.get_data(as_text=True)
    assert words in page and 'name="file"' in page
    assert demo_session.scalars(select(VillageUpload)).first() is None
    assert imported(demo_session) == []


def test_bad_features_are_listed_by_number_and_nothing_can_be_stored(admin, demo_session):
    features = demo_villages(demo_session)
    features[1]["geometry"] = {"type": "Point", "coordinates": [100.5, 13.7]}
    features[2]["properties"]["moo"] = features[0]["properties"]["moo"]
    answer = upload(admin, geojson(features))
    assert answer.status_code == 400
    page = answer.get_data(as_text=True)
    assert "Feature 2: geometry is a Point, not a polygon" in page
    assert "Feature 3: village number 1 repeats feature 1" in page
    assert 'id="village-confirm"' not in page and 'name="token"' not in page
    assert demo_session.scalars(select(VillageUpload)).first() is None
    assert imported(demo_session) == []


def test_a_checked_file_waits_an_hour_for_its_own_admin(admin, demo_app, demo_session):
    answer = upload(admin, geojson(demo_villages(demo_session)))
    token = answer.get_data(as_text=True).split('name="token" value="')[1].split('"')[0]
    [waiting] = demo_session.scalars(select(VillageUpload)).all()
    assert token not in waiting.token_sha256  # only its digest is kept
    waiting.created_at = datetime.now(UTC) - timedelta(minutes=61)
    demo_session.commit()
    late = admin.post("/admin/villages/confirm", data={
        "csrf_token": csrf_token(admin, "/admin/villages/"), "token": token})
    assert late.status_code == 410 and imported(demo_session) == []
    wrong = admin.post("/admin/villages/confirm", data={
        "csrf_token": csrf_token(admin, "/admin/villages/"), "token": "x" * 40})
    assert wrong.status_code == 410


@pytest.mark.parametrize("role", ["dispatcher", "officer", "crew"])
def test_only_admins_upload_villages(demo_client, demo_session, role):
    login(demo_client, f"{role}@demo.mapdash.test", "demo-password")
    assert demo_client.get("/admin/villages/").status_code == 403
    token = csrf_token(demo_client, "/")
    answer = demo_client.post("/admin/villages/check", data={
        "csrf_token": token, "file": (io.BytesIO(geojson(demo_villages(demo_session))),
                                      "v.geojson")}, content_type="multipart/form-data")
    assert answer.status_code == 403
    assert demo_client.post("/admin/villages/confirm", data={
        "csrf_token": token, "token": "x" * 40}).status_code == 403
    assert demo_session.scalars(select(VillageUpload)).first() is None
