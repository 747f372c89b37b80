"""`make bench-intake-http`: reports per second through the production server setup.

python -m mapdash.bench.intake_http [--seconds 10] [--clients 32] [--processes 2]
                                    [--configs 2x8,4x4] [--photos 20]

Starts a throwaway PostGIS that commits as a production one does (fsync and synchronous
commit on) with the demo tambon, then gunicorn as the Dockerfile runs it (gthread) for each
WORKERSxTHREADS of --configs, and a bounded load generator (asyncio over raw sockets, in
--processes processes, --clients keep-alive connections in all, each sending its next
request when the last is answered) that sends, for --seconds each:
- Open311 POST /open311/v2/requests.json, one app's API key, a new form each time;
- the web form POST /report/<code> without photos (multipart, with its CSRF token), each
  from another citizen's address (X-Forwarded-For, behind one proxy as in production);
- while the web form's load runs, --photos reports with a 12-megapixel phone photo, one at a
  time on a connection of their own: the photo's cost on the request path under load.
The rate limits stay on (their counters cost statements), with limits no bench reaches.
Next to them, the bare SQL: the case's INSERT alone, committed, from --clients threads, and
the same from pgbench (a C client: the database's own rate, with the table's triggers).
Prints requests/s, p50 and p95 per line, errors, and the load average of the machine before
and after each run. Not a test: the figures depend on the machine and what else runs on it.
"""
import argparse
import asyncio
import io
import itertools
import multiprocessing
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.orm import Session

from mapdash import db
from mapdash.bench import load_average, percentile
from mapdash.bench.live_streams import free_port, start_server, stop_server

CATEGORY = "streetlight"
PIN = (104.6213, 17.3512)  # village 1 of the demo tambon (bench_intake.PIN)
NO_LIMIT = str(10**9)


@dataclass
class Target:
    """What every load-generating process needs to send requests."""
    port: int
    kind: str            # "open311" or "web"
    api_key: str = ""
    cookie: str = ""
    csrf_token: str = ""


@dataclass
class Result:
    latencies_ms: list[float] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=dict)


def _place(rng: random.Random) -> tuple[str, str]:
    """A pin within ~100 m of PIN, inside the same village."""
    return f"{PIN[0] + rng.uniform(-0.0008, 0.0008):.6f}", f"{PIN[1] + rng.uniform(-0.0008, 0.0008):.6f}"


def _multipart(fields: dict[str, str], files: dict[str, tuple[str, bytes]] | None = None
               ) -> tuple[str, bytes]:
    boundary = f"----mapdashbench{random.getrandbits(64):016x}"
    out = io.BytesIO()
    for name, value in fields.items():
        out.write(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
                  .encode() + value.encode() + b"\r\n")
    for name, (filename, content) in (files or {}).items():
        out.write(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
                  f'filename="{filename}"\r\nContent-Type: image/jpeg\r\n\r\n'.encode()
                  + content + b"\r\n")
    out.write(f"--{boundary}--\r\n".encode())
    return f"multipart/form-data; boundary={boundary}", out.getvalue()


