"""Crews' positions (issue 17): sharing (POST, order, bad input), stopping, how old a last
position is, the retention purge, the nearest crews when assigning, and the privacy checks."""
import re
from datetime import UTC, datetime, timedelta

import pytest
from flask import url_for
from sqlalchemy import select, text
from werkzeug.routing import BuildError

from mapdash.cases import workflow
from mapdash.field import positions
from mapdash.integrations.notify.worker import Worker
from mapdash.models import AdminChange, CrewLastPosition, CrewPosition, Organization
from tests.crew_support import PASSWORD, assigned_case, make_field, make_user
from tests.factories import make_incident, make_org
from tests.support import csrf_token, login

# Inside the test tambon (tests/factories.py: 100.00-100.02 E, 10.00-10.01 N), with digits
# no other data has, so a page that leaks it is found by text.
LON, LAT = 100.013371, 10.004219
NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


@pytest.fixture
def field(app, session):
    with app.app_context():
        made = make_field(session)
    session.commit()
    return made


def signed_in(app, email):
    client = app.test_client()
    assert login(client, email, PASSWORD).status_code == 302
    return client


def token(client) -> str:
    return client.get("/crew/token.json").get_json()["csrf_token"]


def share(client, recorded_at=None, lat=LAT, lon=LON, accuracy="15", csrf=True, **extra):
    form = {"lat": str(lat), "lon": str(lon), "accuracy": accuracy,
            "recorded_at": (recorded_at or datetime.now(UTC)).isoformat(), **extra}
    headers = {"Accept": "application/json"}
    if csrf:
        headers["X-CSRFToken"] = token(client)
    return client.post("/crew/position", data=form, headers=headers)


def track(session, user_id) -> list[datetime]:
    session.expire_all()
    return session.scalars(select(CrewPosition.recorded_at).where(CrewPosition.user_id == user_id)
                           .order_by(CrewPosition.recorded_at)).all()


def last(session, user_id) -> CrewLastPosition | None:
    session.expire_all()
    return session.get(CrewLastPosition, user_id)


# ---- sharing over HTTP --------------------------------------------------------------------

def test_a_crew_shares_positions_kept_by_the_phones_clock(app, session, field):
    client = signed_in(app, field.crew.email)
    newer = datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=30)
    answer = share(client, newer)
    assert answer.status_code == 201 and answer.get_json() == {"stored": True, "latest": True}
    # Sent again (the answer was lost): stored once.
    again = share(client, newer)
    assert again.status_code == 200 and again.get_json() == {"stored": False, "latest": False}
    # A position queued without signal, taken before, arrives after: it joins the track but
    # does not move the crew back.
    older = newer - timedelta(minutes=10)
    late = share(client, older, lat=10.001, lon=100.001)
    assert late.status_code == 201 and late.get_json() == {"stored": True, "latest": False}
    assert track(session, field.crew.id) == [older, newer]
    kept = last(session, field.crew.id)
    assert kept.recorded_at == newer and kept.accuracy_m == 15
    assert session.scalar(text("SELECT ST_AsText(position) FROM crew_last_positions")) \
        == f"POINT({LON} {LAT})"


def test_the_crew_is_the_signed_in_user_never_a_field(app, session, field):
    client = signed_in(app, field.crew.email)
    forged = {"user_id": str(field.other_crew.id), "crew": str(field.other_crew.id),
              "crew_id": str(field.other_crew.id)}
    assert share(client, **forged).status_code == 201
    assert len(track(session, field.crew.id)) == 1
    assert track(session, field.other_crew.id) == [] and last(session, field.other_crew.id) is None


@pytest.mark.parametrize(("fields", "status", "code"), [
    ({"lon": "100.5"}, 422, "position_outside"),              # 50 km east of the tambon
    ({"lat": "13.75", "lon": "100.5"}, 422, "position_outside"),
    ({"accuracy": "1500"}, 400, "too_inaccurate"),             # worse than 1 km
    ({"accuracy": "-1"}, 400, "too_inaccurate"),
    ({"accuracy": ""}, 400, "missing"),
    ({"lat": "abc"}, 400, None),
    ({"lat": "95"}, 400, None),
    ({"recorded_at": "2026-03-02T09:30:00"}, 400, "bad_time"),  # no zone: which clock?
    ({"recorded_at": "yesterday"}, 400, "bad_time"),
    ({"future": True}, 422, "position_in_future"),
])
def test_bad_positions_are_refused_in_both_languages(app, session, field, fields, status, code):
    client = signed_in(app, field.crew.email)
    if fields.pop("future", False):
        fields["recorded_at"] = (datetime.now(UTC) + timedelta(minutes=20)).isoformat()
    form = {"lat": str(LAT), "lon": str(LON), "accuracy": "15",
            "recorded_at": datetime.now(UTC).isoformat(), **fields}
    answer = client.post("/crew/position", data=form,
                         headers={"X-CSRFToken": token(client), "Accept": "application/json"})
    assert answer.status_code == status, answer.get_json()
    body = answer.get_json()
    if code and code != "missing":
        assert body["error"] == code
    assert re.search("[\u0e00-\u0e7f]", body["message_th"]) and body["message_en"]
    assert track(session, field.crew.id) == [] and last(session, field.crew.id) is None


