"""The crew's offline map pack over HTTP: which tiles /crew/map-pack.json lists (the tambon, then
around my cases and those near me, to the admin's zoom, within the cap, never past the tile
source's policy) and the admin's settings on /admin/organization, bad input refused."""
import math

import pytest
from sqlalchemy import select

from mapdash.field import map_pack
from mapdash.models import AdminChange, Organization
from tests.crew_support import CASE_LAT, CASE_LON, PASSWORD, assigned_case, make_field
from tests.factories import EAST, STAFF_PASSWORD, WEST, make_staff
from tests.support import csrf_token, login

TAMBON = (WEST.bounds[0], WEST.bounds[1], EAST.bounds[2], EAST.bounds[3])  # the test tambon's box


def tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    """The slippy-map tile holding a point (the OSM wiki's formula)."""
    n = 2 ** z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return x, y


def tiles_over(box: tuple[float, float, float, float], z: int) -> set[tuple[int, int, int]]:
    x0, y0 = tile_of(box[0], box[3], z)
    x1, y1 = tile_of(box[2], box[1], z)
    return {(z, x, y) for x in range(x0, x1 + 1) for y in range(y0, y1 + 1)}


def around(lon: float, lat: float, metres: float) -> tuple[float, float, float, float]:
    dlat = metres / 111_320
    dlon = metres / (111_320 * math.cos(math.radians(lat)))
    return lon - dlon, lat - dlat, lon + dlon, lat + dlat


@pytest.fixture
def field(app, session):
    with app.app_context():
        made = make_field(session)
    session.commit()
    return made


@pytest.fixture
def crew_client(client, field):
    assert login(client, field.crew.email, PASSWORD).status_code == 302
    return client


def pack(client, query=""):
    answer = client.get(f"/crew/map-pack.json{query}", headers={"Accept": "application/json"})
    assert answer.status_code == 200, answer.get_data(as_text=True)
    assert "no-store" in answer.headers["Cache-Control"]
    return answer.get_json()


def test_the_pack_is_the_tambon_then_around_my_cases_to_the_admins_zoom(crew_client):
    answer = pack(crew_client)
    tiles = [tuple(tile[:3]) for tile in answer["tiles"]]
    assert answer["max_zoom"] == 16 and answer["complete"] is True
    assert answer["max_bytes"] == 50 * 1024 * 1024
    assert answer["estimated_bytes"] == len(tiles) * 20_000
    assert len(set(tiles)) == len(tiles)  # each tile once
    assert {z for z, _, _ in tiles} == set(range(10, 17))
    # The whole tambon at every zoom (this one is small), and nothing outside it but the
    # surroundings of my case at the zooms above the overview.
    tambon = set().union(*(tiles_over(TAMBON, z) for z in range(10, 17)))
    near_case = set().union(*(tiles_over(around(CASE_LON, CASE_LAT, 1000), z) for z in (15, 16)))
    inside = set().union(*(tiles_over(around(CASE_LON, CASE_LAT, 700), z) for z in (15, 16)))
    assert tambon <= set(tiles) and inside <= set(tiles)
    assert set(tiles) <= tambon | near_case
    assert set(tiles) - tambon  # the case's surroundings reach past the tambon's edge
    # In order of use: the overview, then around my case, then the rest of the tambon.
    zooms = [z for z, _, _ in tiles]
    assert zooms[:zooms.index(15)] == sorted(zooms[:zooms.index(15)]) and max(zooms[:zooms.index(15)]) == 14
    detail = tiles[zooms.index(15):]
    last_near = max(i for i, tile in enumerate(detail) if tile in inside)
    first_rest = min(i for i, tile in enumerate(detail) if tile not in near_case)
    assert last_near < first_rest
    # Each tile's address on the configured tile server (tests/support.py's TILE_URL).
    z, x, y, url = answer["tiles"][0]
    assert url == f"http://127.0.0.1:9/{z}/{x}/{y}.png"


def test_cases_near_me_are_in_it_after_mine(app, session, field, crew_client):
    lon, lat = 100.018, 10.009  # the east village's far corner, 1.4 km from my case
    assigned_case(session, field.dispatcher, field.other_crew, lon=lon, lat=lat)
    session.commit()
    near_it = set().union(*(tiles_over(around(lon, lat, 700), z) for z in (15, 16)))
    here = f"?lat={CASE_LAT}&lon={CASE_LON}"
    with_position = [tuple(tile[:3]) for tile in pack(crew_client, here)["tiles"]]
    without = [tuple(tile[:3]) for tile in pack(crew_client)["tiles"]]
    # Only with my position does the page show (and the pack keep) the cases near me: their
    # surroundings, past the tambon's edge too.
    assert near_it <= set(with_position) and not near_it <= set(without)
    mine = set().union(*(tiles_over(around(CASE_LON, CASE_LAT, 700), z) for z in (15, 16)))
    not_mine = near_it - set().union(*(tiles_over(around(CASE_LON, CASE_LAT, 1000), z) for z in (15, 16)))
    assert not_mine and max(with_position.index(tile) for tile in mine) < \
        min(with_position.index(tile) for tile in not_mine)  # mine first


