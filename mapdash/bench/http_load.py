"""`make bench-http`: the production server setup under a bounded load, tipg beside it.

python -m mapdash.bench.http_load [--cases N] [--layout single|national] [--connections 16]
    [--seconds 10] [--streams 2000] [--port P] [--tipg-port P] [--no-tipg]

Builds the bench database (bench/database.py: the demo tambon plus BENCH_CASES synthetic
cases, default 100,000, in BENCH_LAYOUT), starts gunicorn as the Dockerfile runs it
(live_streams.start_server: gthread, 2 processes), signs a dispatcher in once through the
login form and loads, one after the other, each map endpoint the dispatcher's screen reads
with the bounded load generator (bench/loadgen.py: a fixed number of keep-alive connections
for a fixed time, gzip accepted as a browser does). Beside it, tipg (the pip package, in
an environment of its own under var/bench-tipg, never the project's) serves a view of the
same organization's open cases from the same database, asked for the same viewport and the
same tiles, alternately with mapdash so that both meet the same machine. Then the 2,000
live streams of `make bench-live` on the same server (--streams 0 leaves them out).
Prints req/s, p50 and p95 per endpoint and mapdash's req/s over tipg's. Not a test: the
figures depend on the machine (docs/scaling.md has this machine's, with its load)."""
import argparse
import asyncio
import gzip
import json
import os
import shutil
import subprocess
import sys
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.orm import Session

from mapdash.bench import load_average
from mapdash.bench.bench_dispatch import STREET, organization_extent, tile_of
from mapdash.bench.database import LAYOUTS, BenchDatabase, bench_database, seeded_line
from mapdash.bench.live_streams import (
    allow_open_files,
    answering,
    create_dispatcher,
    free_port,
    measure_streams,
    sign_in,
    start_server,
    stop_server,
)
from mapdash.bench.loadgen import LoadResult, run_load
from mapdash.config import VAR_DIR

TIPG_VENV = VAR_DIR / "bench-tipg"
TIPG_PACKAGES = ("tipg>=1.0", "uvicorn>=0.30")
VIEW = "bench_open_cases"
COLLECTION = f"public.{VIEW}"
TARGET_RATIO = 10.0
ACCEPT = {"Accept-Encoding": "gzip, deflate, br"}  # as a browser asks

# The dispatcher's list and markers as mapdash's viewport sends them (geo.open_cases),
# one row per open case of the dispatcher's organization (the demo, the first); tipg
# filters it by bbox and pages it.
VIEW_SQL = """
    CREATE OR REPLACE VIEW bench_open_cases AS
    SELECT i.id, i.tracking_code AS code, i.status, c.code AS category,
           c.name_th AS category_th, c.name_en AS category_en, c.icon, c.color, c.emergency,
           v.number AS village, v.name_th AS village_th, d.code AS department,
           u.display_name AS assignee, left(i.description, 120) AS summary,
           i.followers_count AS followers, i.created_at, i.due_at, i.priority, i.channel,
           i.location
    FROM incidents i
    JOIN categories c ON c.id = i.category_id
    JOIN departments d ON d.id = i.department_id
    LEFT JOIN villages v ON v.id = i.village_id
    LEFT JOIN users u ON u.id = i.assigned_to
    WHERE i.is_open AND i.location IS NOT NULL
      AND i.organization_id = (SELECT min(id) FROM organizations)"""


@dataclass
class Row:
    name: str
    server: str
    result: LoadResult
    features: str  # what one answer held, as checked before the load
    load: str  # the machine's 1-minute load average just after


def ensure_tipg(venv: Path = TIPG_VENV) -> str:
    """tipg in its own virtual environment (made once, kept for the next run); its version."""
    python = venv / "bin" / "python"
    probe = [str(python), "-c", "import tipg, uvicorn; print(tipg.__version__)"]
    if not python.exists() or subprocess.run(probe, capture_output=True).returncode != 0:
        print(f"installing {', '.join(TIPG_PACKAGES)} into {venv} (an environment of its own)",
              flush=True)
        shutil.rmtree(venv, ignore_errors=True)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "--quiet",
                        "--disable-pip-version-check", *TIPG_PACKAGES], check=True)
    return subprocess.run(probe, capture_output=True, text=True, check=True).stdout.strip()


