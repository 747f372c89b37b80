"""How many SQL statements one report costs, through Open311 and through the web form: a guard
against look-ups creeping back (issue 15: an Open311 POST ran 17, the form 16; each one is a
round trip and app CPU at a thousand reports a second; without a message to write, they
run 9 and 9: the case and its first event are one INSERT ... RETURNING each, without a
savepoint, and the api key comes with its organization).

Counted with an event listener on the real database, for a report after a first one (which
notes the key's last use and learns the type's time limits, as a server does once); the
department is told of new cases, so the outbox's message is among them."""
import re
import time

import pytest
from sqlalchemy import event, func, select, text

from mapdash.cases import ratelimit
from mapdash.models import Category, Department, Incident, Notification
from mapdash.office import apikeys
from mapdash.office.orgs import find_organization
from tests.test_public_report import PIN, open_form

# With the department told: its message names the village (one read), then is written.
OPEN311_STATEMENTS = 11
WEB_FORM_STATEMENTS = 11


@pytest.fixture
def counted(demo_app, monkeypatch):
    """The statements the app sends while the block runs, by their first words."""
    statements: list[str] = []

    def note(conn, cursor, statement, parameters, context, executemany):
        statements.append(" ".join(statement.split())[:80])

    # The request's session, and the rate limits' own short transactions (db.side_engine).
    engines = [demo_app.extensions["db_engine"], demo_app.extensions["db_side_engine"]]
    for engine in engines:
        event.listen(engine, "before_cursor_execute", note)
    # A purge of old rate-limit counters just ran (it runs once per 10 s and process, so the
    # count does not depend on when the test runs).
    monkeypatch.setattr(ratelimit, "_purged_at", time.monotonic())
    yield statements
    for engine in engines:
        event.remove(engine, "before_cursor_execute", note)


@pytest.fixture
def told_department(demo_session):
    """The street lights' department hears of new cases by e-mail."""
    category = demo_session.scalars(select(Category).where(Category.code == "streetlight")).one()
    department = demo_session.get(Department, category.department_id)
    department.notify_email = "lights@example.test"
    demo_session.commit()
    return department


def _notifications(session, tracking_code: str) -> int:
    session.expire_all()
    return session.scalar(select(func.count()).select_from(Notification).join(Incident).where(
        Incident.tracking_code == tracking_code))


def test_an_open311_post_costs_its_statements_and_no_more(demo_app, demo_client, demo_session,
                                                          told_department, counted):
    _row, key = apikeys.create_key(demo_session, "counted app", find_organization(demo_session))
    demo_session.commit()

    def post(number: int):
        response = demo_client.post("/open311/v2/requests.json", data={
            "api_key": key, "service_code": "streetlight", "lat": PIN["lat"],
            "long": PIN["lon"], "description": f"ไฟดับ {number}"})
        assert response.status_code == 200, response.get_data(as_text=True)
        return response.get_json()[0]["service_request_id"]

    post(1)
    counted.clear()
    code = post(2)
    assert len(counted) == OPEN311_STATEMENTS, "\n".join(counted)
    assert _notifications(demo_session, code) == 1  # the department was told


def test_a_web_form_report_costs_its_statements_and_no_more(demo_app, demo_client, demo_session,
                                                            told_department, counted):
    def send(number: int):
        form = open_form(demo_client)
        counted.clear()
        response = demo_client.post("/report/streetlight", data={
            **form, **PIN, "description": f"ไฟดับหน้าวัด {number}"},
            content_type="multipart/form-data")
        assert response.status_code == 303, response.get_data(as_text=True)
        return re.search(r"/track/([^?]+)", response.headers["Location"]).group(1)

    send(1)
    code = send(2)
    assert len(counted) == WEB_FORM_STATEMENTS, "\n".join(counted)
    assert _notifications(demo_session, code) == 1
    with demo_client.session_transaction() as browser:  # the reply code, stored with the case
        assert code in browser["reply_codes"]
    incident = demo_session.scalars(select(Incident).where(Incident.tracking_code == code)).one()
    assert incident.reply_code_sha256 is not None and incident.time_limits_id is not None



def _insert_case(connection, category: Category, village_id: int, lon: float, lat: float) -> None:
    """A case of `category` in `village_id`, inserted on `connection`, not committed."""
    connection.execute(text("""
        INSERT INTO incidents (tracking_code, organization_id, category_id, village_id,
                               department_id, location, description, channel, time_limits_id)
        VALUES ('T-' || nextval('incidents_id_seq'), :org, :category, :village, :department,
                ST_SetSRID(ST_MakePoint(:lon, :lat), 4326), 'x', 'web',
                (SELECT min(id) FROM time_limits))"""),
        {"org": category.organization_id, "category": category.id, "village": village_id,
         "department": category.department_id, "lon": lon, "lat": lat})


def test_two_reports_of_one_organization_written_at_once_do_not_wait_for_each_other(
        demo_app, demo_session):
    """No row that every report writes (issue 15, item 5): the statistics' mark of the month
    is one row per connection's slot (sql/041), so a second report is written while the
    first one's transaction is still open, instead of waiting for its commit. (Two reports
    of the same type in the same village share their open count's row; these differ.)"""
    engine = demo_app.extensions["db_engine"]
    streetlight, water = (demo_session.scalars(select(Category).where(Category.code == code)).one()
                          for code in ("streetlight", "water"))
    villages = demo_session.execute(text(
        "SELECT id, ST_X(ST_PointOnSurface(geom)), ST_Y(ST_PointOnSurface(geom)) FROM villages "
        "WHERE organization_id = :org ORDER BY number LIMIT 2"),
        {"org": streetlight.organization_id}).all()
    demo_session.commit()
    # Two connections whose slots differ (a slot comes from the backend's process id).
    connections = [engine.connect()]
    slots = [connections[0].scalar(text("SELECT stats_changes_slot()"))]
    while slots[-1] == slots[0] and len(connections) < 40:
        connections.append(engine.connect())
        slots.append(connections[-1].scalar(text("SELECT stats_changes_slot()")))
    first, second = connections[0], connections[-1]
    assert slots[0] != slots[-1]
    try:
        _insert_case(first, streetlight, *villages[0])
        second.exec_driver_sql("SET lock_timeout = '3s'")  # would wait for the first's commit
        _insert_case(second, water, *villages[1])
        second.commit()
        first.commit()
    finally:
        for connection in connections:
            connection.close()
    marks = demo_session.scalars(text(
        "SELECT slot FROM stats_changes WHERE organization_id = :org "
        "AND month = stats_month(now())"), {"org": streetlight.organization_id}).all()
    assert {slots[0], slots[-1]} <= set(marks)
