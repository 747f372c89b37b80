"""A database outage (issue 16, item 4), for real: the test process's own PostgreSQL cluster is
stopped and started again. Meanwhile pages, the JSON API and Open311 answer 503 with
Retry-After, each in its own format, and nothing is half stored; afterwards everything works
again. A database error that is not an outage (a constraint, a timeout) stays a 500: it is a
bug to fix, not a reason to retry."""
import json
import re
import xml.etree.ElementTree as ET

import pytest
from sqlalchemy import func, select, text

from mapdash import db
from mapdash.models import Incident, Organization
from mapdash.office import apikeys
from mapdash.office.orgs import find_organization
from tests.support import database_stopped, login, make_app

THAI = "ระบบขัดข้องชั่วคราว"
ENGLISH = "briefly unavailable"
PIN = {"lat": "17.35", "lon": "104.62"}  # in หมู่ 1 of the demo tambon


@pytest.fixture
def routed_app(demo_database_url, tmp_path):
    """An app of its own for the tests that add routes (the shared demo_app has served
    requests already: Flask takes no new routes then)."""
    application = make_app(demo_database_url, tmp_path / "photos")
    yield application
    application.extensions["db_engine"].dispose()


@pytest.fixture
def key(demo_app):
    with db.new_session(demo_app, expire_on_commit=True) as session:
        _row, value = apikeys.create_key(session, "outage app", find_organization(session))
        session.commit()
    return value


def cases(app) -> int:
    with app.extensions["db_engine"].connect() as conn:
        return conn.execute(select(func.count()).select_from(Incident)).scalar_one()


def assert_try_again(response):
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "30"


def test_pages_say_try_again_shortly_in_thai_and_english(demo_app, pg_cluster):
    citizen, staff = demo_app.test_client(), demo_app.test_client()
    assert login(staff, "dispatcher@demo.mapdash.test", "demo-password").status_code == 302
    page = citizen.get("/report/streetlight").get_data(as_text=True)
    form = {name: re.search(rf'name="{name}" value="([^"]+)"', page).group(1)
            for name in ("csrf_token", "idempotency_key")}
    before = cases(demo_app)
    with database_stopped(pg_cluster):
        for client, path in ((citizen, "/cases"), (citizen, "/track/ABCD-2345"),
                             (staff, "/dispatch/")):  # staff: who is signed in is not asked
            response = client.get(path)
            assert_try_again(response)
            assert response.mimetype == "text/html", path
            body = response.get_data(as_text=True)
            assert THAI in body and ENGLISH in body, path
        response = citizen.post("/report/streetlight", data={**form, **PIN})
        assert_try_again(response)
    assert cases(demo_app) == before
    assert citizen.get("/cases").status_code == 200
    assert staff.get("/dispatch/").status_code == 200  # still signed in
    # The citizen sends the same form again: stored once.
    assert citizen.post("/report/streetlight", data={**form, **PIN}).status_code == 303
    assert citizen.post("/report/streetlight", data={**form, **PIN}).status_code == 303
    assert cases(demo_app) == before + 1


def test_json_clients_get_the_error_in_json_and_healthz_is_unchanged(demo_app, pg_cluster):
    client = demo_app.test_client()
    with database_stopped(pg_cluster):
        for path, headers in (("/api/public/cases.geojson", {}), ("/api/villages.geojson", {}),
                              ("/cases", {"Accept": "application/json"})):
            response = client.get(path, headers=headers)
            assert_try_again(response)
            answer = response.get_json()
            assert answer["error"] == "database_unavailable", path
            assert THAI in answer["message_th"] and ENGLISH in answer["message_en"]
        health = client.get("/healthz")
        assert health.status_code == 503 and "Retry-After" not in health.headers
        assert health.get_json() == {"status": "unavailable", "database": "down"}
    assert client.get("/api/public/cases.geojson").status_code == 200


def open311_errors(response, fmt) -> list[tuple[int, str]]:
    if fmt == "json":
        return [(error["code"], error["description"]) for error in json.loads(response.data)]
    root = ET.fromstring(response.data)
    assert root.tag == "errors"
    return [(int(error.findtext("code")), error.findtext("description"))
            for error in root.findall("error")]


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_open311_answers_503_in_its_own_error_format(demo_app, pg_cluster, key, fmt):
    client = demo_app.test_client()
    form = {"api_key": key, "service_code": "road", "lat": "17.35", "long": "104.62",
            "description": "ถนนแตก"}
    before = cases(demo_app)
    with database_stopped(pg_cluster):
        for response in (client.post(f"/open311/v2/requests.{fmt}", data=form),
                         client.get(f"/open311/v2/requests.{fmt}"),
                         client.get(f"/open311/v2/requests/ABCD-2345.{fmt}"),
                         client.get(f"/open311/v2/services.{fmt}")):
            assert_try_again(response)
            assert response.mimetype == ("application/json" if fmt == "json" else "text/xml")
            [(code, description)] = open311_errors(response, fmt)
            assert code == 503 and ENGLISH in description and THAI in description
    # The client retries: filed now, once.
    response = client.post(f"/open311/v2/requests.{fmt}", data=form)
    assert response.status_code == 200
    assert client.get(f"/open311/v2/requests.{fmt}").status_code == 200
    assert cases(demo_app) == before + 1


def test_an_outage_at_the_commit_answers_503_and_stores_nothing(routed_app, pg_cluster):
    """The database goes away after the view wrote and before the request commits."""
    @routed_app.get("/test/write-then-lose-the-connection")
    def write_then_lose_the_connection():
        session = db.session()
        session.execute(text("UPDATE organizations SET name_en = 'changed'"))
        pid = session.execute(text("SELECT pg_backend_pid()")).scalar()
        with pg_cluster.connect() as admin:  # waits until that connection is gone
            admin.execute("SELECT pg_terminate_backend(%s, 10000)", (pid,))
        return "written"

    response = routed_app.test_client().get("/test/write-then-lose-the-connection",
                                          headers={"Accept": "application/json"})
    assert_try_again(response)
    assert response.get_json()["error"] == "database_unavailable"
    with db.new_session(routed_app) as session:
        assert "changed" not in session.scalars(select(Organization.name_en)).all()


def test_a_database_error_that_is_not_an_outage_stays_a_500(routed_app):
    routed_app.config["PROPAGATE_EXCEPTIONS"] = False  # answer as in production

    @routed_app.get("/test/constraint")
    def constraint():
        db.session().execute(text("INSERT INTO organizations (slug) VALUES (NULL)"))
        return "stored"

    @routed_app.get("/test/statement-timeout")
    def statement_timeout():
        db.session().execute(text("SET LOCAL statement_timeout = 1"))
        db.session().execute(text("SELECT pg_sleep(1)"))
        return "slept"

    client = routed_app.test_client()
    for path in ("/test/constraint", "/test/statement-timeout"):
        response = client.get(path, headers={"Accept": "application/json"})
        assert response.status_code == 500, path
        assert "Retry-After" not in response.headers
