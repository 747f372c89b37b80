"""Each case type reaches the department seed 000 names."""
import pytest
from sqlalchemy import select

from mapdash.cases.routing import ROUTES, department_for
from mapdash.models import Category, Department, Incident
from mapdash.office.catalog import CATEGORIES, DEPARTMENTS
from tests.factories import make_incident, make_org

SEED_000 = {
    "streetlight": "กองช่าง", "water": "กองช่าง", "road": "กองช่าง",
    "ems": "กองสาธารณสุขและสิ่งแวดล้อม",
    "fire": "สำนักปลัด", "drug_tip": "สำนักปลัด", "info_request": "สำนักปลัด",
    "appointment": "สำนักปลัด", "dev_plan": "สำนักปลัด",
}


def test_every_catalogue_type_has_a_route_to_a_known_department():
    codes = {code for code, *_ in DEPARTMENTS}
    for category in CATEGORIES:
        assert department_for(category["code"]) in codes
    assert set(ROUTES) == {c["code"] for c in CATEGORIES}


def test_unknown_type_falls_back_to_the_chief_administrator():
    assert department_for("something-new") == "chief_admin"


@pytest.mark.parametrize("code, department_th", sorted(SEED_000.items()))
def test_a_case_is_routed_at_write_time(session, code, department_th):
    make_org(session)
    needs_place = session.scalars(select(Category.location_required).where(Category.code == code)).one()
    place = {"lon": 100.005, "lat": 10.005} if needs_place else {"lon": None, "lat": None}
    incident = make_incident(session, category=code, **place)
    session.commit()
    stored = session.get(Incident, incident.id)
    assert session.get(Department, stored.department_id).name_th == department_th
    assert stored.village_id is not None or not needs_place


def test_every_demo_case_is_routed_like_its_type(demo_session):
    mismatched = demo_session.execute(select(Incident.id).join(Category).where(
        Incident.department_id != Category.department_id)).all()
    assert mismatched == []
    pairs = dict(demo_session.execute(select(Category.code, Department.code).join(
        Department, Category.department_id == Department.id)).all())
    assert pairs == ROUTES