def start_tipg(venv: Path, socket_dir: Path, port: int, root: Path,
               workers: int) -> subprocess.Popen:
    """uvicorn serving tipg.main:app with as many processes as gunicorn has, showing only
    the view; answering once this returns."""
    url = f"postgresql://postgres@{urllib.parse.quote(str(socket_dir), safe='')}/bench"
    env = {**os.environ, "DATABASE_URL": url, "TIPG_DB_SCHEMAS": '["public"]',
           "TIPG_DB_TABLES": json.dumps([COLLECTION]), "TIPG_DB_FUNCTIONS": "[]",
           "TIPG_MAX_FEATURES_PER_QUERY": "10000"}
    command = [str(venv / "bin" / "uvicorn"), "tipg.main:app", "--host", "127.0.0.1",
               "--port", str(port), "--workers", str(workers), "--log-level", "warning",
               "--no-access-log"]
    print(" ".join(command[1:]))
    # cwd: no stray .env read; a session of its own, for stop_server
    server = subprocess.Popen(command, env=env, cwd=root, start_new_session=True)
    return answering(server, f"http://127.0.0.1:{port}/collections/{COLLECTION}", "tipg", 120)


def _get(url: str, headers: dict[str, str]) -> bytes:
    """One answer, uncompressed (an error status raises)."""
    request = urllib.request.Request(url, headers={**headers, "Accept-Encoding": "gzip"})
    with urllib.request.urlopen(request, timeout=60) as answer:
        sent = answer.read()
        return gzip.decompress(sent) if answer.headers.get("Content-Encoding") == "gzip" else sent