def test_a_position_just_outside_the_border_or_a_little_ahead_is_kept(app, session, field):
    client = signed_in(app, field.crew.email)
    # ~330 m east of the tambon's edge (100.02 E): a crew on the road along the border.
    ahead = datetime.now(UTC) + timedelta(minutes=2)   # the phone's clock a little fast
    assert share(client, ahead, lon=100.023).status_code == 201
    assert share(client, lon=100.03).status_code == 422  # ~1.1 km out


def test_sharing_needs_a_crew_session_and_its_csrf_token(app, field):
    client = signed_in(app, field.crew.email)
    refused = share(client, csrf=False)
    assert refused.status_code == 400 and refused.get_json()["error"] == "csrf"
    anonymous = app.test_client()
    form_token = csrf_token(anonymous, "/login")
    for path in ("/crew/position", "/crew/position/stop"):
        answer = anonymous.post(path, data={"lat": LAT, "lon": LON, "accuracy": 5},
                                headers={"X-CSRFToken": form_token, "Accept": "application/json"})
        assert answer.status_code == 401
    dispatcher = signed_in(app, field.dispatcher.email)
    answer = dispatcher.post("/crew/position", data={"lat": LAT, "lon": LON},
                             headers={"X-CSRFToken": csrf_token(dispatcher, "/dispatch/"),
                                      "Accept": "application/json"})
    assert answer.status_code == 403


def test_stopping_takes_the_crew_off_the_map_until_a_newer_position(app, session, field):
    crew = signed_in(app, field.crew.email)
    office = signed_in(app, field.dispatcher.email)
    at = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=2)
    share(crew, at)
    assert [f["id"] for f in office.get("/api/dispatch/crews.geojson").get_json()["features"]] \
        == [field.crew.id]
    stopped = crew.post("/crew/position/stop",
                        data={"stopped_at": (at + timedelta(minutes=1)).isoformat()},
                        headers={"X-CSRFToken": token(crew), "Accept": "application/json"})
    assert stopped.status_code == 200 and stopped.get_json() == {"sharing": False}
    assert office.get("/api/dispatch/crews.geojson").get_json()["features"] == []
    # A position taken before stopping, sent late, does not bring the crew back ...
    assert share(crew, at + timedelta(seconds=30)).get_json() == {"stored": True, "latest": False}
    assert office.get("/api/dispatch/crews.geojson").get_json()["features"] == []
    # ... sharing again does.
    assert share(crew).get_json()["latest"] is True
    assert len(office.get("/api/dispatch/crews.geojson").get_json()["features"]) == 1


# ---- how old: fresh / stale / offline at fixed instants --------------------------------------

@pytest.mark.parametrize(("age", "expected"), [
    (timedelta(0), "fresh"), (timedelta(minutes=5), "fresh"),
    (timedelta(minutes=5, seconds=1), "stale"), (timedelta(minutes=30), "stale"),
    (timedelta(minutes=30, seconds=1), "offline"), (timedelta(days=3), "offline"),
])
def test_freshness_at_fixed_instants(age, expected):
    assert positions.freshness(NOW - age, NOW) == expected


def record_at(session, user, moment, lon=LON, lat=LAT, now=None):
    form = positions.PositionForm(lat=lat, lon=lon, accuracy=20, recorded_at=moment)
    return positions.record(session, user, form, now=now or moment)


