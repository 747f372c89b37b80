"""The dispatcher map's endpoints: viewport, filters, caps, aggregates, live changes, and who
may read what."""
from datetime import UTC, datetime, timedelta

import pytest

from mapdash.cases import workflow
from mapdash.cases.intake import Report, create_incident
from mapdash.maps import geo
from mapdash.maps.counts import grid_cells
from mapdash.models import Incident
from mapdash.office.auth import create_user
from tests.factories import make_org
from tests.support import login

PASSWORD = "correct horse battery"
WEST_VIEW = "100.000,10.000,100.0099,10.010"


@pytest.fixture
def org(session):
    organization = make_org(session)
    for role, department in (("dispatcher", None), ("officer", "engineering"), ("crew", "engineering")):
        create_user(session, organization_id=organization.id, email=f"{role}@example.test",
                    password=PASSWORD, role=role, department_code=department)
    session.commit()
    return organization


@pytest.fixture
def dispatcher(client, org):
    login(client, "dispatcher@example.test", PASSWORD)
    return client


def report(session, category="streetlight", lon=100.005, lat=10.005, age=timedelta(0), now=None,
           **fields):
    return create_incident(session, Report(category_code=category, lon=lon, lat=lat, **fields),
                           created_at=(now or datetime.now(UTC)) - age)


def codes(response):
    assert response.status_code == 200, response.get_json()
    return [f["properties"]["code"] for f in response.get_json()["features"]]


def test_open_cases_in_the_viewport_newest_first(dispatcher, session):
    old = report(session, age=timedelta(hours=2))
    new = report(session, lon=100.006, age=timedelta(minutes=1))
    east = report(session, lon=100.015)
    done = report(session, lon=100.004)
    done.status = "resolved"
    session.commit()
    response = dispatcher.get(f"/api/dispatch/cases.geojson?bbox={WEST_VIEW}")
    assert response.mimetype == "application/geo+json"
    assert codes(response) == [new.tracking_code, old.tracking_code]  # no east, no closed
    body = response.get_json()
    assert body["capped"] is False and body["limit"] == geo.CASE_LIMIT_DEFAULT
    first = body["features"][0]
    assert first["geometry"] == {"type": "Point", "coordinates": [100.006, 10.005]}
    assert first["properties"]["village"] == 1 and first["properties"]["category"] == "streetlight"
    assert first["properties"]["department"] == "engineering" and first["properties"]["overdue"] is False
    assert set(codes(dispatcher.get("/api/dispatch/cases.geojson"))) == {
        old.tracking_code, new.tracking_code, east.tracking_code}


def test_every_response_caps_its_features_and_says_so(dispatcher, session):
    for minutes in (3, 2, 1):
        report(session, age=timedelta(minutes=minutes))
    session.commit()
    capped = dispatcher.get(f"/api/dispatch/cases.geojson?bbox={WEST_VIEW}&limit=2").get_json()
    assert capped["capped"] is True and capped["limit"] == 2 and len(capped["features"]) == 2
    whole = dispatcher.get(f"/api/dispatch/cases.geojson?bbox={WEST_VIEW}&limit=3").get_json()
    assert whole["capped"] is False and len(whole["features"]) == 3
    grid = dispatcher.get(f"/api/dispatch/grid.geojson?bbox={WEST_VIEW}&zoom=12").get_json()
    assert grid["capped"] is False and grid["limit"] == geo.GRID_CELL_LIMIT
    villages = dispatcher.get("/api/dispatch/villages.geojson").get_json()
    assert villages["capped"] is False


def test_grid_cells_count_every_case_and_are_capped(dispatcher, session, org):
    for lon in (100.001, 100.002, 100.009, 100.019):
        report(session, lon=lon)
    session.commit()
    cells = dispatcher.get("/api/dispatch/grid.geojson?bbox=100,10,100.02,10.01&zoom=16").get_json()
    counts = sorted(f["properties"]["count"] for f in cells["features"])
    assert sum(counts) == 4 and len(counts) > 1
    assert all(f["properties"]["new"] == f["properties"]["count"] for f in cells["features"])
    fewer = grid_cells(session, geo.MapFilter(org.id), geo.BBox(100, 10, 100.02, 10.01),
                       16, limit=1, direct=True).parsed()
    assert fewer["capped"] is True and len(fewer["features"]) == 1
    assert fewer["features"][0]["properties"]["count"] == max(counts)  # the fullest cell first


