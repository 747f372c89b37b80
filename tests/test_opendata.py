"""Open data downloads: every public case matching the public page's filters, as CSV and
GeoJSON, streamed, and never anything the public page hides."""
import csv
import io
import json
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select, text

from mapdash.demo.synthetic import seed_synthetic
from mapdash.i18n import LOCAL_TZ
from mapdash.maps import opendata
from mapdash.maps.opendata import CHUNK_BYTES, HEADER
from mapdash.maps.public_cases import CaseFilter
from mapdash.models import Category, Incident, Village
from tests.factories import make_incident

CSV_URL, GEOJSON_URL = "/api/opendata/cases.csv", "/api/opendata/cases.geojson"
SECRET = dict(reporter_name="สมหญิง ลับมาก", reporter_phone="0899999999",
              reporter_line_id="somying.line", reporter_email="somying@example.org",
              description="รายละเอียดส่วนตัวห้ามเผยแพร่")


def read_csv(response) -> list[dict]:
    body = response.get_data()
    assert body.startswith(b"\xef\xbb\xbf")  # the BOM: Excel then reads Thai as UTF-8
    return list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))


def public_codes(session, *conditions) -> set[str]:
    """The codes the public page would list with these conditions, counted apart."""
    return set(session.scalars(
        select(Incident.tracking_code).join(Category, Category.id == Incident.category_id)
        .outerjoin(Village, Village.id == Incident.village_id)
        .where(Category.sensitive.is_(False), *conditions)))


@pytest.fixture
def private_cases(demo_session):
    """A streetlight and a drug tip, both with the reporter's contact and details."""
    public = make_incident(demo_session, lon=104.62, lat=17.35, **SECRET)
    secret = make_incident(demo_session, category="drug_tip", lon=104.621, lat=17.351, **SECRET)
    demo_session.commit()
    return public, secret


def test_csv_has_every_public_case_with_thai_names_and_a_dated_attachment_name(
        demo_client, demo_session, private_cases):
    public, secret = private_cases
    before = datetime.now(UTC).astimezone(LOCAL_TZ).date().isoformat()
    response = demo_client.get(CSV_URL)
    after = datetime.now(UTC).astimezone(LOCAL_TZ).date().isoformat()  # Thai midnight may pass
    assert response.status_code == 200 and response.is_streamed
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"] in {
        f'attachment; filename="demo-tambon-cases-{today}.csv"' for today in (before, after)}
    rows = read_csv(response)
    assert list(rows[0]) == HEADER
    assert {row["code"] for row in rows} == public_codes(demo_session)
    assert len(rows) > 200 and secret.tracking_code not in {row["code"] for row in rows}
    [row] = [row for row in rows if row["code"] == public.tracking_code]
    assert row["category"] == "streetlight" and row["category_th"] == "ไฟฟ้าส่องสว่างดับ"
    assert row["status"] == "new" and row["status_th"] == "รอรับเรื่อง"
    assert row["village_number"] == "1" and row["village_th"] == "บ้านโนนสวรรค์"
    assert row["department_th"] == "กองช่าง" and row["followers"] == "0"
    assert (float(row["lon"]), float(row["lat"])) == (104.62, 17.35)
    reported = datetime.fromisoformat(row["reported_at"])
    assert row["reported_at"].endswith("+07:00") and row["closed_at"] == ""
    assert abs(reported - public.created_at).total_seconds() < 1
    assert row["url"] == f"http://localhost/track/{public.tracking_code}"
    body = response.get_data()
    for private in SECRET.values():
        assert private.encode() not in body


