"""Privacy of emergencies (issue 16): an EMS, fire or disaster case is published only at the
centre of its ~200 m grid cell (sql/014_public_location.sql), in every public output; staff
keep the exact point, and other cases are published where they are."""
import csv
import io
import json
import math

import pytest
from sqlalchemy import select, text

from mapdash.demo.load import DEMO_PASSWORD
from mapdash.models import Category, User
from tests.factories import make_incident
from tests.support import csrf_token, login
from tests.test_pdf import pdf_text

# An EMS case off the grid's points, and a streetlight case: exact coordinates as stored.
EMS = (104.62157, 17.35187)
LIGHT = (104.62143, 17.35121)
CELL = 0.002  # degrees


def snapped(lon: float, lat: float) -> tuple[float, float]:
    """The centre of the point's grid cell, worked out here apart from the SQL."""
    return round(round(lon / CELL) * CELL, 6), round(round(lat / CELL) * CELL, 6)


def metres(a: tuple[float, float], b: tuple[float, float]) -> float:
    dx = (a[0] - b[0]) * 111_320 * math.cos(math.radians(a[1]))
    return math.hypot(dx, (a[1] - b[1]) * 110_600)


@pytest.fixture
def cases(demo_session):
    ems = make_incident(demo_session, category="ems", lon=EMS[0], lat=EMS[1],
                        description="ผู้ป่วยหมดสติในบ้าน")
    light = make_incident(demo_session, lon=LIGHT[0], lat=LIGHT[1])
    demo_session.commit()
    return ems, light


def public_outputs(client, ems, light) -> dict[str, str]:
    """Every public answer that could hold the two cases, as text."""
    paths = [
        "/cases", "/cases?type=ems", f"/track/{ems.tracking_code}",
        "/api/public/cases.geojson", "/api/public/cases.geojson?type=ems",
        f"/api/nearby?type=ems&lon={EMS[0]}&lat={EMS[1]}",
        "/open311/v2/requests.json", "/open311/v2/requests.xml",
        f"/open311/v2/requests/{ems.tracking_code}.json",
        f"/open311/v2/requests/{ems.tracking_code}.xml",
        "/api/opendata/cases.csv", "/api/opendata/cases.geojson",
        "/api/opendata/cases.csv?type=ems", "/api/opendata/cases.geojson?type=ems",
    ]
    outputs = {}
    for path in paths:
        answer = client.get(path)  # read at once: a download streams inside its request
        assert answer.status_code == 200, path
        outputs[path] = answer.get_data(as_text=True)
    return outputs


def public_points(client, ems, light) -> dict[str, dict[str, tuple[float, float]]]:
    """Where each public output puts each case: {output: {code: (lon, lat)}}."""
    wanted = {ems.tracking_code, light.tracking_code}
    found: dict[str, dict[str, tuple[float, float]]] = {}
    for name, url in (("map", "/api/public/cases.geojson"),
                      ("open data", "/api/opendata/cases.geojson")):
        features = json.loads(client.get(url).get_data(as_text=True))["features"]
        found[name] = {f["properties"]["code"]: tuple(f["geometry"]["coordinates"])
                       for f in features if f["properties"]["code"] in wanted}
    rows = csv.DictReader(io.StringIO(client.get("/api/opendata/cases.csv")
                                      .get_data().decode("utf-8-sig")))
    found["csv"] = {row["code"]: (float(row["lon"]), float(row["lat"]))
                    for row in rows if row["code"] in wanted}
    found["open311"] = {r["service_request_id"]: (r["long"], r["lat"]) for r in
                        client.get("/open311/v2/requests.json").get_json()
                        if r["service_request_id"] in wanted}
    return found


def test_an_emergency_is_public_only_at_its_cells_centre(demo_client, demo_session, cases):
    ems, light = cases
    stored = demo_session.execute(text("SELECT ST_X(location), ST_Y(location) FROM incidents "
                                       "WHERE id = :id"), {"id": ems.id}).one()
    assert tuple(stored) == pytest.approx(EMS)
    centre = snapped(*EMS)
    assert centre == (104.622, 17.352) and 40 < metres(EMS, centre) < 160
    for output, points in public_points(demo_client, ems, light).items():
        assert points[ems.tracking_code] == pytest.approx(centre, abs=1e-9), output
        assert points[light.tracking_code] == pytest.approx(LIGHT, abs=1e-9), output