def test_villages_count_their_open_cases(dispatcher, session):
    report(session)
    report(session, lon=100.006)
    report(session, lon=100.015, category="water")
    closed = report(session, lon=100.016)
    closed.status = "rejected"
    session.commit()
    body = dispatcher.get("/api/dispatch/villages.geojson").get_json()
    assert [(f["properties"]["number"], f["properties"]["open_cases"]) for f in body["features"]] == [
        (1, 2), (2, 1)]
    assert body["features"][0]["geometry"]["type"] == "MultiPolygon" and body["no_place"] == 0
    water = dispatcher.get("/api/dispatch/villages.geojson?type=water").get_json()
    assert [f["properties"]["open_cases"] for f in water["features"]] == [0, 1]


@pytest.mark.parametrize("query, expected", [
    ("type=water", {"water"}),
    ("type=water,road", {"water", "road"}),
    ("type=water&type=streetlight", {"water", "streetlight"}),
    ("status=accepted", {"road"}),
    ("department=public_health", {"ems"}),
    ("village=2", {"road"}),
    ("overdue=1", {"streetlight"}),
    ("from={yesterday}", {"water", "road", "ems"}),
    ("to={two_days_ago}", {"streetlight"}),
    ("from={two_days_ago}&to={two_days_ago}", {"streetlight"}),
    ("type=water&village=2", set()),
])
def test_filters(query, expected, dispatcher, session, org):
    now = datetime.now(UTC)  # the dates below and the cases' dates are reckoned from one moment
    report(session, category="streetlight", age=timedelta(days=2), now=now)  # overdue: 10 minutes
    report(session, category="water", lon=100.004)
    road = report(session, category="road", lon=100.015)
    report(session, category="ems", lon=100.006)
    session.commit()
    workflow.perform(session, road.id, "accept", _dispatcher(session))
    session.commit()
    local = now.astimezone(geo.LOCAL_TZ).date()
    query = query.format(yesterday=local - timedelta(days=1), two_days_ago=local - timedelta(days=2))
    features = dispatcher.get(f"/api/dispatch/cases.geojson?{query}").get_json()["features"]
    assert {f["properties"]["category"] for f in features} == expected


def _dispatcher(session):
    from mapdash.office.auth import find_user
    return find_user(session, "dispatcher@example.test")


def test_overdue_follows_the_step_limits_of_each_type(dispatcher, session):
    light = report(session, age=timedelta(minutes=9))              # limit 10 minutes: in time
    ems = report(session, category="ems", lon=100.006, age=timedelta(minutes=4))  # limit 3: late
    session.commit()
    features = dispatcher.get("/api/dispatch/cases.geojson").get_json()["features"]
    overdue = {f["properties"]["code"]: f["properties"]["overdue"] for f in features}
    assert overdue == {light.tracking_code: False, ems.tracking_code: True}
    due = {f["properties"]["code"]: f["properties"]["due_at"] for f in features}
    assert datetime.fromisoformat(due[ems.tracking_code]) == ems.created_at + timedelta(minutes=3)
    counts = dispatcher.get("/api/dispatch/villages.geojson?overdue=1").get_json()
    assert [f["properties"]["open_cases"] for f in counts["features"]] == [1, 0]


def test_officers_read_only_their_department(client, session, org):
    light = report(session)
    report(session, category="ems", lon=100.006)
    session.commit()
    login(client, "officer@example.test", PASSWORD)
    assert codes(client.get("/api/dispatch/cases.geojson")) == [light.tracking_code]
    assert codes(client.get("/api/dispatch/cases.geojson?department=engineering")) == [light.tracking_code]
    refused = client.get("/api/dispatch/cases.geojson?department=public_health")
    assert refused.status_code == 403 and refused.get_json()["error"] == "other_department"
    counts = client.get("/api/dispatch/villages.geojson").get_json()
    assert [f["properties"]["open_cases"] for f in counts["features"]] == [1, 0]


