"""`make bench-live`: N dispatcher screens on live streams against the production server setup.

python -m mapdash.bench.live_streams [--clients 2000] [--cases 5] [--workers 2] [--threads 1100]

Starts a throwaway PostGIS with the demo tambon, gunicorn as the Dockerfile runs it (gthread:
one thread per open stream), signs a dispatcher in, opens N event streams (asyncio, one
socket each), then reports cases one at a time through the one intake on a connection of
its own and measures how long each takes to reach every stream. Prints the delay (p50, p95,
max), failed or dropped streams, the database connections in use and the workers' memory.
Not a test: the figures depend on the machine (docs/scaling.md has this machine's).
"""
import argparse
import asyncio
import os
import re
import resource
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.orm import Session

from mapdash.bench import percentile

DISPATCHER = "bench-dispatcher@example.test"
PASSWORD = "correct horse battery staple 2000"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _cookies(headers) -> str:
    """The cookies an answer sets, as a Cookie header (the session's and the language's)."""
    return "; ".join(value.split(";")[0] for value in headers.get_all("Set-Cookie") or ())


def sign_in(base: str) -> str:
    """The dispatcher's session cookie."""
    opener = urllib.request.build_opener(_NoRedirect)
    with opener.open(base + "/login") as page:
        cookie = _cookies(page.headers)
        found = re.search(r'name="csrf_token" value="([^"]+)"', page.read().decode())
        assert found, "no CSRF token on /login"
        token = found.group(1)
    form = urllib.parse.urlencode({"email": DISPATCHER, "password": PASSWORD,
                                   "csrf_token": token}).encode()
    request = urllib.request.Request(base + "/login", data=form, headers={"Cookie": cookie})
    try:
        opener.open(request)
    except urllib.error.HTTPError as answer:  # the redirect after signing in
        if answer.code != 302:
            raise
        return _cookies(answer.headers)
    raise RuntimeError("signing in did not redirect")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Screen:
    """One dispatcher screen's stream: when each case id first arrived."""

    def __init__(self) -> None:
        self.arrived: dict[int, float] = {}
        self.opened = asyncio.Event()
        self.failed: str | None = None
        self.ended = False

    async def run(self, port: int, cookie: str) -> None:
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            since = datetime.now(UTC).isoformat().replace("+00:00", "Z")
            writer.write((f"GET /api/dispatch/stream?since={since} HTTP/1.1\r\n"
                          f"Host: 127.0.0.1\r\nCookie: {cookie}\r\n"
                          "Accept: text/event-stream\r\n\r\n").encode())
            await writer.drain()
            status = await reader.readline()
            if b" 200 " not in status:
                self.failed = status.decode().strip()
                return
            async for line in reader:
                if line.startswith(b"data: {\"now\""):
                    self.opened.set()
                    now = time.perf_counter()
                    for found in re.finditer(rb'"id":(\d+),"status"', line):
                        self.arrived.setdefault(int(found.group(1)), now)
            self.ended = True
        except (OSError, asyncio.IncompleteReadError) as error:
            self.failed = repr(error)
        finally:
            self.opened.set()


def _rss_mib(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1])
    return total / 1024


def _children(pid: int) -> list[int]:
    found = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return [int(child) for child in found]


async def measure_streams(app, port: int, cookie: str, server_pid: int, *, clients: int,
                          cases: int, gap: float) -> dict:
    """Open `clients` streams, report `cases` cases `gap` s apart; what it printed, as figures."""
    from mapdash import db
    from mapdash.cases.intake import Report, create_incident

    screens = [Screen() for _ in range(clients)]
    started = time.perf_counter()
    tasks = []
    for number, screen in enumerate(screens):
        tasks.append(asyncio.create_task(screen.run(port, cookie)))
        if number % 100 == 99:
            await asyncio.sleep(0.05)  # as screens open over a morning, not in one instant
    await asyncio.wait_for(asyncio.gather(*(s.opened.wait() for s in screens)), 300)
    opened = sum(1 for s in screens if s.failed is None and not s.ended)
    print(f"{opened:,} of {clients:,} streams open in {time.perf_counter() - started:.1f} s")
    for screen in screens:
        if screen.failed:
            print(f"  a stream failed: {screen.failed}")
            break
    with app.extensions["db_engine"].connect() as conn:
        backends = conn.execute(text(
            "SELECT count(*) FILTER (WHERE query LIKE 'LISTEN %'), count(*) "
            "FROM pg_stat_activity WHERE datname = current_database()")).one()
    print(f"database connections: {backends[1]} ({backends[0]} listening)")
    workers = _children(server_pid)
    print(f"gunicorn memory with the streams open (master and {len(workers)} workers): "
          f"{_rss_mib([server_pid, *workers]):.0f} MiB RSS")

    delays: list[float] = []
    for number in range(cases):
        await asyncio.sleep(gap)
        with db.new_session(app) as session:
            incident = create_incident(session, Report(
                category_code="streetlight", lon=104.6205, lat=17.3502,
                description=f"bench {number}"))
            session.commit()
        committed = time.perf_counter()
        deadline = committed + 30
        while time.perf_counter() < deadline and any(
                incident.id not in s.arrived for s in screens if s.failed is None):
            await asyncio.sleep(0.01)
        arrived = [s.arrived[incident.id] - committed for s in screens if incident.id in s.arrived]
        missing = opened - len(arrived)
        delays.extend(arrived)
        print(f"case {number + 1}: reached {len(arrived):,} streams, last after "
              f"{max(arrived) * 1000:.0f} ms" + (f", {missing} never" if missing else ""))
    dropped = sum(1 for s in screens if s.ended or s.failed)
    print(f"new-case delay over {len(delays):,} deliveries: p50 {percentile(delays, 50) * 1000:.0f} ms,"
          f" p95 {percentile(delays, 95) * 1000:.0f} ms, max {max(delays) * 1000:.0f} ms;"
          f" streams failed or dropped: {dropped}")
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    return {"clients": clients, "opened": opened, "dropped": dropped,
            "deliveries": len(delays), "p50_ms": percentile(delays, 50) * 1000,
            "p95_ms": percentile(delays, 95) * 1000, "max_ms": max(delays) * 1000}


