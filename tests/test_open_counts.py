"""The open counts of the dispatcher's map (sql/037, maps/counts.py) equal a direct count of
the cases after a random series of reports, transitions, duplicates, moves of village,
forwards and imports of villages; the map's endpoints read the same figures from them."""
import math
import random
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta

import pytest
from shapely.geometry import box
from sqlalchemy import select, text

from mapdash.cases import workflow
from mapdash.cases.intake import Report, create_incident
from mapdash.errors import UserError
from mapdash.maps import counts, geo
from mapdash.models import Category, Incident
from mapdash.office.auth import create_user
from mapdash.office.village_import import VillageFeature
from mapdash.office.villages import store_villages
from tests.factories import make_org

# Steps start around this instant; the counts' clock is moved through it.
FIXED = datetime(2026, 3, 4, 3, 0, tzinfo=UTC)
OTHER = box(100.05, 10.00, 100.06, 10.01)


@pytest.fixture
def orgs(session):
    home = make_org(session)
    other = make_org(session, slug="other-tambon", villages=((1, "บ้านอื่น", OTHER),))
    session.execute(text("UPDATE open_counts_clock SET overdue_at = :t"),
                    {"t": FIXED - timedelta(days=3)})  # no case yet: nothing to recount
    staff = {role: create_user(session, organization_id=home.id, email=f"{role}@example.test",
                               password="correct horse battery", role=role,
                               department_code="engineering" if role == "crew" else None)
             for role in ("dispatcher", "crew")}
    session.commit()
    return home, other, staff


def _moment(rng):
    return FIXED - timedelta(minutes=rng.randrange(0, 6 * 24 * 60))


