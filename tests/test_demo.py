"""The demo tambon as stored: villages tile it, cases are placed and dated realistically."""
from sqlalchemy import func, select, text

from mapdash.models import Incident, IncidentEvent, Organization, User, Village


def test_demo_is_labelled_synthetic(demo_session):
    org = demo_session.scalars(select(Organization)).one()
    assert org.is_demo and "สาธิต" in org.name_th and "synthetic" in org.name_en


def test_thirteen_villages_tile_the_tambon_in_postgis(demo_session):
    assert demo_session.scalar(select(func.count()).select_from(Village)) == 13
    gap, overlap = demo_session.execute(text("""
        SELECT ST_Area(ST_SymDifference(o.boundary, u.g)),
               (SELECT coalesce(sum(ST_Area(ST_Intersection(a.geom, b.geom))), 0)
                FROM villages a JOIN villages b ON a.id < b.id AND ST_Intersects(a.geom, b.geom))
        FROM organizations o, (SELECT ST_Union(geom) AS g FROM villages) u""")).one()
    assert gap < 1e-10 and overlap < 1e-10


def test_about_300_cases_over_90_days_in_their_villages(demo_session):
    count, oldest_days, unplaced = demo_session.execute(text("""
        SELECT count(*), max(extract(epoch FROM now() - created_at) / 86400),
               count(*) FILTER (WHERE location IS NOT NULL AND village_id IS NULL)
        FROM incidents""")).one()
    assert 250 <= count <= 350 and 60 <= oldest_days <= 91 and unplaced == 0
    statuses = dict(demo_session.execute(
        select(Incident.status, func.count()).group_by(Incident.status)).all())
    assert statuses.get("new", 0) > 0 and statuses.get("resolved", 0) > count / 3


def test_each_case_history_is_a_chain_ending_in_its_status(demo_session):
    broken = demo_session.execute(text("""
        SELECT i.id FROM incidents i
        JOIN LATERAL (SELECT to_status FROM incident_events e WHERE e.incident_id = i.id
                      ORDER BY created_at DESC, id DESC LIMIT 1) last ON true
        WHERE last.to_status <> i.status""")).all()
    assert broken == []
    assert demo_session.scalar(select(func.count()).select_from(IncidentEvent)) > 300


def test_one_demo_account_per_role(demo_session):
    roles = demo_session.scalars(select(User.role).where(User.is_demo)).all()
    assert sorted(roles) == ["admin", "crew", "dispatcher", "officer"]