def test_the_cap_the_admins_zoom_and_the_tile_policy(app, session, field, crew_client):
    whole = [tuple(tile[:3]) for tile in pack(crew_client)["tiles"]]
    org = session.get(Organization, field.org.id)
    org.map_pack_max_mb = 1
    session.commit()
    app.config["MAP_PACK_TILE_BYTES"] = 1024 * 1024 // 10
    capped = pack(crew_client)
    assert [tuple(tile[:3]) for tile in capped["tiles"]] == whole[:10]  # the most useful first
    assert capped["complete"] is False and capped["estimated_bytes"] <= capped["max_bytes"]

    app.config["MAP_PACK_TILE_BYTES"] = 20_000
    org.map_pack_max_zoom = 12
    session.commit()
    low = pack(crew_client)
    assert low["max_zoom"] == 12
    assert {tuple(tile[:3]) for tile in low["tiles"]} == \
        set().union(*(tiles_over(TAMBON, z) for z in (10, 11, 12)))

    # OpenStreetMap's servers forbid zoom 17 and above offline, whatever the admin set.
    org.map_pack_max_zoom = 18
    session.commit()
    app.config["TILE_URL"] = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
    osm = pack(crew_client)
    assert osm["max_zoom"] == 16 and max(tile[0] for tile in osm["tiles"]) == 16
    app.config["TILE_URL"] = "https://tiles.example.org/{z}/{x}/{y}.png"
    assert pack(crew_client)["max_zoom"] == 18


def test_tile_addresses_follow_leaflets_template():
    assert map_pack.tile_url("https://{s}.tile.example/{z}/{x}/{-y}{r}.png", 3, 2, 1) == \
        "https://a.tile.example/3/2/6.png"  # {s}: a, b, c by x + y; {-y}: counted from the south
    assert map_pack.tile_url("/tiles/{z}/{x}/{y}.png", 15, 25600, 14800) == "/tiles/15/25600/14800.png"
    assert map_pack.source_max_zoom("https://{s}.tile.openstreetmap.org/{z}/{x}/{y}.png") == 16
    assert map_pack.source_max_zoom("http://localhost:8080/tiles/{z}/{x}/{y}.png") == 18


def test_only_a_crew_gets_a_pack(app, session, client):
    people = make_staff(session)
    session.commit()
    answer = client.get("/crew/map-pack.json", headers={"Accept": "application/json"})
    assert answer.status_code == 401
    login(client, people["dispatcher"].email, STAFF_PASSWORD)
    assert client.get("/crew/map-pack.json", headers={"Accept": "application/json"}).status_code == 403


# --- the admin's settings ---------------------------------------------------------------------

@pytest.fixture
def admin(app, session):
    people = make_staff(session)
    session.commit()
    client = app.test_client()
    assert login(client, people["admin"].email, STAFF_PASSWORD).status_code == 302
    return client


def post_settings(admin, **fields):
    return admin.post("/admin/organization/map-pack", data={
        "csrf_token": csrf_token(admin, "/admin/organization/"), **fields})


@pytest.mark.parametrize("fields, field, message", [
    ({"max_zoom": "11"}, "max_zoom", "ระดับการซูมต้องเป็นจำนวนเต็ม 12 ถึง 18"),
    ({"max_zoom": "19"}, "max_zoom", "ระดับการซูมต้องเป็นจำนวนเต็ม 12 ถึง 18"),
    ({"max_zoom": "16.5"}, "max_zoom", "ระดับการซูมต้องเป็นจำนวนเต็ม 12 ถึง 18"),
    ({"max_zoom": ""}, "max_zoom", "ระดับการซูมต้องเป็นจำนวนเต็ม 12 ถึง 18"),
    ({"max_mb": "0"}, "max_mb", "ขนาดต้องอยู่ระหว่าง 1 ถึง 500 MB"),
    ({"max_mb": "-5"}, "max_mb", "ขนาดต้องอยู่ระหว่าง 1 ถึง 500 MB"),
    ({"max_mb": "100000"}, "max_mb", "ขนาดต้องอยู่ระหว่าง 1 ถึง 500 MB"),
    ({"max_mb": "9" * 40}, "max_mb", "ขนาดต้องเป็นจำนวนเต็มเมกะไบต์"),
    ({"max_mb": "fifty"}, "max_mb", "ขนาดต้องเป็นจำนวนเต็มเมกะไบต์"),
])
def test_bad_settings_are_refused_with_what_was_typed(admin, session, fields, field, message):
    typed = {"max_zoom": "15", "max_mb": "80", **fields}
    answer = post_settings(admin, **typed)
    html = answer.get_data(as_text=True)
    assert answer.status_code == 400 and message in html
    assert f'name="{field}"' in html and 'aria-invalid="true"' in html
    assert f'value="{typed["max_mb"]}"' in html  # what was typed stays in the form
    session.expire_all()
    org = session.scalars(select(Organization)).one()
    assert (org.map_pack_max_zoom, org.map_pack_max_mb) == (16, 50)
    assert session.scalars(select(AdminChange)).all() == []


def test_settings_are_saved_shown_and_recorded(admin, session):
    page = admin.get("/admin/organization/").get_data(as_text=True)
    assert 'name="max_zoom"' in page and 'value="16"' in page and 'value="50"' in page
    answer = post_settings(admin, max_zoom="15", max_mb="120")
    assert answer.status_code == 303 and answer.headers["Location"].endswith("#map-pack")
    session.expire_all()
    org = session.scalars(select(Organization)).one()
    assert (org.map_pack_max_zoom, org.map_pack_max_mb) == (15, 120)
    change = session.scalars(select(AdminChange)).one()
    assert (change.subject, change.action) == ("organization", "changed")
    assert change.before == {"map_pack_max_zoom": 16, "map_pack_max_mb": 50}
    assert change.after == {"map_pack_max_zoom": 15, "map_pack_max_mb": 120}