def test_the_dispatchers_map_says_how_old_each_position_is(app, session, field):
    third = make_user(session, field.org, "crew", "crew3@test.mapdash.test", "public_health")
    record_at(session, field.crew, NOW - timedelta(minutes=2))
    record_at(session, field.other_crew, NOW - timedelta(minutes=12), lon=100.002)
    record_at(session, third, NOW - timedelta(hours=3), lon=100.018)
    collection = positions.crews_geojson(session, field.org.id, (), NOW)
    by_id = {f["id"]: f["properties"] for f in collection["features"]}
    assert {key: value["freshness"] for key, value in by_id.items()} == {
        field.crew.id: "fresh", field.other_crew.id: "stale", third.id: "offline"}
    mine = by_id[field.crew.id]
    assert mine["age_s"] == 120 and mine["open_cases"] == 1 and mine["accuracy_m"] == 20
    assert mine["name"] == field.crew.display_name and mine["department_th"]
    assert collection["features"][0]["geometry"]["coordinates"] == [LON, LAT]
    # An officer sees their own department's crews only.
    health = session.scalar(text("SELECT id FROM departments WHERE code = 'public_health'"))
    assert [f["id"] for f in positions.crews_geojson(session, field.org.id, (health,), NOW)
            ["features"]] == [third.id]
    # Another organization's crew never shows.
    other_org = make_org(session, slug="elsewhere")
    stranger = make_user(session, other_org, "crew", "crew@elsewhere.test", "engineering")
    record_at(session, stranger, NOW, lon=100.005, lat=10.005)
    assert len(positions.crews_geojson(session, field.org.id, (), NOW)["features"]) == 3


# ---- retention ----------------------------------------------------------------------------

def test_positions_past_the_retention_are_deleted(app, session, field):
    for days in (31, 29, 8, 1):
        record_at(session, field.crew, NOW - timedelta(days=days), now=NOW)
    record_at(session, field.other_crew, NOW - timedelta(days=40), now=NOW)
    session.commit()
    assert positions.purge(session, NOW) == 2        # 31 and 40 days: past the default 30
    assert [NOW - moment for moment in track(session, field.crew.id)] == [
        timedelta(days=29), timedelta(days=8), timedelta(days=1)]
    assert last(session, field.other_crew.id) is None  # its last one was 40 days old
    assert last(session, field.crew.id) is not None

    # The admin keeps them a week: recorded in the admin changes.
    admin = make_user(session, field.org, "admin", "admin@test.mapdash.test")
    session.commit()
    client = signed_in(app, admin.email)
    page = "/admin/organization/"
    refused = client.post(page + "crew-positions",
                          data={"crew_position_days": "0", "csrf_token": csrf_token(client, page)})
    assert refused.status_code == 400 and "crew_position_days" in refused.get_data(as_text=True)
    saved = client.post(page + "crew-positions",
                        data={"crew_position_days": "7", "csrf_token": csrf_token(client, page)})
    assert saved.status_code == 303
    session.expire_all()
    assert session.get(Organization, field.org.id).crew_position_days == 7
    change = session.scalars(select(AdminChange).order_by(AdminChange.id.desc())).first()
    assert (change.subject, change.before, change.after) == (
        "organization", {"crew_position_days": 30}, {"crew_position_days": 7})
    # The worker's hourly pass deletes by the wall clock: shift the track to today first.
    session.execute(text("UPDATE crew_positions SET recorded_at = recorded_at + (now() - :now)"),
                    {"now": NOW})
    session.commit()
    Worker(app).purge_positions_if_due()
    assert len(track(session, field.crew.id)) == 1   # only the 1-day-old one is within a week


# ---- nearest crews when assigning -----------------------------------------------------------