def _request(target: Target, number: int, rng: random.Random) -> tuple[bytes, bytes]:
    """(the request's bytes, the status it should get)."""
    lon, lat = _place(rng)
    description = f"ไฟดับหน้าวัด (bench {os.getpid()}-{number})"
    if target.kind == "open311":
        body = urllib.parse.urlencode({
            "api_key": target.api_key, "service_code": CATEGORY, "lat": lat, "long": lon,
            "description": description}).encode()
        head = ("POST /open311/v2/requests.json HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                "Content-Type: application/x-www-form-urlencoded\r\n")
        expected = b"200"
    else:
        content_type, body = _multipart({
            "csrf_token": target.csrf_token, "lat": lat, "lon": lon, "description": description,
            "idempotency_key": f"bench{os.getpid()}x{number:012d}x{rng.getrandbits(32):08x}"})
        address = f"10.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"
        head = (f"POST /report/{CATEGORY} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                f"Content-Type: {content_type}\r\nCookie: {target.cookie}\r\n"
                f"X-Forwarded-For: {address}\r\n")
        expected = b"303"
    return head.encode() + f"Content-Length: {len(body)}\r\n\r\n".encode() + body, expected


async def _read_response(reader: asyncio.StreamReader) -> bytes:
    """The status code; the rest of the response is read and dropped."""
    status_line = await reader.readline()
    if not status_line:
        raise ConnectionError("connection closed")
    length, close = 0, False
    while True:
        line = await reader.readline()
        if line in (b"\r\n", b"\n", b""):
            break
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
        elif name.strip().lower() == b"connection" and value.strip().lower() == b"close":
            close = True
    if length:
        await reader.readexactly(length)
    if close:
        raise ConnectionResetError("server closed the connection")  # reopened by the caller
    return status_line.split(b" ", 2)[1]


async def _connection(target: Target, deadline: float, result: Result, seed: int) -> None:
    rng = random.Random(seed)
    reader = writer = None
    for number in itertools.count():
        if time.perf_counter() >= deadline:
            break
        payload, expected = _request(target, number, rng)
        start = time.perf_counter()
        try:
            if writer is None:
                reader, writer = await asyncio.open_connection("127.0.0.1", target.port)
            writer.write(payload)
            await writer.drain()
            assert reader is not None
            status = await _read_response(reader)
        except ConnectionResetError:
            writer = None  # the answer came; its connection ends: reopen for the next
            status = expected
        except (OSError, asyncio.IncompleteReadError, ConnectionError) as error:
            result.errors[type(error).__name__] = result.errors.get(type(error).__name__, 0) + 1
            writer = None
            continue
        if status != expected:
            result.errors[status.decode()] = result.errors.get(status.decode(), 0) + 1
        else:
            result.latencies_ms.append((time.perf_counter() - start) * 1000)
    if writer is not None:
        writer.close()


def _generate(target: Target, connections: int, seconds: float, start_at: float, seed: int,
              out) -> None:
    """One load-generating process: `connections` connections until the deadline."""
    async def main():
        await asyncio.sleep(max(0.0, start_at - time.time()))
        deadline = time.perf_counter() + seconds
        result = Result()
        await asyncio.gather(*(_connection(target, deadline, result, seed * 1000 + n)
                               for n in range(connections)))
        return result
    result = asyncio.run(main())
    out.put((result.latencies_ms, result.errors))


def run_load(target: Target, clients: int, processes: int, seconds: float) -> Result:
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    start_at = time.time() + 1.0
    shares = [clients // processes + (1 if n < clients % processes else 0) for n in range(processes)]
    workers = [context.Process(target=_generate, args=(target, share, seconds, start_at, n, queue))
               for n, share in enumerate(shares) if share]
    for worker in workers:
        worker.start()
    total = Result()
    for _ in workers:
        latencies, errors = queue.get(timeout=seconds + 120)
        total.latencies_ms += latencies
        for name, count in errors.items():
            total.errors[name] = total.errors.get(name, 0) + count
    for worker in workers:
        worker.join()
    return total


def _row(name: str, samples: list[float], seconds: float, errors: dict | None = None) -> str:
    rate = len(samples) / seconds if seconds else 0
    failed = sum((errors or {}).values())
    failures = f"  errors {failed}: {errors}" if failed else ""
    return (f"{name:<44} {len(samples):>7,} {rate:>8.0f}/s  p50 {percentile(samples, 50):7.1f} ms"
            f"  p95 {percentile(samples, 95):7.1f} ms{failures}")


def _form_session(port: int) -> tuple[str, str]:
    """(the session cookie, its CSRF token) of the report form, as a browser has them."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/report/{CATEGORY}") as page:
        cookie = "; ".join(value.split(";")[0] for value in page.headers.get_all("Set-Cookie") or ())
        found = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.read().decode())
    assert found, "no CSRF token on the report form"
    return cookie, found.group(1)


def _photo_reports(port: int, count: int, seconds: float, photo: bytes, out: list[float],
                   errors: list[str]) -> None:
    """Up to `count` web reports with one 12-megapixel photo, one after another, for at most
    `seconds` (while the load runs)."""
    import http.client
    cookie, token = _form_session(port)
    rng = random.Random(7)
    time.sleep(1.0)  # the load starts a second after it is asked for (run_load)
    deadline = time.perf_counter() + seconds
    for number in range(count):
        if time.perf_counter() >= deadline:
            break
        lon, lat = _place(rng)
        content_type, body = _multipart(
            {"csrf_token": token, "lat": lat, "lon": lon, "description": "ไฟดับ มีรูป",
             "idempotency_key": f"benchphoto{number:08d}{rng.getrandbits(32):08x}"},
            {"photos": ("IMG_0001.jpg", photo)})
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        start = time.perf_counter()
        connection.request("POST", f"/report/{CATEGORY}", body, {
            "Content-Type": content_type, "Cookie": cookie,
            "X-Forwarded-For": f"192.0.2.{number % 250 + 1}"})
        response = connection.getresponse()
        response.read()
        if response.status == 303:
            out.append((time.perf_counter() - start) * 1000)
        else:
            errors.append(str(response.status))
        connection.close()


def bare_inserts(url: str, clients: int, seconds: float, ids: dict) -> tuple[list[float], float]:
    """The case's INSERT alone, each committed, from `clients` threads: what the database
    takes without the app."""
    import psycopg

    from mapdash.cases.intake import new_tracking_code
    latencies: list[float] = []
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds
    dsn = db.libpq_url(url)

    def work(number: int) -> None:
        rng = random.Random(number)
        mine = []
        with psycopg.connect(dsn, autocommit=True) as conn:
            while True:
                if time.perf_counter() >= deadline:
                    break
                lon, lat = _place(rng)
                start = time.perf_counter()
                conn.execute("""
                    INSERT INTO incidents (tracking_code, organization_id, category_id,
                        village_id, department_id, status, location, description, channel,
                        time_limits_id)
                    VALUES (%s, %s, %s, %s, %s, 'new',
                            ST_SetSRID(ST_MakePoint(%s, %s), 4326), %s, 'web', %s)""",
                    (new_tracking_code(), ids["org"], ids["category"], ids["village"],
                     ids["department"], float(lon), float(lat), "bare insert", ids["limits"]))
                mine.append((time.perf_counter() - start) * 1000)
        with lock:
            latencies.extend(mine)

    started = time.perf_counter()
    threads = [threading.Thread(target=work, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies, time.perf_counter() - started


def pgbench_inserts(cluster, root: Path, clients: int, seconds: float, ids: dict) -> str:
    """The case's INSERT from pgbench (PostgreSQL's own C client, installed with the server):
    the database's rate with no Python in the way, every trigger of the table included."""
    script = root / "insert_case.sql"
    # The ids and the pin go in as pgbench's variables (-D), the script stays constant.
    script.write_text("""\\set dx random(-800, 800)
\\set dy random(-800, 800)
INSERT INTO incidents (tracking_code, organization_id, category_id, village_id, department_id,
                       status, location, description, channel, time_limits_id)
VALUES ('PGB-' || nextval('incidents_id_seq'), :org, :category, :village, :department, 'new',
        ST_SetSRID(ST_MakePoint(:lon + :dx / 1e6, :lat + :dy / 1e6), 4326),
        'pgbench insert', 'web', :limits);
""")
    script.chmod(0o644)
    variables = {**{key: ids[key] for key in ("org", "category", "village", "department", "limits")},
                 "lon": PIN[0], "lat": PIN[1]}
    done = subprocess.run(cluster._command(
        "pgbench", "-n", "-c", str(clients), "-j", "2", "-T", str(max(1, round(seconds))),
        "-f", str(script), "-h", str(cluster.socket_dir), "-U", "postgres",
        *(f"-D{name}={value}" for name, value in variables.items()), "bench"),
        capture_output=True, text=True)
    figures = dict(re.findall(r"^(tps|latency average) = ([\d.]+)", done.stdout, re.M))
    if done.returncode or "tps" not in figures:
        return f"pgbench failed: {done.stderr.strip()[-300:]}"
    return (f"{'bare SQL INSERT of a case, pgbench (' + str(clients) + ' conns)':<44} "
            f"{float(figures['tps']):>9,.0f}/s  mean {float(figures['latency average']):7.1f} ms")


def _configs(value: str) -> list[tuple[int, int]]:
    found = re.fullmatch(r"\d+x\d+(,\d+x\d+)*", value.strip())
    if not found:
        raise argparse.ArgumentTypeError("WORKERSxTHREADS[,WORKERSxTHREADS...], e.g. 2x8,4x4")
    return [(int(w), int(t)) for w, t in (part.split("x") for part in value.split(","))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--configs", type=_configs, default=_configs("2x8"),
                        help="gunicorn WORKERSxTHREADS to try, e.g. 2x8,4x4")
    parser.add_argument("--photos", type=int, default=20,
                        help="12-megapixel photo reports sent during the web form's load")
    parser.add_argument("--warmup", type=float, default=3.0,
                        help="seconds of each load, not counted, before it is measured")
    parser.add_argument("--no-flush", action="store_true",
                        help="PostgreSQL without fsync: what the app alone can do")
    args = parser.parse_args()

    from mapdash import create_app
    from mapdash.bench.bench_intake import twelve_megapixel_jpeg
    from mapdash.demo.load import load_demo
    from mapdash.localdb import LocalCluster
    from mapdash.office import apikeys
    from mapdash.office.orgs import find_organization

    root = Path(tempfile.mkdtemp(prefix="mapdash-bench-intake-"))
    root.chmod(0o755)
    # Commits reach the disk, as in production, unless --no-flush.
    cluster = LocalCluster(root / "pg", durable=not args.no_flush)
    try:
        cluster.start()
        cluster.ensure_database("bench")
        url = cluster.url("bench")
        db.upgrade(url)
        app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "ENV": "development",
                          "PHOTO_DIR": str(root / "photos"), "DOCUMENT_DIR": str(root / "documents")})
        with app.app_context(), Session(app.extensions["db_engine"]) as session:
            load_demo(session)
            org = find_organization(session)
            assert org is not None
            _row_, api_key = apikeys.create_key(session, "bench app", org)
            ids = dict(session.execute(text("""
                SELECT o.id AS org, c.id AS category, c.department_id AS department,
                       (SELECT min(id) FROM villages WHERE organization_id = o.id) AS village,
                       (SELECT min(id) FROM time_limits) AS limits
                FROM organizations o JOIN categories c ON c.organization_id = o.id
                WHERE o.id = :org AND c.code = :code"""), {"org": org.id, "code": CATEGORY})
                .mappings().one())
            session.commit()
        app.extensions["db_engine"].dispose()
        photo = twelve_megapixel_jpeg()
        # The rate limits run, out of reach; one proxy in front, as in production.
        limits = {"RATELIMIT_ENABLED": "1", "PROXY_COUNT": "1", "RATELIMIT_REPORTS": NO_LIMIT,
                  "RATELIMIT_REFUSED": NO_LIMIT, "OPEN311_RATELIMIT_PER_MINUTE": NO_LIMIT}
        print(f"{os.cpu_count()} CPUs; {args.clients} connections from {args.processes} "
              f"processes, {args.seconds:g} s a line after {args.warmup:g} s of warm-up; "
              + ("PostgreSQL without fsync\n" if args.no_flush else
                 "PostgreSQL with fsync and synchronous commit on\n"))
        print(load_average())
        latencies, took = bare_inserts(url, args.clients, args.seconds, ids)
        print(_row(f"bare SQL INSERT of a case ({args.clients} conns)", latencies, took))
        print(pgbench_inserts(cluster, root, args.clients, args.seconds, ids))
        for workers, threads in args.configs:
            port = free_port()
            server = start_server(url, root, port, workers=workers, threads=threads, **limits)
            try:
                print(f"\ngunicorn --workers {workers} --worker-class gthread --threads {threads}"
                      f"   ({load_average()})")
                open311 = Target(port, "open311", api_key=api_key)
                if args.warmup:
                    run_load(open311, args.clients, args.processes, args.warmup)
                result = run_load(open311, args.clients, args.processes, args.seconds)
                print(_row("Open311 POST requests.json, no photo", result.latencies_ms,
                           args.seconds, result.errors))
                cookie, token = _form_session(port)
                web = Target(port, "web", cookie=cookie, csrf_token=token)
                if args.warmup:
                    run_load(web, args.clients, args.processes, args.warmup)
                photo_ms: list[float] = []
                photo_errors: list[str] = []
                photos = threading.Thread(target=_photo_reports,
                                          args=(port, args.photos, args.seconds, photo, photo_ms,
                                                photo_errors))
                photos.start()
                result = run_load(web, args.clients, args.processes, args.seconds)
                photos.join()
                print(_row("web form POST /report, no photo", result.latencies_ms,
                           args.seconds, result.errors))
                print(f"  meanwhile, one at a time: web form with a 12 MP photo: {len(photo_ms)} "
                      f"sent, p50 {percentile(photo_ms, 50):.0f} ms, p95 "
                      f"{percentile(photo_ms, 95):.0f} ms, max {max(photo_ms, default=0):.0f} ms"
                      + (f", refused: {photo_errors}" if photo_errors else ""))
                print(f"   ({load_average()})")
            finally:
                stop_server(server)
    finally:
        cluster.stop()
        shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
