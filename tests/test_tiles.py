"""The dispatcher map's vector tiles (/api/dispatch/tiles/z/x/y.mvt, maps/tiles.py), decoded
with mapbox-vector-tile: cases or cells, the filters, who may read them, and the 5,000 cap
that holds for every map answer."""
import math
from datetime import UTC, datetime, timedelta

import mapbox_vector_tile
import pytest
from sqlalchemy import text

from mapdash.cases.intake import Report, create_incident
from mapdash.maps import geo, tiles
from mapdash.office.auth import create_user
from tests.factories import make_org
from tests.support import login

PASSWORD = "correct horse battery"


@pytest.fixture
def org(session):
    organization = make_org(session)
    for role, department in (("dispatcher", None), ("officer", "engineering"),
                             ("crew", "engineering")):
        create_user(session, organization_id=organization.id, email=f"{role}@example.test",
                    password=PASSWORD, role=role, department_code=department)
    session.commit()
    return organization


def tile_of(lon, lat, z):
    """The tile holding a point, worked out here apart from maps/tiles.py."""
    n = 2 ** z
    y = (1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n
    return z, int((lon + 180) / 360 * n), int(y)


def decoded(response):
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "application/vnd.mapbox-vector-tile"
    return mapbox_vector_tile.decode(response.get_data())


def url(z, x, y, query=""):
    return f"/api/dispatch/tiles/{z}/{x}/{y}.mvt" + (f"?{query}" if query else "")


def test_a_tile_holds_its_cases_or_counts_them_per_cell(client, session, org):
    old = datetime.now(UTC) - timedelta(days=30)  # its first step long overdue
    late = create_incident(session, Report(category_code="streetlight", lon=100.0051,
                                           lat=10.0051), created_at=old)
    water = create_incident(session, Report(category_code="water", lon=100.0052, lat=10.0052))
    create_incident(session, Report(category_code="streetlight", lon=100.0053, lat=10.0053))
    create_incident(session, Report(category_code="streetlight", lon=100.015, lat=10.005))
    session.commit()
    login(client, "dispatcher@example.test", PASSWORD)
    z, x, y = tile_of(100.0052, 10.0052, 16)

    cases = decoded(client.get(url(z, x, y)))["cases"]
    assert len(cases["features"]) == 3 and cases["extent"] == tiles.EXTENT
    by_code = {f["properties"]["code"]: f for f in cases["features"]}
    assert by_code[late.tracking_code]["properties"]["overdue"] is True
    assert by_code[water.tracking_code]["properties"]["category"] == "water"
    assert by_code[water.tracking_code]["id"] == water.id
    px, py = by_code[water.tracking_code]["geometry"]["coordinates"]
    assert 0 <= px <= tiles.EXTENT and 0 <= py <= tiles.EXTENT

    # The same filters as the GeoJSON: type, overdue.
    assert [f["id"] for f in decoded(client.get(url(z, x, y, "type=water")))["cases"][
        "features"]] == [water.id]
    assert [f["id"] for f in decoded(client.get(url(z, x, y, "overdue=1")))["cases"][
        "features"]] == [late.id]
    assert decoded(client.get(url(z, x, y, "status=accepted"))) == {}  # nothing: no layer

    # More than `limit`: counted per cell of the tile's zoom, from the counts (z16 is in the
    # pyramid) or from the cases (z18 is not), the same either way.
    for zoom in (16, 18):
        tile = decoded(client.get(url(*tile_of(100.0052, 10.0052, zoom), "limit=2")))
        assert "cases" not in tile
        assert sum(f["properties"]["count"] for f in tile["cells"]["features"]) == 3
        assert sum(f["properties"]["new"] for f in tile["cells"]["features"]) == 3
    # A wide tile: the west village's three and the east one's, per cell.
    wide = decoded(client.get(url(*tile_of(100.01, 10.005, 14), "limit=1")))["cells"]
    assert sorted(f["properties"]["count"] for f in wide["features"]) == [1, 3]


def test_tiles_are_for_staff_and_an_officer_sees_their_department_only(client, session, org):
    create_incident(session, Report(category_code="streetlight", lon=100.005, lat=10.005))
    create_incident(session, Report(category_code="water", lon=100.0051, lat=10.0051))
    session.commit()
    z, x, y = tile_of(100.005, 10.005, 15)
    assert client.get(url(z, x, y)).status_code == 401
    login(client, "crew@example.test", PASSWORD)
    assert client.get(url(z, x, y)).status_code == 403
    client.post("/logout")
    login(client, "officer@example.test", PASSWORD)
    features = decoded(client.get(url(z, x, y)))["cases"]["features"]
    departments = set(session.execute(text(
        "SELECT d.code FROM incidents i JOIN departments d ON d.id = i.department_id "
        "WHERE i.id = ANY(:ids)"), {"ids": [f["id"] for f in features]}).scalars())
    assert departments == {"engineering"}
    assert client.get(url(z, x, y, "department=public_health")).status_code == 403


def test_bad_tiles_are_refused_and_a_tile_is_revalidated(client, session, org):
    create_incident(session, Report(category_code="streetlight", lon=100.005, lat=10.005))
    session.commit()
    login(client, "dispatcher@example.test", PASSWORD)
    for bad in (url(3, 8, 0), url(3, 0, 8), url(23, 0, 0)):
        response = client.get(bad)
        assert response.status_code == 404 and response.get_json()["error"] == "bad_tile"
    assert client.get(url(15, 0, 0, "limit=0")).get_json()["field"] == "limit"
    z, x, y = tile_of(100.005, 10.005, 14)
    first = client.get(url(z, x, y))
    assert first.headers["ETag"]
    again = client.get(url(z, x, y), headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304


def test_no_map_answer_holds_more_than_5000_features(client, session, org):
    """5,001 open cases in one spot: every map answer stays within its cap."""
    first = create_incident(session, Report(category_code="streetlight", lon=100.002, lat=10.002))
    session.execute(text("""
        INSERT INTO incidents (tracking_code, organization_id, category_id, village_id,
                               department_id, status, location, time_limits_id)
        SELECT 'BULK-' || n, c.organization_id, c.id, v.id, c.department_id, 'new',
               ST_SetSRID(ST_MakePoint(100.002 + (n % 71) * 0.00003,
                                       10.002 + (n / 71) * 0.00003), 4326),
               :limits
        FROM generate_series(1, 5000) n, categories c, villages v
        WHERE c.organization_id = :org AND c.code = 'streetlight'
              AND v.organization_id = :org AND v.number = 1"""),
        {"org": org.id, "limits": first.time_limits_id})
    session.commit()
    login(client, "dispatcher@example.test", PASSWORD)
    view = "100.0,10.0,100.01,10.01"
    cases = client.get(f"/api/dispatch/cases.geojson?bbox={view}&limit=2000").get_json()
    assert len(cases["features"]) == geo.CASE_LIMIT_MAX and cases["capped"] is True
    for zoom in (16, 22):  # from the counts, from the cases: one cell per case at z22
        grid = client.get(f"/api/dispatch/grid.geojson?bbox={view}&zoom={zoom}").get_json()
        assert len(grid["features"]) <= geo.GRID_CELL_LIMIT
    assert grid["capped"] is True
    villages = client.get("/api/dispatch/villages.geojson").get_json()
    assert villages["features"][0]["properties"]["open_cases"] == 5001
    for zoom in (14, 19, 22):
        tile = decoded(client.get(url(*tile_of(100.0025, 10.0025, zoom), "limit=2000")))
        assert sum(len(layer["features"]) for layer in tile.values()) <= tiles.TILE_FEATURE_LIMIT
        assert "cells" in tile or len(tile["cases"]["features"]) <= geo.CASE_LIMIT_MAX
    big = client.get(url(*tile_of(100.0025, 10.0025, 19), "limit=2000"),
                     headers={"Accept-Encoding": "gzip"})
    assert big.headers["Content-Encoding"] == "gzip"  # transfer.py, as the GeoJSON
    assert sum(f["properties"]["count"] for f in decoded(client.get(
        url(*tile_of(100.0025, 10.0025, 14), "limit=2000")))["cells"]["features"]) == 5001