def test_geojson_holds_the_same_cases_as_features_built_by_postgresql(
        demo_client, demo_session, private_cases):
    public, secret = private_cases
    no_place = make_incident(demo_session, category="info_request", lon=None, lat=None)
    demo_session.commit()
    response = demo_client.get(GEOJSON_URL)
    assert response.status_code == 200 and response.mimetype == "application/geo+json"
    assert response.headers["Content-Disposition"].endswith('.geojson"')
    collection = json.loads(response.get_data(as_text=True))
    assert collection["type"] == "FeatureCollection"
    features = {f["properties"]["code"]: f for f in collection["features"]}
    assert set(features) == public_codes(demo_session) and secret.tracking_code not in features
    feature = features[public.tracking_code]
    assert feature["geometry"] == {"type": "Point", "coordinates": [104.62, 17.35]}
    assert feature["properties"]["category_th"] == "ไฟฟ้าส่องสว่างดับ"
    assert set(feature["properties"]) == set(HEADER) - {"lon", "lat"}
    assert features[no_place.tracking_code]["geometry"] is None  # listed, with no place
    for private in SECRET.values():
        assert private.encode() not in response.get_data()
        assert private.encode("unicode_escape") not in response.get_data()


def test_names_with_quotes_commas_backslashes_and_line_breaks_survive_both_formats(
        demo_client, demo_session):
    awkward = 'บ้าน "ใหม่", ทาง\\สอง\nหมู่\x01ล่าง'
    demo_session.scalars(select(Village).where(Village.number == 1)).one().name_th = awkward
    demo_session.commit()
    rows = read_csv(demo_client.get(f"{CSV_URL}?village=1"))
    assert rows and {row["village_th"] for row in rows} == {awkward}
    collection = json.loads(demo_client.get(f"{GEOJSON_URL}?village=1").get_data())
    assert {f["properties"]["village_th"] for f in collection["features"]} == {awkward}


@pytest.mark.parametrize("query, condition", [
    ("type=water", lambda: Category.code == "water"),
    ("village=3", lambda: Village.number == 3),
    ("status=open", lambda: Incident.is_open),
    ("status=resolved", lambda: Incident.status == "resolved"),
    ("type=streetlight&village=2&status=open",
     lambda: (Category.code == "streetlight") & (Village.number == 2) & Incident.is_open),
])
def test_the_public_page_filters_pick_the_same_cases_in_both_formats(
        demo_client, demo_session, query, condition):
    # The demo's cases are a snapshot at the time it is loaded: which of them are still open
    # changes with the hour. One open streetlight in หมู่ 2 makes the narrowest filter match.
    lon, lat = demo_session.execute(
        select(func.ST_X(func.ST_PointOnSurface(Village.geom)),
               func.ST_Y(func.ST_PointOnSurface(Village.geom))).where(Village.number == 2)).one()
    make_incident(demo_session, category="streetlight", lon=lon, lat=lat)
    demo_session.commit()
    expected = public_codes(demo_session, condition())
    assert expected  # the demo tambon has cases for each of these filters
    rows = read_csv(demo_client.get(f"{CSV_URL}?{query}"))
    assert {row["code"] for row in rows} == expected
    collection = demo_client.get(f"{GEOJSON_URL}?{query}").get_json()
    assert {f["properties"]["code"] for f in collection["features"]} == expected


@pytest.mark.parametrize("query, status, field", [
    ("village=abc", 400, "village"),
    ("village=99", 400, "village"),
    ("status=lost", 400, "status"),
    ("type=no_such_type", 400, "type"),
    ("type=drug_tip", 400, "type"),  # sensitive types are never a public filter
    ("village=99999999999999999999", 400, "village"),
    ("village=" + "9" * 5000, 400, "village"),  # more digits than int() reads
    ("village=%C2%B2", 400, "village"),         # "²" is a digit, not a decimal number
    ("org=no-such-org", 404, None),
])
def test_bad_filters_are_refused_in_thai_and_english(demo_client, query, status, field):
    for url in (CSV_URL, GEOJSON_URL):
        response = demo_client.get(f"{url}?{query}")
        assert response.status_code == status, (url, query)
        error = response.get_json()
        assert error["message_th"] and error["message_en"] and error["field"] == field
        assert "Content-Disposition" not in response.headers


def test_a_large_export_is_streamed_in_pieces(demo_client, demo_session):
    seed_synthetic(demo_session, 3500)
    demo_session.commit()
    total = len(public_codes(demo_session))
    for url in (CSV_URL, GEOJSON_URL):
        response = demo_client.get(url, buffered=False)
        assert response.is_streamed
        chunks = list(response.response)
        response.close()
        size = sum(len(chunk) for chunk in chunks)
        assert len(chunks) > size // CHUNK_BYTES > 10  # sent piece by piece, never built whole
        assert max(len(chunk) for chunk in chunks) < CHUNK_BYTES + 1000
        body = b"".join(chunks).decode("utf-8-sig")
        if url == CSV_URL:
            assert len(list(csv.DictReader(io.StringIO(body)))) == total
        else:
            assert len(json.loads(body)["features"]) == total


