"""The `mapdash` commands, run against the test database."""
import json

from sqlalchemy import func, select, text

from mapdash.models import Incident, Organization, User, Village
from tests.factories import make_incident, make_org

VILLAGE_SHAPES = ("SELECT string_agg(number || ':' || ST_AsText(geom), ';' ORDER BY number) "
                  "FROM villages")


def run(app, *args, input=None):
    return app.test_cli_runner().invoke(args=list(args), input=input)


def test_users_create_reads_the_password_from_stdin(app, session):
    make_org(session)
    session.commit()
    result = run(app, "users", "create", "--email", "somchai@example.test", "--role", "officer",
                 "--department", "engineering", input="a long enough password\n")
    assert result.exit_code == 0, result.output
    user = session.scalars(select(User)).one()
    assert user.role == "officer" and user.department.code == "engineering"
    assert user.password_hash.startswith("$argon2")


def test_users_create_explains_a_refusal(app, session):
    make_org(session)
    session.commit()
    result = run(app, "users", "create", "--email", "x@example.test", "--role", "officer",
                 input="a long enough password\n")
    assert result.exit_code != 0 and "department" in result.output
    assert session.scalar(select(func.count()).select_from(User)) == 0


def test_db_upgrade_says_when_nothing_is_left(app):
    result = run(app, "db", "upgrade")
    assert result.exit_code == 0 and "up to date" in result.output


def test_seed_demo_if_empty_leaves_existing_data_alone(demo_app, demo_session):
    before = demo_session.scalar(select(func.count()).select_from(Incident))
    result = run(demo_app, "seed-demo", "--if-empty")
    assert result.exit_code == 0 and "already has data" in result.output
    assert demo_session.scalar(select(func.count()).select_from(Incident)) == before


def test_seed_demo_prints_the_logins_in_development(app, session):
    result = run(app, "seed-demo")
    assert result.exit_code == 0, result.output
    assert "dispatcher@demo.mapdash.test / demo-password" in result.output
    assert session.scalar(select(func.count()).select_from(Village)) == 13


def _square(x, y, size=0.01):
    return [[[x, y], [x + size, y], [x + size, y + size], [x, y + size], [x, y]]]


def _collection(*features):
    return {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": props, "geometry": geometry} for props, geometry in features]}


def test_villages_import_replaces_by_number_and_relocates_cases(app, session, tmp_path):
    org = make_org(session)
    case = make_incident(session, lon=100.015, lat=10.005)  # in village 2 for now
    session.commit()
    # New boundaries: village 1 now covers the whole east half too; a new village 3 to the north.
    path = tmp_path / "villages.geojson"
    path.write_text(json.dumps(_collection(
        ({"number": 1, "name": "บ้านใหม่"}, {"type": "Polygon", "coordinates": _square(100.00, 10.00, 0.02)}),
        ({"number": 3, "name": "บ้านเหนือ"}, {"type": "Polygon", "coordinates": _square(100.00, 10.02)}),
    )))
    result = run(app, "villages", "import", str(path), "--org", org.slug, "--update-boundary")
    assert result.exit_code == 0, result.output
    assert "1 new and 1 updated" in result.output
    session.expire_all()
    numbers = session.scalars(select(Village.number).order_by(Village.number)).all()
    assert numbers == [1, 2, 3]
    assert session.get(Incident, case.id).village.number == 1
    covers = session.scalar(text("SELECT ST_Covers(boundary, "
                                 "ST_SetSRID(ST_MakePoint(100.005, 10.025), 4326)) "
                                 "FROM organizations"))
    assert covers


def test_villages_import_refuses_bad_features_and_changes_nothing(app, session, tmp_path):
    org = make_org(session)
    session.commit()
    before = session.scalar(text(VILLAGE_SHAPES))
    path = tmp_path / "mixed.geojson"
    path.write_text(json.dumps(_collection(
        ({"number": 1, "name": "ดี"}, {"type": "Polygon", "coordinates": _square(100.0, 10.0)}),
        ({"number": 2, "name": "จุด"}, {"type": "Point", "coordinates": [100.0, 10.0]}),
        ({"name": "ไม่มีเลข"}, {"type": "Polygon", "coordinates": _square(100.1, 10.0)}),
    )))
    result = run(app, "villages", "import", str(path), "--org", org.slug)
    assert result.exit_code != 0
    assert "feature 2:" in result.output and "feature 3:" in result.output
    assert "nothing was imported" in result.output
    after = session.scalar(text(VILLAGE_SHAPES))
    assert after == before


def test_villages_import_explains_a_file_of_nested_brackets_without_a_traceback(app, session,
                                                                               tmp_path):
    org = make_org(session)
    session.commit()
    path = tmp_path / "brackets.geojson"
    path.write_text("[" * 100_000 + "]" * 100_000)
    result = run(app, "villages", "import", str(path), "--org", org.slug)
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    assert "brackets.geojson" in result.output and "nested" in result.output


def test_villages_import_refuses_a_number_past_the_column_and_changes_nothing(app, session,
                                                                            tmp_path):
    org = make_org(session)
    session.commit()
    before = session.scalar(text(VILLAGE_SHAPES))
    path = tmp_path / "big.geojson"
    path.write_text(json.dumps(_collection(
        ({"number": 2**31, "name": "ใหญ่"}, {"type": "Polygon", "coordinates": _square(100.0, 10.0)}))))
    result = run(app, "villages", "import", str(path), "--org", org.slug)
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit)
    assert "feature 1:" in result.output and "nothing was imported" in result.output
    assert session.scalar(text(VILLAGE_SHAPES)) == before


def test_villages_import_needs_a_known_organization(app, session, tmp_path):
    path = tmp_path / "one.geojson"
    path.write_text(json.dumps(_collection(
        ({"number": 1, "name": "ดี"}, {"type": "Polygon", "coordinates": _square(100.0, 10.0)}))))
    result = run(app, "villages", "import", str(path), "--org", "nowhere")
    assert result.exit_code != 0 and "nowhere" in result.output
    assert session.scalar(select(func.count()).select_from(Organization)) == 0


def test_seed_synthetic_places_every_case_in_its_village(demo_app, demo_session):
    before = demo_session.scalar(select(func.count()).select_from(Incident))
    result = run(demo_app, "seed-synthetic", "--incidents", "2000")
    assert result.exit_code == 0, result.output
    assert "added 2000" in result.output
    misplaced = demo_session.scalar(text("""
        SELECT count(*) FROM incidents i JOIN villages v ON v.id = i.village_id
        WHERE i.tracking_code LIKE 'SYN-%' AND NOT ST_Covers(v.geom, i.location)"""))
    assert misplaced == 0
    assert demo_session.scalar(select(func.count()).select_from(Incident)) == before + 2000