def test_no_public_output_holds_the_exact_point(demo_client, cases):
    ems, light = cases
    outputs = public_outputs(demo_client, ems, light)
    exact = [f"{EMS[0]}", f"{EMS[1]}", f"{EMS[0]:.6f}", f"{EMS[1]:.6f}"]
    for path, body in outputs.items():
        assert not [number for number in exact if number in body], path
    # the search is real: the streetlight's own point is there to be found
    assert f"{LIGHT[0]}" in outputs["/api/public/cases.geojson"]
    assert f"{LIGHT[0]:.6f}" in outputs["/api/opendata/cases.csv"]


def test_the_already_reported_hint_measures_from_the_public_point(demo_client, cases):
    ems, light = cases
    at_the_house = demo_client.get(f"/api/nearby?type=ems&lon={EMS[0]}&lat={EMS[1]}").get_json()
    [case] = [c for c in at_the_house["cases"] if c["code"] == ems.tracking_code]
    assert case["distance_m"] == pytest.approx(metres(EMS, snapped(*EMS)), abs=2)
    centre = snapped(*EMS)
    at_the_centre = demo_client.get(f"/api/nearby?type=ems&lon={centre[0]}&lat={centre[1]}")
    [case] = [c for c in at_the_centre.get_json()["cases"] if c["code"] == ems.tracking_code]
    assert case["distance_m"] == 0
    # 95 m from the house but 140 m from the centre: probing around the house finds nothing
    beside = (EMS[0] - 0.0009, EMS[1])
    assert 90 < metres(EMS, beside) < 100 and metres(beside, centre) > 100
    near = demo_client.get(f"/api/nearby?type=ems&lon={beside[0]}&lat={beside[1]}").get_json()
    assert ems.tracking_code not in {c["code"] for c in near["cases"]}
    light_near = demo_client.get(
        f"/api/nearby?type=streetlight&lon={LIGHT[0]}&lat={LIGHT[1]}").get_json()
    [case] = [c for c in light_near["cases"] if c["code"] == light.tracking_code]
    assert case["distance_m"] == 0


def test_every_emergency_type_is_coarsened_and_only_those(demo_client, demo_session):
    categories = demo_session.scalars(select(Category).where(
        Category.sensitive.is_(False), Category.location_required)).all()
    assert {c.code for c in categories if c.emergency} == {"ems", "fire", "disaster"}
    made = {c.code: make_incident(demo_session, category=c.code, lon=EMS[0], lat=EMS[1])
            for c in categories}
    demo_session.commit()
    features = demo_client.get("/api/public/cases.geojson").get_json()["features"]
    points = {f["properties"]["code"]: tuple(f["geometry"]["coordinates"]) for f in features}
    for category in categories:
        expected = snapped(*EMS) if category.emergency else EMS
        assert points[made[category.code].tracking_code] == pytest.approx(expected), category.code


def test_staff_keep_the_exact_point(demo_app, demo_session, cases):
    ems, _ = cases
    crew = demo_session.scalars(select(User).where(User.email == "crew@demo.mapdash.test")).one()
    ems.assigned_to, ems.status = crew.id, "assigned"
    demo_session.commit()

    dispatcher = demo_app.test_client()
    assert login(dispatcher, "dispatcher@demo.mapdash.test", DEMO_PASSWORD).status_code == 302
    features = dispatcher.get("/api/dispatch/cases.geojson").get_json()["features"]
    [feature] = [f for f in features if f["properties"]["code"] == ems.tracking_code]
    assert tuple(feature["geometry"]["coordinates"]) == pytest.approx(EMS, abs=1e-9)
    panel = dispatcher.get(f"/dispatch/cases/{ems.id}").get_data(as_text=True)
    assert f'data-lon="{EMS[0]}" data-lat="{EMS[1]}"' in panel
    token = csrf_token(dispatcher, "/dispatch/")
    form = dispatcher.post(f"/dispatch/cases/{ems.id}/form.pdf", data={"csrf_token": token})
    assert f"{EMS[1]:.6f}, {EMS[0]:.6f}" in pdf_text(form.data)

    crew_client = demo_app.test_client()
    assert login(crew_client, "crew@demo.mapdash.test", DEMO_PASSWORD).status_code == 302
    mine = crew_client.get("/crew/cases.json").get_json()["features"]
    [feature] = [f for f in mine if f["properties"]["code"] == ems.tracking_code]
    assert tuple(feature["geometry"]["coordinates"]) == pytest.approx(EMS, abs=1e-9)
