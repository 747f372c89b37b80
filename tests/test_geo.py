"""Where a pin belongs: organization and village, at the edges too."""
import pytest
from shapely.geometry import box

from mapdash.cases.intake import locate
from mapdash.errors import UserError
from mapdash.maps import geo
from mapdash.models import Village
from tests.factories import make_incident, make_org


@pytest.fixture
def org(session):
    organization = make_org(session)
    session.commit()
    return organization


def village_number(session, point):
    found = locate(session, *point)
    return None if found is None or found[1] is None else session.get(Village, found[1]).number


def test_points_inside_each_village(session, org):
    assert village_number(session, (100.005, 10.005)) == 1
    assert village_number(session, (100.015, 10.005)) == 2


def test_point_on_the_shared_edge_goes_to_the_lower_number(session, org):
    assert village_number(session, (100.01, 10.005)) == 1


def test_points_on_the_outer_edge_and_corner_are_covered(session, org):
    assert village_number(session, (100.00, 10.005)) == 1  # west edge
    assert village_number(session, (100.02, 10.01)) == 2   # north-east corner


def test_point_just_outside_belongs_to_no_one(session, org):
    assert locate(session, 100.0200001, 10.005) is None
    assert locate(session, 101.0, 11.0) is None


def test_smallest_covering_organization_wins(session, org):
    make_org(session, slug="province", kind="province",
             villages=((1, "ทั้งจังหวัด", box(99.9, 9.9, 100.1, 10.1)),))
    session.commit()
    org_id, _ = locate(session, 100.005, 10.005)
    assert org_id == org.id


def test_pin_outside_every_area_is_refused(session, org):
    with pytest.raises(UserError) as refused:
        make_incident(session, lon=50.0, lat=10.0)
    assert refused.value.code == "outside_area" and refused.value.status == 422


def test_village_counts_only_open_cases(session, org):
    make_incident(session, lon=100.005, lat=10.005)
    make_incident(session, lon=100.006, lat=10.006)
    closed = make_incident(session, lon=100.015, lat=10.005)
    closed.status = "resolved"
    session.commit()
    collection = geo.villages_geojson(session, org.id).parsed()
    counts = {f["properties"]["number"]: f["properties"]["open_cases"] for f in collection["features"]}
    assert counts == {1: 2, 2: 0}
    assert collection["features"][0]["geometry"]["type"] == "MultiPolygon"


def test_villages_geojson_endpoint(client, session, org):
    make_incident(session)
    session.commit()
    response = client.get("/api/villages.geojson")
    assert response.status_code == 200
    assert response.mimetype == "application/geo+json"
    body = response.get_json()
    assert body["type"] == "FeatureCollection"
    first = body["features"][0]["properties"]
    assert first == {"number": 1, "name_th": "บ้านตะวันตก", "name_en": None, "open_cases": 1}
    assert client.get("/api/villages.geojson?org=nope").status_code == 404