def _describe(body: bytes, kind: str) -> str:
    if kind == "mvt":
        return f"tile {len(body) / 1024:.1f} KB"
    if kind == "text":
        return f"{len(body)} bytes"
    collection = json.loads(body)
    return f"{len(collection['features'])} ft {len(body) / 1024:.0f} KB"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=int(os.environ.get("BENCH_CASES", 100_000)))
    parser.add_argument("--layout", choices=LAYOUTS, default=os.environ.get("BENCH_LAYOUT", "single"))
    parser.add_argument("--connections", type=int, default=16,
                        help="keep-alive connections of the load generator (at most 256)")
    parser.add_argument("--seconds", type=float, default=10.0,
                        help="measured seconds per endpoint (at most 120), after 1 s of warm-up")
    parser.add_argument("--processes", type=int, default=2, help="load generator processes")
    parser.add_argument("--streams", type=int, default=2000,
                        help="live streams opened after the loads (0: none; `make bench-live`)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=1100)
    parser.add_argument("--port", type=int, default=int(os.environ.get("BENCH_PORT", 0)) or None)
    parser.add_argument("--tipg-port", type=int,
                        default=int(os.environ.get("BENCH_TIPG_PORT", 0)) or None)
    parser.add_argument("--no-tipg", action="store_true", help="mapdash alone")
    args = parser.parse_args()
    allow_open_files(max(args.streams, 1000))

    tipg_version = None if args.no_tipg else ensure_tipg()
    print(f"load average before: {load_average()} (1, 5, 15 min)")
    with bench_database("mapdash-bench-http-", args.cases, args.layout) as bench:
        print(seeded_line(bench, args.cases, args.layout))
        return _measure(bench, args, tipg_version)


def _measure(bench: BenchDatabase, args: argparse.Namespace, tipg_version: str | None) -> int:
    server = tipg = None
    tipg_base, tipg_port = "", 0
    root = bench.root
    try:
        with bench.app.app_context(), Session(bench.app.extensions["db_engine"]) as session:
            create_dispatcher(session)
            org_id = session.execute(text("SELECT min(id) FROM organizations")).scalar_one()
            session.execute(text(VIEW_SQL))
            tambon = organization_extent(session, org_id)
            open_cases = session.execute(text("SELECT count(*) FROM bench_open_cases")).scalar_one()
            session.commit()
        print(f"the dispatcher's organization: {open_cases:,} open cases on the map")
        port = args.port or free_port()
        server = start_server(bench.url, root, port, workers=args.workers, threads=args.threads)
        base = f"http://127.0.0.1:{port}"
        cookie = {"Cookie": sign_in(base)}
        if tipg_version:
            tipg_port = args.tipg_port or free_port()
            tipg = start_tipg(TIPG_VENV, bench.cluster.socket_dir, tipg_port, root, args.workers)
            tipg_base = f"http://127.0.0.1:{tipg_port}/collections/{COLLECTION}"

        bbox = ",".join(f"{value:.6f}" for value in tambon)
        street = tile_of((STREET.west + STREET.east) / 2, (STREET.south + STREET.north) / 2, 17)
        settlement = tile_of((STREET.west + STREET.east) / 2, (STREET.south + STREET.north) / 2, 14)
        plan = [  # name, server, url, headers, kind
            ("/healthz (no database: the floor)", "mapdash", f"{base}/healthz", {}, "text"),
            ("/healthz (no database: the floor)", "tipg",
             f"http://127.0.0.1:{tipg_port}/healthz" if tipg_base else None, {}, "text"),
            ("viewport, whole tambon, limit 500", "mapdash",
             f"{base}/api/dispatch/cases.geojson?bbox={bbox}", cookie, "geojson"),
            ("viewport, whole tambon, limit 500", "tipg",
             f"{tipg_base}/items?bbox={bbox}&limit=500" if tipg_base else None, {}, "geojson"),
            ("tile z17 (street)", "mapdash",
             f"{base}/api/dispatch/tiles/{'/'.join(map(str, street))}.mvt", cookie, "mvt"),
            ("tile z17 (street)", "tipg",
             f"{tipg_base}/tiles/WebMercatorQuad/{'/'.join(map(str, street))}" if tipg_base else None,
             {}, "mvt"),
            ("tile z14 (settlement)", "mapdash",
             f"{base}/api/dispatch/tiles/{'/'.join(map(str, settlement))}.mvt", cookie, "mvt"),
            ("tile z14 (settlement)", "tipg",
             f"{tipg_base}/tiles/WebMercatorQuad/{'/'.join(map(str, settlement))}" if tipg_base
             else None, {}, "mvt"),
            ("grid, whole tambon, z14 cells", "mapdash",
             f"{base}/api/dispatch/grid.geojson?bbox={bbox}&zoom=14", cookie, "geojson"),
        ]
        rows = []
        print(f"\n{args.connections} connections, {args.seconds:g} s each after 1 s of warm-up")
        for name, who, url, headers, kind in plan:
            if url is None:
                continue
            body = _get(url, headers)
            features = _describe(body, kind)
            result = run_load(url, headers={**headers, **ACCEPT}, connections=args.connections,
                              seconds=args.seconds, processes=args.processes)
            rows.append(Row(name, who, result, features, load_average().split()[0]))
            print(f"  {name}, {who}: {features} uncompressed; {result.rps:,.0f} req/s "
                  f"(load average {load_average()})", flush=True)

        streams = None
        if args.streams:
            print(f"\n{args.streams:,} live streams on the same server (as `make bench-live`)")
            streams = asyncio.run(measure_streams(
                bench.app, port, cookie["Cookie"], server.pid, clients=args.streams, cases=5,
                gap=2.0))
        print(f"\nload average after: {load_average()}")
        _print_table(rows, streams, args, tipg_version)
        return 0
    finally:
        for process in (tipg, server):
            if process is not None:
                stop_server(process)


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def _print_table(rows: list[Row], streams: dict | None, args, tipg_version: str | None) -> None:
    print(f"\nmake bench-http: {args.cases:,} cases ({args.layout}), gunicorn gthread "
          f"{args.workers} x {args.threads}" + (f", tipg {tipg_version} under uvicorn "
                                                f"{args.workers} workers" if tipg_version else ""))
    print("answer: one answer's features and size uncompressed; KB sent: as sent (gzip); "
          "load: the machine's 1-minute load average after the row (2 cores)")
    print(f"{'endpoint':<34} {'server':<8} {'req/s':>7} {'p50 ms':>8} {'p95 ms':>8} "
          f"{'errors':>6} {'answer':>15} {'KB sent':>8} {'load':>6}")
    for row in rows:
        r = row.result
        print(f"{row.name:<34} {row.server:<8} {r.rps:>7,.0f} {_ms(r.p(50)):>8} "
              f"{_ms(r.p(95)):>8} {r.errors:>6} {row.features:>15} {r.mean_bytes / 1024:>8.1f} "
              f"{row.load:>6}")
        if r.first_error:
            print(f"  first error: {r.first_error}")
    if streams:
        print(f"{streams['clients']:,} live streams (SSE): {streams['opened']:,} opened, "
              f"{streams['dropped']} failed or dropped; new-case delay p50 "
              f"{streams['p50_ms']:.0f} ms, p95 {streams['p95_ms']:.0f} ms, "
              f"max {streams['max_ms']:.0f} ms over {streams['deliveries']:,} deliveries")
    else:
        print("live streams: not run here (--streams 0); `make bench-live` runs 2,000")
    by = {(row.name, row.server): row.result for row in rows}
    for name in dict.fromkeys(row.name for row in rows):
        ours, theirs = by.get((name, "mapdash")), by.get((name, "tipg"))
        if ours and theirs and theirs.rps:
            ratio = ours.rps / theirs.rps
            target = ""
            if name.startswith("viewport"):
                target = f" (target ≥ {TARGET_RATIO:g}x: {'ok' if ratio >= TARGET_RATIO else 'UNDER'})"
            print(f"mapdash / tipg req/s, {name}: {ratio:.1f}x{target}")


if __name__ == "__main__":
    sys.exit(main())
