"""A case keeps the time limits it was reported with: an administrator's change of its
type's limits (/admin/types) applies to the cases reported after it, on the dispatcher map,
in workflow's clock and in the overdue alerts alike."""
import re
from datetime import UTC, datetime, timedelta

import pytest

from mapdash.cases import workflow
from mapdash.cases.intake import Report, create_incident
from mapdash.integrations.notify import overdue
from mapdash.models import Category, User
from mapdash.office.auth import create_user
from tests.factories import make_org
from tests.support import login
from tests.test_admin_types import drop_none, form_fields

PASSWORD = "correct horse battery"


@pytest.fixture
def org(session):
    organization = make_org(session)
    for role in ("admin", "dispatcher"):
        create_user(session, organization_id=organization.id, email=f"{role}@example.test",
                    password=PASSWORD, role=role)
    session.commit()
    return organization


def report(session, now, age):
    return create_incident(session, Report(category_code="streetlight", lon=100.005, lat=10.005),
                           created_at=now - age)


def shorten_streetlight_intake(client, session):
    """The admin sets "check the details" of streetlights from 5 minutes to 1: intake (see
    the alert 5 + check) from 10 minutes to 6."""
    light = session.query(Category).filter_by(code="streetlight").one()
    login(client, "admin@example.test", PASSWORD)
    form = form_fields(client.get(f"/admin/types/{light.id}").get_data(as_text=True))
    assert (form["limit-check-amount"], form["limit-check-unit"]) == ("5", "minutes")
    form["limit-check-amount"] = "1"
    assert client.post(f"/admin/types/{light.id}", data=drop_none(form)).status_code == 303
    client.get("/logout")
    session.expire_all()
    assert light.sla_minutes["check"] == 1


def test_an_open_case_keeps_its_limits_when_its_types_change(client, session, org):
    now = datetime.now(UTC)  # the map reckons overdue from the database's clock
    before = report(session, now, timedelta(minutes=8))  # limit 10 minutes: in time
    session.commit()
    shorten_streetlight_intake(client, session)
    after = report(session, now, timedelta(minutes=8))   # limit 6 minutes: late
    session.commit()
    assert before.time_limits_id != after.time_limits_id

    # The clock: each case's own limits.
    assert workflow.due_at(before) == before.created_at + timedelta(minutes=10)
    assert workflow.due_at(after) == after.created_at + timedelta(minutes=6)
    # The dispatcher map, its list and its village counts.
    login(client, "dispatcher@example.test", PASSWORD)
    features = client.get("/api/dispatch/cases.geojson").get_json()["features"]
    late = {f["properties"]["code"]: f["properties"]["overdue"] for f in features}
    assert late == {before.tracking_code: False, after.tracking_code: True}
    due = {f["properties"]["code"]: datetime.fromisoformat(f["properties"]["due_at"])
           for f in features}
    assert due[before.tracking_code] == before.created_at + timedelta(minutes=10)
    counts = client.get("/api/dispatch/villages.geojson?overdue=1").get_json()
    assert sum(f["properties"]["open_cases"] for f in counts["features"]) == 1
    # The overdue alerts, at a moment of the test's choosing: only the later case is late.
    with client.application.app_context():
        assert overdue.scan(session, client.application, now=now) == 1
        session.commit()
        assert overdue.scan(session, client.application, now=now + timedelta(minutes=3)) == 1


def test_a_new_set_of_limits_is_stored_once(client, session, org):
    now = datetime.now(UTC)
    shorten_streetlight_intake(client, session)
    first, second = (report(session, now, timedelta(minutes=age)) for age in (1, 2))
    session.commit()
    assert first.time_limits_id == second.time_limits_id
    assert first.time_limits.minutes["check"] == 1 and first.time_limits.minutes["work"] == 10080


def test_the_type_page_counts_the_open_cases_on_earlier_limits(client, session, org):
    """Open cases of the type reported before the change are counted; a closed one, one
    reported after it and another type's are not."""
    now = datetime(2026, 3, 4, 3, 30, tzinfo=UTC)
    for hours in (1, 2):
        report(session, now, timedelta(hours=hours))
    closed = report(session, now, timedelta(hours=3))
    create_incident(session, Report(category_code="water", lon=100.005, lat=10.005),
                    created_at=now)
    dispatcher = session.query(User).filter_by(email="dispatcher@example.test").one()
    workflow.perform(session, closed.id, "reject", dispatcher, note="ซ้ำ", now=now)
    session.commit()
    shorten_streetlight_intake(client, session)
    report(session, now, timedelta(minutes=1))  # on the new limits
    session.commit()
    light = session.query(Category).filter_by(code="streetlight").one()
    login(client, "admin@example.test", PASSWORD)
    page = client.get(f"/admin/types/{light.id}").get_data(as_text=True)
    notice = re.search(r'id="earlier-limits">([^<]*)<', page).group(1)
    assert re.findall(r"\d+", notice) == ["2"]
