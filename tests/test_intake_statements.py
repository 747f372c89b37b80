"""How many SQL statements one report costs, through Open311 and through the web form: a guard
against look-ups creeping back (issue 15: an Open311 POST ran 17, the form 16; each one is a
round trip and app CPU at a thousand reports a second; without a message to write, they
run 11 and 10).

Counted with an event listener on the real database, for a report after a first one (which
notes the key's last use and learns the type's time limits, as a server does once); the
department is told of new cases, so the outbox's message is among them."""
import re
import time

import pytest
from sqlalchemy import event, func, select

from mapdash.cases import ratelimit
from mapdash.models import Category, Department, Incident, Notification
from mapdash.office import apikeys
from mapdash.office.orgs import find_organization
from tests.test_public_report import PIN, open_form

# With the department told: its message names the village (one read), then is written.
OPEN311_STATEMENTS = 14
WEB_FORM_STATEMENTS = 13


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