def test_assign_lists_the_departments_crews_nearest_first(app, session, field):
    case = make_incident(session, lon=100.005, lat=10.005)
    assert case.department.code == "engineering"
    far_idle = make_user(session, field.org, "crew", "crew3@test.mapdash.test", "engineering")
    no_position_busy = make_user(session, field.org, "crew", "crew4@test.mapdash.test",
                                 "engineering")
    no_position_idle = make_user(session, field.org, "crew", "crew5@test.mapdash.test",
                                 "engineering")
    health = make_user(session, field.org, "crew", "crew6@test.mapdash.test", "public_health")
    assigned_case(session, field.dispatcher, no_position_busy)
    assigned_case(session, field.dispatcher, no_position_busy)
    record_at(session, field.crew, NOW - timedelta(minutes=1), lon=100.006, lat=10.005)
    record_at(session, field.other_crew, NOW - timedelta(minutes=20), lon=100.0055, lat=10.005)
    record_at(session, far_idle, NOW - timedelta(hours=2), lon=100.019, lat=10.009)
    record_at(session, health, NOW, lon=100.005, lat=10.005)        # nearest, another department

    nearest = positions.nearest_crews(session, case, NOW)
    assert [crew.id for crew in nearest] == [field.other_crew.id, field.crew.id, far_idle.id,
                                             no_position_idle.id, no_position_busy.id]
    first, second, third = nearest[:3]
    assert first.distance_m == pytest.approx(54.8, abs=1) and first.freshness == "stale"
    assert second.distance_m == pytest.approx(109.6, abs=1) and second.open_cases == 1
    assert third.freshness == "offline" and third.age == timedelta(hours=2)
    assert nearest[3].distance_m is None and nearest[3].open_cases == 0
    assert nearest[4].open_cases == 2

    # The dispatcher's panel lists them in that order, with km, age and workload, and one
    # tap assigns.
    workflow_accept(session, case, field.dispatcher)
    # The panel tells ages by the wall clock: the same ages, from now.
    session.execute(text("UPDATE crew_last_positions SET recorded_at = recorded_at + (now() - :now)"),
                    {"now": NOW})
    session.commit()
    office = signed_in(app, field.dispatcher.email)
    html = office.get(f"/dispatch/cases/{case.id}").get_data(as_text=True)
    listed = re.findall(r'class="near-crew near-(\w+)" data-crew="(\d+)"', html)
    assert [int(crew) for _, crew in listed] == [crew.id for crew in nearest]
    assert [kind for kind, _ in listed][3:] == ["none", "none"]
    rows = re.findall(r'<li class="near-crew.*?</li>', html, re.S)
    assert "50 ม." in rows[0] and "ไม่ล่าสุด" in rows[0] and "เรื่องที่ยังค้าง: 0" in rows[0]
    assert "1.6 กม." in rows[2] and "ขาดการติดต่อ" in rows[2]
    assert "ไม่ได้แชร์ตำแหน่ง" in rows[4] and "เรื่องที่ยังค้าง: 2" in rows[4]
    form = re.search(r'<form[^>]*class="action-form near-assign".*?</form>', html, re.S).group(0)
    answer = office.post(f"/dispatch/cases/{case.id}/actions", data={
        "csrf_token": re.search(r'name="csrf_token" value="([^"]+)"', form).group(1),
        "action": re.search(r'name="action" value="(\w+)"', form).group(1),
        "assignee_id": re.search(r'name="assignee_id" value="(\d+)"', form).group(1)},
        headers={"Accept": "application/json"})
    assert answer.status_code == 200 and answer.get_json()["status"] == "assigned"
    session.expire_all()
    assert session.get(type(case), case.id).assigned_to == field.other_crew.id


def workflow_accept(session, case, dispatcher):
    workflow.perform(session, case.id, "accept", dispatcher)


# ---- privacy ------------------------------------------------------------------------------

def _urls(app, values):
    """Every GET route, with its arguments filled from `values` (by name, then converter)."""
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint == "static":
            continue
        arguments = {}
        for name in rule.arguments:
            converter = type(rule._converters.get(name)).__name__.lower()
            arguments[name] = values.get(name, values.get(converter, "x"))
        with app.test_request_context():
            try:
                url = url_for(rule.endpoint, **arguments)
            except (BuildError, ValueError):  # an argument we cannot fill: listed by the test
                url = None
        yield rule, url


def test_positions_are_never_on_a_public_page_or_api(app, session, field):
    record_at(session, field.crew, datetime.now(UTC) - timedelta(minutes=1))
    session.commit()
    anonymous = app.test_client()
    values = {"code": field.case.tracking_code, "slug": field.org.slug, "org": field.org.slug,
              "integeridconverter": field.org.id, "bigintidconverter": field.case.id, "integerconverter": 1,
              "path": "index.html", "pathconverter": "index.html", "filename": "leaflet.js",
              "fmt": "json", "category_code": "streetlight",
              "service_request_id": field.case.tracking_code}
    public, unfilled = [], []
    for rule, url in _urls(app, values):
        if url is None:
            unfilled.append(rule.rule)
            continue
        for query in ("", f"?org={field.org.slug}&lat={LAT}&lon={LON}"):
            answer = anonymous.get(url + query)
            if answer.status_code in (401, 403) or "/login" in answer.headers.get("Location", ""):
                continue  # behind sign-in
            public.append(rule.rule)
            body = answer.get_data().decode("utf-8", "replace")
            if query:
                body = body.replace(str(LAT), "").replace(str(LON), "")  # our own question
            assert "100.0133" not in body and "10.0042" not in body, rule.rule
            assert field.crew.display_name not in body, rule.rule
    assert unfilled == []
    assert {"/", "/track/<code>", "/api/villages.geojson"} <= set(public)
    assert not any("dispatch" in rule or rule.startswith("/crew/cases") for rule in public)
    # The position endpoints refuse strangers and other roles.
    assert anonymous.get("/api/dispatch/crews.geojson").status_code == 401
    crew = signed_in(app, field.crew.email)
    assert crew.get("/api/dispatch/crews.geojson").status_code == 403
    office = signed_in(app, field.dispatcher.email)
    assert len(office.get("/api/dispatch/crews.geojson").get_json()["features"]) == 1