@pytest.mark.parametrize("path, field", [
    ("/api/dispatch/cases.geojson?bbox=1,2,3", "bbox"),
    ("/api/dispatch/cases.geojson?bbox=100.02,10,100,10.01", "bbox"),
    ("/api/dispatch/cases.geojson?bbox=a,b,c,d", "bbox"),
    ("/api/dispatch/grid.geojson", "bbox"),
    ("/api/dispatch/grid.geojson?bbox=100,10,100.02,10.01&zoom=99", "zoom"),
    ("/api/dispatch/cases.geojson?limit=0", "limit"),
    ("/api/dispatch/cases.geojson?limit=5000", "limit"),
    ("/api/dispatch/cases.geojson?limit=many", "limit"),
    ("/api/dispatch/cases.geojson?type=spaceship", "type"),
    ("/api/dispatch/cases.geojson?status=resolved", "status"),
    ("/api/dispatch/cases.geojson?department=nope", "department"),
    ("/api/dispatch/villages.geojson?village=99", "village"),
    ("/api/dispatch/villages.geojson?village=two", "village"),
    ("/api/dispatch/cases.geojson?village=99999999999", "village"),  # past PostgreSQL's integer
    ("/api/dispatch/grid.geojson?bbox=100,10,100.02,10.01&village=1,-2", "village"),
    ("/api/dispatch/cases.geojson?to=9999-12-31", "to"),  # the day after is past Python's dates
    ("/api/dispatch/villages.geojson?from=0001-01-01", "from"),
    ("/api/dispatch/cases.geojson?from=31/12/2568", "from"),
    ("/api/dispatch/cases.geojson?from=2026-03-02&to=2026-03-01", "from"),
    ("/api/dispatch/changes", "since"),
    ("/api/dispatch/changes?since=2026-03-01T10:00:00", "since"),
])
def test_bad_parameters_get_a_clear_message(path, field, dispatcher):
    response = dispatcher.get(path)
    assert response.status_code == 400
    body = response.get_json()
    assert body["field"] == field and body["message_th"] and body["message_en"]


def test_the_map_data_is_for_office_staff_only(client, org):
    anonymous = client.get("/api/dispatch/cases.geojson")
    assert anonymous.status_code == 401 and anonymous.get_json()["message_th"]
    login(client, "crew@example.test", PASSWORD)
    for path in ("/api/dispatch/cases.geojson", "/api/dispatch/villages.geojson",
                 "/api/dispatch/grid.geojson?bbox=100,10,100.02,10.01",
                 "/api/dispatch/changes?since=2026-03-01T10:00:00Z"):
        assert client.get(path).status_code == 403


@pytest.mark.parametrize("since", ["0001-01-01T00:00:00+00:00", "0001-01-01T00:00:00+14:00",
                                   "9999-12-31T23:59:59-14:00"])
def test_changes_since_the_ends_of_time_are_answered(since, dispatcher, session):
    light = report(session)
    session.commit()
    response = dispatcher.get("/api/dispatch/changes", query_string={"since": since})
    assert response.status_code == 200, response.get_json()
    changed = [c["id"] for c in response.get_json()["changed"]]
    assert changed == ([] if since.startswith("9999") else [light.id])