def _play(session, rng, home, other, staff, steps=140):
    """A seeded series of what happens to cases: each kind of change that moves a count."""
    dispatcher, crew = staff["dispatcher"], staff["crew"]
    codes = session.scalars(select(Category.code).where(Category.organization_id == home.id,
                                                         Category.active)).all()
    actions = ["accept", "request_info", "reply", "assign", "start", "resolve", "reject",
               "reopen", "mark_duplicate", "forward"]
    ids: list[int] = []
    for step in range(steps):
        kind = rng.choices(["report", "act", "move", "import", "catch_up"],
                           weights=[40, 45, 8, 3, 4])[0]
        if kind == "report" or not ids:
            placed = rng.random() < 0.85
            report = Report(category_code=rng.choice(codes), channel="web",
                            lon=round(rng.uniform(100.0001, 100.0199), 6) if placed else None,
                            lat=round(rng.uniform(10.0001, 10.0099), 6) if placed else None,
                            organization_slug=None if placed else home.slug,
                            village_number=None if placed else rng.choice([None, 1, 2]))
            try:
                ids.append(create_incident(session, report, created_at=_moment(rng)).id)
            except UserError:  # a type that needs a place, reported without one
                session.rollback()
                continue
        elif kind == "act":
            case_id = rng.choice(ids)
            status = session.get(Incident, case_id).status
            action = rng.choice([name for name in actions
                                 if status in workflow.TRANSITIONS[name].sources])
            extra = {"assign": {"assignee_id": crew.id},
                     "mark_duplicate": {"duplicate_of": rng.choice(ids)},
                     "forward": {"organization_id": other.id}}
            try:
                workflow.perform(session, case_id, action, dispatcher,
                                 note="บันทึก", now=_moment(rng), **extra.get(action, {}))
            except UserError:
                session.rollback()
                continue
        elif kind == "move":  # the place corrected: another point, perhaps another village
            lon, lat = rng.uniform(100.0001, 100.0199), rng.uniform(10.0001, 10.0099)
            session.execute(text("""
                UPDATE incidents SET location = ST_SetSRID(ST_MakePoint(:lon, :lat), 4326),
                    village_id = (SELECT id FROM villages WHERE organization_id = :org
                                  AND ST_Covers(geom, ST_SetSRID(ST_MakePoint(:lon, :lat), 4326)))
                WHERE id = :id AND organization_id = :org"""),
                {"lon": lon, "lat": lat, "id": rng.choice(ids), "org": home.id})
        elif kind == "import":  # villages redrawn: the line between them moves
            edge = round(rng.uniform(100.003, 100.017), 4)
            store_villages(session, home.slug, [
                VillageFeature(1, 1, "บ้านตะวันตก", None, _multi(100.0, edge), False),
                VillageFeature(2, 2, "บ้านตะวันออก", None, _multi(edge, 100.02), False)])
        else:
            session.commit()
            session.execute(text("SELECT open_counts_catch_up(:org, :t)"),
                            {"org": rng.choice([home.id, other.id]),
                             "t": FIXED - timedelta(hours=rng.randrange(48, 72) - step // 3)})
        session.commit()
    return ids


def _multi(west, east):
    from shapely.geometry import MultiPolygon
    return MultiPolygon([box(west, 10.0, east, 10.01)])


def _expected(session):
    """Counts worked out here from the cases, apart from the SQL: due times by workflow.py."""
    clock = {org: moment for org, moment in session.execute(text(
        "SELECT organization_id, overdue_at FROM open_counts_clock"))}
    villages, cells = Counter(), defaultdict(lambda: [0, 0, 0.0, 0.0, 0.0, 0.0])
    rows = session.execute(text("""
        SELECT id, ST_X(location), ST_Y(location) FROM incidents WHERE is_open""")).all()
    places = {row[0]: row[1:] for row in rows}
    for incident in session.scalars(select(Incident).where(Incident.is_open)):
        due = workflow.due_at(incident)
        assert incident.due_at == due, incident.tracking_code  # sql/037 case_due_at
        late = due is not None and due < clock[incident.organization_id]
        lon, lat = places[incident.id]
        key = (incident.organization_id, incident.category_id, incident.department_id,
               incident.status)
        villages[(*key, incident.village_id, lon is not None, "cases")] += 1
        villages[(*key, incident.village_id, lon is not None, "overdue")] += late
        if lon is None:
            continue
        for zoom in counts.GRID_ZOOMS:
            size = geo.grid_cell_degrees(zoom)
            cell = cells[(*key, incident.village_id, zoom, math.floor(lon / size),
                          math.floor(lat / size))]
            cell[0] += 1
            cell[1] += late
            cell[2] += lon
            cell[3] += lat
            cell[4] += lon * late
            cell[5] += lat * late
    return +villages, {key: value for key, value in cells.items()}


def _kept(session):
    villages, cells = Counter(), {}
    for row in session.execute(text("""
            SELECT organization_id, category_id, department_id, status, village_id, placed,
                   cases, overdue FROM open_counts_villages""")):
        villages[(*row[:6], "cases")] += row.cases
        villages[(*row[:6], "overdue")] += row.overdue
    for row in session.execute(text("""
            SELECT organization_id, category_id, department_id, status, village_id, zoom, x, y,
                   cases, overdue, sum_x, sum_y, overdue_x, overdue_y FROM open_counts_cells
            WHERE cases <> 0 OR overdue <> 0""")):
        cells[tuple(row[:8])] = list(row[8:])
    return +villages, cells


def test_counts_equal_a_direct_count_after_a_random_series(session, orgs):
    home, other, staff = orgs
    rng = random.Random(15)
    ids = _play(session, rng, home, other, staff)
    assert len(ids) > 40
    statuses = set(session.scalars(select(Incident.status)))
    assert {"new", "accepted", "assigned", "duplicate"} <= statuses  # the series did move cases
    assert session.scalar(select(Incident.id).where(Incident.organization_id == other.id))

    expected_villages, expected_cells = _expected(session)
    kept_villages, kept_cells = _kept(session)
    assert kept_villages == expected_villages
    assert kept_cells.keys() == expected_cells.keys()
    for key, (n, late, x, y, late_x, late_y) in expected_cells.items():
        kept = kept_cells[key]
        assert kept[:2] == [n, late], key
        assert kept[2:] == pytest.approx([x, y, late_x, late_y], abs=1e-6), key
    late = [n for key, n in expected_villages.items() if key[-1] == "overdue"]
    assert 0 < sum(late) < sum(n for key, n in expected_villages.items() if key[-1] == "cases")

    # The endpoints read the same as the cases counted directly, for every kind of filter.
    categories = session.scalars(select(Category.id).where(Category.organization_id == home.id))
    some = tuple(categories)[:2]
    for f in (geo.MapFilter(home.id), geo.MapFilter(home.id, overdue_only=True),
              geo.MapFilter(home.id, category_ids=some, statuses=("new", "accepted")),
              geo.MapFilter(home.id, overdue_only=True, statuses=("new",)),
              geo.MapFilter(other.id), geo.MapFilter(home.id, village_ids=(ids[0],))):
        assert counts.serves(f)
        assert counts.villages(session, f).parsed() == geo.dispatch_villages(session, f).parsed()
        session.rollback()
        whole = geo.BBox(99.99, 9.99, 100.07, 10.02)
        for zoom in (12, 16):
            _same_cells(counts.grid_cells(session, f, whole, zoom).parsed(),
                        counts.grid_cells(session, f, whole, zoom, direct=True).parsed())
            session.rollback()

    # The worker's catch-up to now leaves every count as it reads.
    before = counts.villages(session, geo.MapFilter(home.id, overdue_only=True)).parsed()
    counts.catch_up(session)
    assert counts.villages(session, geo.MapFilter(home.id, overdue_only=True)).parsed() == before
    assert _kept(session)[0] == _expected(session)[0]


def _same_cells(kept, direct):
    def by_count(collection):
        return sorted((f["properties"]["count"], f["properties"]["new"],
                       *f["geometry"]["coordinates"]) for f in collection["features"])
    assert kept["capped"] == direct["capped"] is False
    assert [cell[:2] for cell in by_count(kept)] == [cell[:2] for cell in by_count(direct)]
    for a, b in zip(by_count(kept), by_count(direct), strict=True):
        assert a[2:] == pytest.approx(b[2:], abs=2e-6)


def test_dates_and_zooms_outside_the_pyramid_are_counted_from_the_cases(session, orgs):
    home, _other, _staff = orgs
    create_incident(session, Report(category_code="streetlight", lon=100.005, lat=10.005))
    session.commit()
    dated = geo.MapFilter(home.id, created_from=FIXED)
    assert not counts.serves(dated) and not counts.serves(geo.MapFilter(home.id), zoom=18)
    assert counts.dispatch_villages(session, dated).parsed() == \
        geo.dispatch_villages(session, dated).parsed()
    session.rollback()
    whole = geo.BBox(99.99, 9.99, 100.07, 10.02)
    assert counts.dispatch_grid(session, geo.MapFilter(home.id), whole, 18).parsed()["features"][0][
        "properties"]["count"] == 1
