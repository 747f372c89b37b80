"""Every endpoint the dispatcher's map polls or loads, signed in as the demo dispatcher, each
next to the same query run directly (geo.py or counts.py on a session of its own). Village
counts and grid cells are read from the open counts (sql/037); the direct counts they
replaced are measured beside them as "before"."""
import math
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from mapdash.demo.load import DEMO_PASSWORD
from mapdash.maps import counts, geo, tiles
from mapdash.models import Incident
from mapdash.office.orgs import find_organization

# A street-level view (about 500 x 500 m, zoom 17) around the main village's settlement.
STREET = geo.BBox(104.6215, 17.3495, 104.6262, 17.3540)


def run(ctx) -> None:
    client = ctx.app.test_client()
    client.post("/login", data={"email": "dispatcher@demo.mapdash.test", "password": DEMO_PASSWORD})
    engine = ctx.app.extensions["db_engine"]
    # A freshly seeded table has no visibility map yet; autovacuum gives a live one its
    # index-only scans, so measure that steady state.
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("VACUUM (ANALYZE) incidents, open_counts_villages, open_counts_cells")
    with Session(engine) as session:
        org = find_organization(session)
        assert org is not None  # the bench database holds the demo tambon
        everything = geo.MapFilter(org.id)
        overdue = geo.MapFilter(org.id, overdue_only=True)
        tambon = geo.BBox(*organization_extent(session, org.id))
        bbox = f"{tambon.west},{tambon.south},{tambon.east},{tambon.north}"
        street = f"{STREET.west},{STREET.south},{STREET.east},{STREET.north}"
        since = (datetime.now(UTC) - timedelta(seconds=3)).isoformat()
        case_id = session.scalar(select(Incident.id).where(Incident.is_open).limit(1))

        def same(fn, *args, **options):
            def direct():
                fn(session, *args, **options)
                session.rollback()  # SET LOCAL and all: one transaction per call, as a request
            return direct

        # The overdue counts as the worker leaves them: caught up within the last minute.
        counts.catch_up(session)
        ctx.measure("before: village counts counted from the cases (SQL only)",
                    same(geo.dispatch_villages, everything))
        ctx.measure("GET /api/dispatch/villages.geojson (open counts)",
                    lambda: _ok(client.get("/api/dispatch/villages.geojson")),
                    sql=same(counts.villages, everything), floor_ms=20)
        ctx.measure("before: village counts, overdue, from the cases (SQL only)",
                    same(geo.dispatch_villages, overdue))
        ctx.measure("GET /api/dispatch/villages.geojson?overdue=1",
                    lambda: _ok(client.get("/api/dispatch/villages.geojson?overdue=1")),
                    sql=same(counts.villages, overdue), floor_ms=20)
        ctx.measure("GET /api/dispatch/cases.geojson street level (z17)",
                    lambda: _ok(client.get(f"/api/dispatch/cases.geojson?bbox={street}")),
                    sql=same(geo.open_cases, everything, STREET), floor_ms=50)
        ctx.measure("GET /api/dispatch/cases.geojson street level, overdue",
                    lambda: _ok(client.get(f"/api/dispatch/cases.geojson?bbox={street}&overdue=1")),
                    sql=same(geo.open_cases, overdue, STREET), floor_ms=50)
        ctx.measure("GET /api/dispatch/cases.geojson whole tambon (list, 500)",
                    lambda: _ok(client.get(f"/api/dispatch/cases.geojson?bbox={bbox}")),
                    sql=same(geo.open_cases, everything, tambon), floor_ms=100)
        ctx.measure("GET /api/dispatch/cases.geojson whole tambon, overdue",
                    lambda: _ok(client.get(f"/api/dispatch/cases.geojson?bbox={bbox}&overdue=1")),
                    sql=same(geo.open_cases, overdue, tambon), floor_ms=100)
        ctx.measure("before: grid cells whole tambon (z14) from the cases (SQL only)",
                    same(counts.grid_cells, everything, tambon, 14, direct=True))
        ctx.measure("GET /api/dispatch/grid.geojson whole tambon (z14 cells)",
                    lambda: _ok(client.get(f"/api/dispatch/grid.geojson?bbox={bbox}&zoom=14")),
                    sql=same(counts.grid_cells, everything, tambon, 14, geo.GRID_CELL_LIMIT),
                    floor_ms=50)
        ctx.measure("GET /api/dispatch/grid.geojson whole tambon, overdue (z14)",
                    lambda: _ok(client.get(
                        f"/api/dispatch/grid.geojson?bbox={bbox}&zoom=14&overdue=1")),
                    sql=same(counts.grid_cells, overdue, tambon, 14, geo.GRID_CELL_LIMIT),
                    floor_ms=50)
        z, x, y = tile_of((STREET.west + STREET.east) / 2, (STREET.south + STREET.north) / 2, 14)
        ctx.measure("GET /api/dispatch/tiles/14/x/y.mvt (settlement, cells)",
                    lambda: _ok(client.get(f"/api/dispatch/tiles/{z}/{x}/{y}.mvt")),
                    sql=same(tiles.dispatch_tile, everything, z, x, y), floor_ms=50)
        z, x, y = tile_of((STREET.west + STREET.east) / 2, (STREET.south + STREET.north) / 2, 17)
        ctx.measure("GET /api/dispatch/tiles/17/x/y.mvt (street, cases)",
                    lambda: _ok(client.get(f"/api/dispatch/tiles/{z}/{x}/{y}.mvt")),
                    sql=same(tiles.dispatch_tile, everything, z, x, y), floor_ms=50)
        ctx.measure("GET /api/dispatch/changes (every 3 s per screen)",
                    lambda: _ok(client.get("/api/dispatch/changes", query_string={"since": since})),
                    sql=same(geo.changes, everything, datetime.fromisoformat(since)))
        ctx.measure("GET /dispatch/cases/<id> (the case panel)",
                    lambda: _ok(client.get(f"/dispatch/cases/{case_id}")))


def _ok(response):
    if response.status_code != 200:
        raise RuntimeError(f"{response.status_code}: {response.get_data(as_text=True)[:200]}")


def tile_of(lon: float, lat: float, z: int) -> tuple[int, int, int]:
    n = 2 ** z
    return z, int((lon + 180) / 360 * n), int(
        (1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)


def organization_extent(session, organization_id: int) -> tuple[float, float, float, float]:
    return session.execute(text("""
        SELECT ST_XMin(b), ST_YMin(b), ST_XMax(b), ST_YMax(b)
        FROM (SELECT boundary::box2d AS b FROM organizations WHERE id = :org) s"""),
        {"org": organization_id}).one()