def test_a_download_given_up_halfway_frees_its_connection(demo_client, demo_session):
    seed_synthetic(demo_session, 3000)
    demo_session.commit()
    for _ in range(20):  # more than the pool holds: each abandoned download gave its back
        for url in (CSV_URL, GEOJSON_URL):
            response = demo_client.get(url, buffered=False)
            next(iter(response.response))
            response.close()
    assert demo_client.get(f"{CSV_URL}?village=1").status_code == 200


def test_an_address_runs_two_downloads_at_once_and_a_third_waits(demo_client, demo_session):
    seed_synthetic(demo_session, 3000)
    demo_session.commit()
    running = []
    for url in (CSV_URL, GEOJSON_URL):  # started, the client reads no further
        response = demo_client.get(url, buffered=False)
        next(iter(response.response))
        running.append(response)
    waiting = demo_client.get(f"{CSV_URL}?village=1", headers={"Accept-Language": "en"})
    assert waiting.status_code == 429 and waiting.headers["Retry-After"] == "30"
    assert "still running" in waiting.get_data(as_text=True)
    never_read = demo_client.get(CSV_URL, buffered=False)  # a slot is freed without reading
    assert never_read.status_code == 429
    running.pop().close()
    assert demo_client.get(f"{CSV_URL}?village=1").status_code == 200
    for response in running:
        response.close()


def test_a_download_given_up_stops_its_query_and_the_rows_come_unsorted(demo_client,
                                                                        demo_session):
    seed_synthetic(demo_session, 3000)
    demo_session.commit()
    response = demo_client.get(CSV_URL, buffered=False)
    next(iter(response.response))

    def copying() -> int:  # pg_stat_activity is read once per transaction: a new one each time
        demo_session.rollback()
        return demo_session.scalar(text(
            "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'COPY (%' "
            "AND state = 'active'"))
    assert copying() == 1
    response.close()
    assert copying() == 0  # cancelled, not read to its end: the connection is idle already
    # The plan a download runs: the index's order, no sort before the first row.
    org_id = demo_session.scalar(select(Village.organization_id).limit(1))
    sql, params = opendata._query(CaseFilter(), org_id, "http://x/", "i.id")
    demo_session.execute(text("SET LOCAL enable_sort = off"))
    plan = demo_session.scalar(text(f"EXPLAIN (FORMAT JSON) {sql}"), params)  # noqa: S608
    assert "Sort" not in json.dumps(plan) and "incidents_org_created_idx" in json.dumps(plan)
    demo_session.rollback()


def test_the_cases_page_links_to_downloads_with_its_filters(demo_client):
    page = demo_client.get("/cases?type=water&village=3&status=open").get_data(as_text=True)
    assert 'href="/api/opendata/cases.csv?type=water&amp;village=3&amp;status=open"' in page
    assert 'href="/api/opendata/cases.geojson?type=water&amp;village=3&amp;status=open"' in page
    assert "ดาวน์โหลดทุกเรื่องตามเงื่อนไขนี้" in page
    unfiltered = demo_client.get("/cases?lang=en").get_data(as_text=True)
    assert 'href="/api/opendata/cases.csv"' in unfiltered and "Download every" in unfiltered


def test_the_download_links_on_a_phone_and_a_desktop(live_server, phone, desktop, screenshot_dir):
    for page, name in ((phone, "phone"), (desktop, "desktop")):
        page.goto(f"{live_server}/cases?status=open")
        link = page.get_by_role("link", name="CSV (Excel)")
        assert link.is_visible()
        with page.expect_download() as download:
            link.click()
        assert download.value.suggested_filename.startswith("demo-tambon-cases-")
        page.screenshot(path=str(screenshot_dir / f"cases-downloads-{name}.png"))
