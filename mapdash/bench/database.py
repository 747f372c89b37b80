"""The throwaway bench database: a private PostGIS cluster holding the demo tambon plus
many synthetic cases, in one of two layouts (BENCH_LAYOUT):

- single: every case in the demo organization, the worst case for one office's map;
- national: the cases spread over many organizations of 13 villages each (copies of the
  demo tambon side by side, synthetic.add_national_organizations), as the country's 7,850
  local administrations hold 10M cases. Smaller runs keep the country's cases per
  organization (10M / 7,850, about 1,274) and so have fewer organizations:
  max(1, round(7,850 x cases / 10M)), at most 7,850. The benches read the demo
  organization, then one of many.

BENCH_DATA=folder keeps the seeded cluster there (under var/, say) for the next run with the
same size and layout, of `make bench` or `make bench-http`: seeding 10M cases takes most of an
hour. The benches that write (intake, crew closing) add a few thousand cases to it."""
import json
import math
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from flask import Flask
from sqlalchemy import text
from sqlalchemy.orm import Session

if TYPE_CHECKING:
    from mapdash.localdb import LocalCluster

LAYOUTS = ("single", "national")
SEEDED = "seeded.json"  # in a kept folder: what it holds
NATIONAL_ORGANIZATIONS = 7_850
NATIONAL_CASES = 10_000_000


def organizations_for(layout: str, cases: int) -> int:
    """How many organizations hold the cases in this layout (the demo one included)."""
    if layout == "single":
        return 1
    return max(1, min(NATIONAL_ORGANIZATIONS,
                      math.floor(NATIONAL_ORGANIZATIONS * cases / NATIONAL_CASES + 0.5)))


@dataclass
class BenchDatabase:
    root: Path
    cluster: "LocalCluster"
    url: str
    app: Flask
    organizations: int
    seed_seconds: float
    reused: bool = False


@contextmanager
def bench_database(prefix: str, cases: int, layout: str = "single",
                   **config) -> Iterator[BenchDatabase]:
    """The built database, in BENCH_DATA's folder or a temporary one; stopped afterwards."""
    with _folder(prefix) as root:
        bench = build(root, cases, layout, **config)
        try:
            yield bench
        finally:
            bench.app.extensions["db_engine"].dispose()
            bench.cluster.stop()


def seeded_line(bench: BenchDatabase, cases: int, layout: str) -> str:
    organizations = f"{bench.organizations:,} organization{'s' if bench.organizations > 1 else ''}"
    how = f"kept in {bench.root}, seeded earlier" if bench.reused else "seeded"
    return (f"{cases:,} synthetic cases ({layout} layout, {organizations}), "
            f"{how} in {bench.seed_seconds:.0f} s")


@contextmanager
def _folder(prefix: str) -> Iterator[Path]:
    """BENCH_DATA's folder, kept; or a temporary one, removed afterwards."""
    kept = os.environ.get("BENCH_DATA")
    if kept:
        folder = Path(kept).resolve()
        folder.mkdir(parents=True, exist_ok=True)
        folder.chmod(0o755)
        yield folder
        return
    folder = Path(tempfile.mkdtemp(prefix=prefix))
    folder.chmod(0o755)
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def build(root: Path, cases: int, layout: str = "single", **config) -> BenchDatabase:
    """Start a cluster under `root`, migrate, load the demo and `cases` synthetic cases, and
    vacuum as autovacuum leaves a table after a bulk load (the visibility map set, so the
    planner costs index-only scans as they run in service). The caller stops the cluster."""
    from mapdash.localdb import LocalCluster

    if layout not in LAYOUTS:
        raise ValueError(f"BENCH_LAYOUT is one of {', '.join(LAYOUTS)}, not {layout!r}")
    cluster = LocalCluster(root / "pg", durable=False)
    cluster.start()
    try:
        return _fill(cluster, root, cases, layout, config)
    except BaseException:
        cluster.stop()
        raise


def _fill(cluster: "LocalCluster", root: Path, cases: int, layout: str, config: dict) -> BenchDatabase:
    from mapdash import create_app, db
    from mapdash.demo.load import load_demo
    from mapdash.demo.synthetic import add_national_organizations, seed_synthetic
    from mapdash.office.orgs import find_organization

    cluster.ensure_database("bench")
    url = cluster.url("bench")
    db.upgrade(url)
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "ENV": "development",
                      "PHOTO_DIR": str(root / "photos"), "DOCUMENT_DIR": str(root / "documents"),
                      "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False, **config})
    organizations = organizations_for(layout, cases)
    marker = root / SEEDED
    if marker.exists():
        seeded = json.loads(marker.read_text())
        if (seeded["cases"], seeded["layout"]) != (cases, layout):
            raise ValueError(f"{root} holds {seeded['cases']:,} cases in the {seeded['layout']} "
                              f"layout, not {cases:,} in the {layout} one: another BENCH_DATA")
        return BenchDatabase(root, cluster, url, app, organizations, seeded["seed_seconds"],
                             reused=True)
    start = time.perf_counter()
    # The demo's registrations store their documents under the app's DOCUMENT_DIR.
    with app.app_context(), Session(app.extensions["db_engine"]) as session:
        load_demo(session)
        demo = find_organization(session)
        assert demo is not None
        ids = [demo.id, *add_national_organizations(session, organizations - 1, demo.id)]
        if cases:
            # Built once after the load, not row by row: a GiST, a trigram GIN and twenty
            # b-trees cost more row by row than the rows themselves.
            indexes = _drop_indexes(session, "incidents")
            seed_synthetic(session, cases, organization_ids=ids)
            session.execute(text("SET LOCAL maintenance_work_mem = '512MB'"))
            for definition in indexes:
                session.execute(text(definition))
        session.commit()
    with app.extensions["db_engine"].connect().execution_options(
            isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM (ANALYZE) incidents, villages, organizations"))
    seconds = time.perf_counter() - start
    marker.write_text(json.dumps({"cases": cases, "layout": layout, "seed_seconds": seconds}))
    return BenchDatabase(root, cluster, url, app, organizations, seconds)


def _drop_indexes(session: Session, table: str) -> list[str]:
    """Drop `table`'s indexes that no constraint owns (a unique key stays, ON CONFLICT needs
    it); their definitions, to create them again."""
    found = session.execute(text("""
        SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
        FROM pg_index i
        WHERE i.indrelid = CAST(:table AS regclass)
          AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)"""),
        {"table": table}).all()
    for name, _definition in found:
        session.execute(text(f"DROP INDEX {name}"))  # noqa: S608 (names from the catalogue)
    return [definition for _name, definition in found]
