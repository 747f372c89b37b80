"""The crash test of issue 16: a burst of reports from the web form and from an Open311 app,
both of which retry with the same key until they are answered, while the app (gunicorn, as in
production) is killed with -9 and started again, and then the database's postmaster is killed
with -9 and started again. Every report that was acknowledged is stored, and each, however
often it was sent, is stored once."""
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import requests
from sqlalchemy import create_engine, text

from mapdash import db
from mapdash.localdb import LocalCluster
from mapdash.office.apikeys import create_key
from tests.factories import make_org
from tests.support import alive, make_app, wait_until

REPORTS_PER_CLIENT = 12
LAT, LON = "10.005", "100.005"  # inside make_org's west village
GIVE_UP_AFTER = 120  # seconds of retrying one report


def free_port() -> int:
    # Below the ephemeral range, a hundred per parallel test process (as tests/test_devserver.py)
    return 20900 + 100 * int(os.environ.get("PYTEST_XDIST_WORKER", "gw0")[2:])


class Server:
    """gunicorn serving the app, started again at will; killed with -9 to simulate a crash."""

    def __init__(self, url: str, port: int, photo_dir):
        self.port = port
        self.env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": "crash-test",
                    "MAPDASH_ENV": "development", "PHOTO_DIR": str(photo_dir),
                    "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}", "RATELIMIT_ENABLED": "0",
                    "ARGON2_TIME_COST": "1", "ARGON2_MEMORY_KIB": "8", "ARGON2_PARALLELISM": "1"}
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{self.port}", "--workers",
             "2", "--threads", "2", "--graceful-timeout", "1", "mapdash:create_app()"],
            env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True)
        assert wait_until(self.answers, 60), "gunicorn never answered"

    def answers(self) -> bool:
        try:
            return requests.get(f"http://127.0.0.1:{self.port}/healthz", timeout=2).ok
        except requests.RequestException:
            return False

    def kill(self) -> None:
        os.killpg(self.process.pid, signal.SIGKILL)  # the master and its workers at once
        self.process.wait()


def web_reports(base: str, acknowledged: dict, keys: list, retries: list) -> None:
    """A citizen's phone: the form with its CSRF token and idempotency key, sent again with the
    same key until it is answered (a 303 to the case's status page)."""
    browser = requests.Session()
    for _ in range(REPORTS_PER_CLIENT):
        key = uuid.uuid4().hex
        keys.append(key)
        deadline = time.monotonic() + GIVE_UP_AFTER
        token = None
        while time.monotonic() < deadline:
            try:
                if token is None:
                    page = browser.get(f"{base}/report/streetlight", timeout=5).text
                    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
                answer = browser.post(f"{base}/report/streetlight", timeout=5, allow_redirects=False,
                                      data={"csrf_token": token, "idempotency_key": key,
                                            "lat": LAT, "lon": LON,
                                            "description": f"crash-test web {key}"})
            except (requests.RequestException, AttributeError):
                retries.append(key)
                time.sleep(0.3)
                continue
            if answer.status_code == 303:
                acknowledged[key] = answer.headers["Location"].split("/track/")[1].split("?")[0]
                break
            retries.append(key)
            time.sleep(0.3)  # 503 while the database is away: try again


def open311_reports(base: str, api_key: str, acknowledged: dict, keys: list,
                    retries: list) -> None:
    """An app filing through Open311: the same Idempotency-Key on every retry."""
    for _ in range(REPORTS_PER_CLIENT):
        key = uuid.uuid4().hex
        keys.append(key)
        deadline = time.monotonic() + GIVE_UP_AFTER
        while time.monotonic() < deadline:
            try:
                answer = requests.post(
                    f"{base}/open311/v2/requests.json", timeout=5,
                    headers={"Idempotency-Key": key},
                    data={"api_key": api_key, "service_code": "streetlight", "lat": LAT,
                          "long": LON, "description": f"crash-test open311 {key}"})
            except requests.RequestException:
                retries.append(key)
                time.sleep(0.3)
                continue
            if answer.status_code in (200, 201):
                acknowledged[key] = answer.json()[0]["service_request_id"]
                break
            retries.append(key)
            time.sleep(0.3)


def durable_cluster() -> LocalCluster:
    """Like the test session's cluster, but with fsync and synchronous commits, as in
    production: the suite's fast cluster may lose its last commits when it is killed."""
    root = Path(tempfile.mkdtemp(prefix="mapdash-crash-"))
    root.chmod(0o755)  # the postgres user must reach it when we are root
    cluster = LocalCluster(root / "pg", durable=True)
    cluster.stop_when_process_ends(remove=root)
    cluster.start()
    return cluster


def test_reports_survive_app_and_database_crashes_stored_once(tmp_path):
    cluster = durable_cluster()
    cluster.ensure_database("crash")
    url = cluster.url("crash")
    db.upgrade(url)
    app = make_app(url, tmp_path / "photos")
    with db.new_session(app) as session:
        org = make_org(session)
        _, api_key = create_key(session, "crash test app", org)
        session.commit()
    app.extensions["db_engine"].dispose()

    port = free_port()
    server = Server(url, port, tmp_path / "photos")
    server.start()
    base = f"http://127.0.0.1:{port}"
    acknowledged: dict[str, str] = {}
    keys: list[str] = []
    retries: list[str] = []  # the key of each attempt that was not answered, or not with success
    web, app311 = (base, acknowledged, keys, retries), (base, api_key, acknowledged, keys, retries)
    clients = [threading.Thread(target=web_reports, args=web),
               threading.Thread(target=web_reports, args=web),
               threading.Thread(target=open311_reports, args=app311),
               threading.Thread(target=open311_reports, args=app311)]
    for client in clients:
        client.start()
    try:
        assert wait_until(lambda: len(acknowledged) >= 8, 60)
        server.kill()  # the app crashes mid-burst
        time.sleep(1)
        server.start()
        assert wait_until(lambda: len(acknowledged) >= 20, 90)
        postmaster = int(cluster.data.joinpath("postmaster.pid").read_text().split()[0])
        os.kill(postmaster, signal.SIGKILL)  # then the database
        assert wait_until(lambda: not alive(postmaster), 10)
        time.sleep(2)
        cluster.start()
        for client in clients:
            client.join(timeout=GIVE_UP_AFTER + 30)
    finally:
        server.kill()

    assert not any(client.is_alive() for client in clients)
    assert len(keys) == 4 * REPORTS_PER_CLIENT
    assert set(acknowledged) == set(keys), "every report is acknowledged in the end"
    assert len(set(retries)) >= 2, "the crashes made clients send reports again"
    engine = create_engine(url)
    with engine.connect() as conn:
        stored = conn.execute(text(
            "SELECT description, tracking_code FROM incidents WHERE description LIKE 'crash-test%'"
        )).all()
    engine.dispose()
    by_key: dict[str, list[str]] = {}
    for description, code in stored:
        by_key.setdefault(description.split()[-1], []).append(code)
    assert {key: len(codes) for key, codes in by_key.items() if len(codes) != 1} == {}, \
        "a report stored twice"
    assert {key: codes[0] for key, codes in by_key.items()} == acknowledged
