import os

import pytest
from sqlalchemy import create_engine, inspect, text

from mapdash import db


@pytest.fixture
def fresh_database(pg_cluster):
    """An empty database of this test's own (not cloned from the migrated template)."""
    name = f"migrate_fresh_{os.getpid()}"
    pg_cluster.ensure_database(name)
    yield pg_cluster.url(name)
    with pg_cluster.connect() as conn:
        conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


def test_migrations_apply_to_an_empty_database_and_are_recorded(fresh_database):
    url = fresh_database
    files = sorted(path.stem for path in db.MIGRATIONS_DIR.glob("*.sql"))
    assert files[:2] == ["001_init", "002_followers"]
    assert db.pending_migrations(url) == files
    assert db.upgrade(url) == files
    assert db.upgrade(url) == []  # a second run applies nothing
    engine = create_engine(url)
    tables = set(inspect(engine).get_table_names())
    assert {"organizations", "villages", "departments", "categories", "incidents",
            "incident_events", "photos", "users"} <= tables
    with engine.connect() as conn:
        assert conn.execute(text("SELECT postgis_version()")).scalar()
        recorded = conn.execute(text("SELECT migration_id FROM _yoyo_migration")).scalars().all()
    assert sorted(recorded) == files
    engine.dispose()


def test_incident_indexes_serve_the_map(session, app):
    indexes = {row[0]: row[1] for row in session.execute(text(
        "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'incidents'"))}
    gist = indexes["incidents_open_location_gix"]
    assert "USING gist" in gist and "WHERE is_open" in gist
    assert "(organization_id, status, village_id)" in indexes["incidents_org_status_village_idx"]


def test_audit_trail_is_append_only(session):
    from tests.factories import make_incident, make_org

    make_org(session)
    incident = make_incident(session)
    session.commit()
    for statement in ("UPDATE incident_events SET note = 'x'", "DELETE FROM incident_events"):
        try:
            session.execute(text(statement))
        except Exception as exc:
            assert "append-only" in str(exc)
            session.rollback()
        else:
            raise AssertionError(f"{statement} was allowed")
    assert len(session.get(type(incident), incident.id).events) == 1