def allow_open_files(clients: int) -> None:
    """Each stream is a socket: raise this process's limit (its children inherit it)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, clients * 3)), hard))


def start_server(url: str, root: Path, port: int, *, workers: int, threads: int,
                 **settings: str) -> subprocess.Popen:
    """gunicorn as the Dockerfile runs it, answering on `port` once this returns; `settings`
    add to or replace the bench's own (rate limits off)."""
    env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": "bench-secret",
           "MAPDASH_ENV": "production", "PHOTO_DIR": str(root / "photos"),
           "DOCUMENT_DIR": str(root / "documents"), "MAPDASH_VAR": str(root),
           "RATELIMIT_ENABLED": "0", "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}", **settings}
    command = [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}",
               "--workers", str(workers), "--worker-class", "gthread",
               "--threads", str(threads), "--worker-connections", str(threads + 200),
               "--keep-alive", "10", "--log-level", "warning",
               # Streams still open at the end hold their threads: stop them after 5 s (the
               # default 30 s outlasted stop_server's wait, and the workers the database).
               "--graceful-timeout", "5", "mapdash:create_app()"]
    print(" ".join(command[2:]))
    server = subprocess.Popen(command, env=env, start_new_session=True)
    return answering(server, f"http://127.0.0.1:{port}/healthz", "gunicorn", 60)


def answering(server: subprocess.Popen, url: str, name: str, seconds: int) -> subprocess.Popen:
    """`server` once `url` answers; stopped, and an error, if it ends or stays silent."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return server
        except OSError:
            if server.poll() is not None:
                raise RuntimeError(f"{name} ended ({server.returncode})") from None
            time.sleep(0.1)
    stop_server(server)
    raise RuntimeError(f"{name} did not answer {url} within {seconds} s")


def stop_server(server: subprocess.Popen) -> None:
    """Stop a server started in a session of its own, its workers with it."""
    server.send_signal(signal.SIGTERM)
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)  # the master and every worker
        server.wait()


def create_dispatcher(session: Session) -> None:
    """The demo's logins work in development only: a dispatcher of the production kind."""
    from mapdash.office.auth import create_user

    org_id = session.execute(text("SELECT min(id) FROM organizations")).scalar_one()
    if session.execute(text("SELECT 1 FROM users WHERE email = :email"),
                       {"email": DISPATCHER}).first():
        return  # a kept bench database (BENCH_DATA) has it from an earlier run
    create_user(session, organization_id=org_id, email=DISPATCHER, password=PASSWORD,
                role="dispatcher", display_name="bench")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=2000)
    parser.add_argument("--cases", type=int, default=5)
    parser.add_argument("--gap", type=float, default=2.0, help="seconds between cases")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=1100)
    args = parser.parse_args()
    allow_open_files(args.clients)

    from mapdash.bench.database import bench_database

    with bench_database("mapdash-bench-live-", cases=0) as bench:  # the demo tambon alone
        with bench.app.app_context(), Session(bench.app.extensions["db_engine"]) as session:
            create_dispatcher(session)
            session.commit()
        port = free_port()
        server = start_server(bench.url, bench.root, port, workers=args.workers,
                              threads=args.threads)
        try:
            cookie = sign_in(f"http://127.0.0.1:{port}")
            asyncio.run(measure_streams(bench.app, port, cookie, server.pid, clients=args.clients,
                                        cases=args.cases, gap=args.gap))
        finally:
            stop_server(server)
    return 0


if __name__ == "__main__":
    sys.exit(main())