def test_changes_since_a_moment_and_the_emergencies_to_accept(dispatcher, client, session):
    before = dispatcher.get("/api/dispatch/changes",
                            query_string={"since": datetime.now(UTC).isoformat()}).get_json()
    assert before["changed"] == [] and before["alerts"] == []
    light = report(session, age=timedelta(0))
    ems = report(session, category="ems", lon=100.006, age=timedelta(0))
    session.commit()
    answer = dispatcher.get("/api/dispatch/changes", query_string={"since": before["now"]}).get_json()
    assert {c["id"] for c in answer["changed"]} == {light.id, ems.id}
    assert [a["code"] for a in answer["alerts"]] == [ems.tracking_code]
    assert answer["alerts"][0]["village"] == 1 and answer["alerts"][0]["lon"] == 100.006

    workflow.perform(session, ems.id, "accept", _dispatcher(session))
    session.commit()
    after = dispatcher.get("/api/dispatch/changes", query_string={"since": answer["now"]}).get_json()
    # The answer looks back a little before `since` (a change committed late must not slip
    # through); the page skips what it has seen, by id and updated_at.
    first = {c["id"]: c["updated_at"] for c in answer["changed"]}
    latest = {c["id"]: c for c in after["changed"]}
    assert latest[ems.id]["status"] == "accepted" and latest[ems.id]["updated_at"] != first[ems.id]
    assert latest[light.id]["updated_at"] == first[light.id]
    assert after["alerts"] == []


def test_the_alarm_lists_the_newest_waiting_emergencies_of_every_type(dispatcher, session):
    """Twenty at most, newest first, across the emergency types, however many ordinary
    reports came in after them; accepted ones are no longer waiting."""
    now = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
    emergencies = [report(session, category=("ems", "fire")[i % 2], now=now,
                          age=timedelta(minutes=60 - i)) for i in range(25)]
    for i in range(30):
        report(session, now=now, age=timedelta(minutes=30 - i, seconds=30))
    session.commit()
    for accepted in (emergencies[-1], emergencies[-4]):
        workflow.perform(session, accepted.id, "accept", _dispatcher(session))
    session.commit()
    waiting = [e for e in emergencies if e not in (emergencies[-1], emergencies[-4])]
    answer = dispatcher.get("/api/dispatch/changes", query_string={"since": now.isoformat()})
    alerts = answer.get_json()["alerts"]
    assert [a["code"] for a in alerts] == [e.tracking_code for e in reversed(waiting)][:20]
    assert {a["category_en"] for a in alerts} == {"Accident / medical emergency", "Fire"}


def test_officers_hear_only_their_departments_alarms(client, session, org):
    report(session, category="ems", lon=100.006)
    session.commit()
    login(client, "officer@example.test", PASSWORD)
    answer = client.get("/api/dispatch/changes?since=2020-01-01T00:00:00Z").get_json()
    assert answer["changed"] == [] and answer["alerts"] == []


def test_cases_of_another_organization_never_show(dispatcher, session):
    from shapely.geometry import box
    make_org(session, slug="next-door", villages=((1, "บ้านข้าง", box(100.02, 10.0, 100.03, 10.01)),))
    report(session, lon=100.025)
    session.commit()
    assert codes(dispatcher.get("/api/dispatch/cases.geojson")) == []
    assert session.query(Incident).count() == 1


def test_cases_without_a_place_are_counted_and_listed_apart(dispatcher, session, org):
    on_map = report(session)
    question = create_incident(session, Report(category_code="info_request",
                                               description="ขอทราบกำหนดการจ่ายเบี้ยยังชีพ"))
    session.commit()
    assert dispatcher.get("/api/dispatch/villages.geojson").get_json()["no_place"] == 1
    assert codes(dispatcher.get(f"/api/dispatch/cases.geojson?bbox={WEST_VIEW}")) == [on_map.tracking_code]
    apart = dispatcher.get("/api/dispatch/cases.geojson?place=none").get_json()
    assert [f["properties"]["code"] for f in apart["features"]] == [question.tracking_code]
    assert apart["features"][0]["geometry"] is None
    assert set(codes(dispatcher.get("/api/dispatch/cases.geojson"))) == {
        on_map.tracking_code, question.tracking_code}
    for bad in ("place=somewhere", f"place=none&bbox={WEST_VIEW}"):
        refused = dispatcher.get(f"/api/dispatch/cases.geojson?{bad}")
        assert refused.status_code == 400 and refused.get_json()["field"] == "place"
