"""A real PostGIS for the whole session, a fresh database per test, a real Chromium.

Nothing here skips: a cluster or browser that cannot start fails the run."""
import itertools
import os
import queue
import shutil
import tempfile
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from psycopg import sql
from sqlalchemy.orm import Session
from werkzeug.serving import make_server

from mapdash import db
from mapdash.localdb import LocalCluster
from tests.factories import make_incident, make_org
from tests.support import CspWatchedBrowser, make_app, throwaway_cluster

CHROMIUM = "/usr/bin/chromium"
# The demo every test database is cloned from is the demo of this moment (a Wednesday morning
# in Thai office hours), moved to end when the session starts: the same cases in the same
# steps at the same age, whatever the hour the suite runs at (issue 18).
DEMO_AS_OF = datetime(2026, 3, 4, 10, 30, tzinfo=timezone(timedelta(hours=7)))
_database_numbers = itertools.count()


@pytest.fixture(scope="session")
def pg_cluster():
    # One cluster per pytest-xdist worker, with its own templates. Measured with -n 2 on two
    # cores: ~10 s to start a cluster and build the templates alone, ~15 s for two workers side
    # by side; one cluster built first and shared made a 34-test sample no faster (39.9 s vs
    # 37.8-39.0 s) and needs a process that outlives every worker to stop it.
    cluster = throwaway_cluster()
    yield cluster
    cluster.stop()
    shutil.rmtree(cluster.root.parent, ignore_errors=True)


def _clone(cluster: LocalCluster, template: str, name: str) -> None:
    with cluster.connect() as conn:
        conn.execute(sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
            sql.Identifier(name), sql.Identifier(template)))


def _drop(cluster: LocalCluster, name: str) -> None:
    with cluster.connect() as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@pytest.fixture(scope="session")
def templates(pg_cluster):
    """Two template databases: migrated and empty; migrated with the demo tambon."""
    pg_cluster.ensure_database("tpl_empty")
    db.upgrade(pg_cluster.url("tpl_empty"))
    _clone(pg_cluster, "tpl_empty", "tpl_demo")
    app = make_app(pg_cluster.url("tpl_demo"), Path(tempfile.mkdtemp()))
    with app.app_context():
        from mapdash.demo.load import load_demo
        with Session(db.engine()) as session:
            load_demo(session, as_of=DEMO_AS_OF)
            session.commit()
    app.extensions["db_engine"].dispose()
    return {"empty": "tpl_empty", "demo": "tpl_demo"}


class DatabasePool:
    """Clones of a template made ahead of need, and dropped after use, by a thread of their
    own: a test takes a database that is already there and leaves its drop behind. Cloning
    (~0.3-0.7 s a database) and dropping otherwise sat in every test's setup and teardown;
    the thread does them while tests wait on a browser, a server or each other."""

    SPARE = 2

    def __init__(self, cluster: LocalCluster, template: str):
        self.cluster, self.template = cluster, template
        self.ready: queue.Queue[str] = queue.Queue()
        self.used: queue.Queue[str] = queue.Queue()
        self.wanted = threading.Semaphore(self.SPARE)  # clones to make before the next take
        self.failure: BaseException | None = None
        # Held while cloning or dropping: a test that copies the whole cluster (a standby's
        # base backup) holds it so no database comes or goes meanwhile.
        self.quiet = threading.Lock()
        self.thread = threading.Thread(target=self._work, daemon=True,
                                       name=f"databases from {template}")
        self.thread.start()

    def _work(self) -> None:
        while True:
            if self.wanted.acquire(timeout=0.05):
                with self.quiet:
                    name = self._clone()
                self.ready.put(name)
            while not self.used.empty():
                name = self.used.get()
                with self.quiet:
                    try:
                        _drop(self.cluster, name)
                    except Exception:  # noqa: S110 (left behind, it goes with the throwaway cluster)
                        pass

    def _clone(self) -> str:
        """A new clone, "" when none could be made for a minute. A test may stop the cluster
        for a while (an outage); the clone is tried again until it is back."""
        for _attempt in range(60):
            name = f"test_{os.getpid()}_{next(_database_numbers)}"
            try:
                _clone(self.cluster, self.template, name)
                return name
            except Exception as failure:
                self.failure = failure
                time.sleep(1)
        return ""

    def take(self) -> str:
        name = self.ready.get(timeout=180)
        self.wanted.release()
        if not name:
            raise RuntimeError(f"cloning {self.template} failed") from self.failure
        return name

    def give_back(self, name: str) -> None:
        self.used.put(name)


@pytest.fixture(scope="session")
def pools(pg_cluster, templates):
    """A pool per template, started when a test first asks for it."""
    started: dict[str, DatabasePool] = {}

    def pool(template: str) -> DatabasePool:
        if template not in started:
            started[template] = DatabasePool(pg_cluster, templates[template])
        return started[template]
    pool.started = started  # type: ignore[attr-defined]
    return pool


@pytest.fixture
def quiet_databases(pools):
    """No test database is cloned or dropped while the test runs (it copies the cluster)."""
    held = list(pools.started.values())
    for pool in held:
        pool.quiet.acquire()
    yield
    for pool in held:
        pool.quiet.release()


@pytest.fixture
def database_url(pg_cluster, pools):
    pool = pools("empty")
    name = pool.take()
    yield pg_cluster.url(name)
    pool.give_back(name)


@pytest.fixture
def demo_database_url(pg_cluster, pools):
    pool = pools("demo")
    name = pool.take()
    yield pg_cluster.url(name)
    pool.give_back(name)


@pytest.fixture(scope="session")
def _apps():
    """One app per kind ("app", "demo_app") and worker, bound to each test's database in
    turn, with the settings it was made with put back: make_app took ~0.3 s (werkzeug
    compiling the URL rules), more than many tests. A test that needs other settings at
    start makes its own app (tests/support.make_app)."""
    return {}


def _app_for(apps: dict, kind: str, url: str, folder: Path):
    folders = {"PHOTO_DIR": str(folder / "photos"), "DOCUMENT_DIR": str(folder / "documents")}
    if kind not in apps:
        application = make_app(url, folder / "photos")
        apps[kind] = (application, dict(application.config))
        return application
    application, settings = apps[kind]
    application.config.clear()
    application.config.update(settings, DATABASE_URL=url, **folders)
    db.bind(application)
    earlier = application.extensions.pop("live_hub", None)  # it listened to the last database
    if earlier is not None:
        earlier.stop()
    return application


@pytest.fixture
def app(database_url, tmp_path, _apps):
    application = _app_for(_apps, "app", database_url, tmp_path)
    yield application
    application.extensions["db_engine"].dispose()


@pytest.fixture
def demo_app(demo_database_url, tmp_path, _apps):
    application = _app_for(_apps, "demo_app", demo_database_url, tmp_path)
    yield application
    application.extensions["db_engine"].dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def demo_client(demo_app):
    return demo_app.test_client()


@pytest.fixture
def session(app):
    """A session on the test's database, for arranging data and checking results."""
    with db.new_session(app, expire_on_commit=True) as s:
        yield s


@pytest.fixture
def demo_session(demo_app):
    with db.new_session(demo_app, expire_on_commit=True) as s:
        yield s


@pytest.fixture
def incident(app, session):
    """A case of a minimal organization, committed."""
    make_org(session)
    case = make_incident(session)
    session.commit()
    return case


@pytest.fixture
def live_server(demo_app):
    """The demo app served over HTTP in a thread, for the browser."""
    server = make_server("127.0.0.1", 0, demo_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join()


@pytest.fixture
def fake_line():
    """A local HTTP server that speaks the parts of the LINE Messaging API we use."""
    from tests.line_fake import FakeLine
    fake = FakeLine().start()
    yield fake
    fake.stop()


@pytest.fixture(scope="session")
def chromium():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, chromium_sandbox=False,
            args=["--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"])
        yield browser
        browser.close()


@pytest.fixture
def browser(chromium):
    """The browser, whose every page reports what our Content-Security-Policy blocked: a test
    that made a page break the policy fails (tests/test_security_headers.py)."""
    watched = CspWatchedBrowser(chromium)
    yield watched
    assert watched.violations == [], "the Content-Security-Policy blocked something"


@pytest.fixture
def phone(browser):
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="th-TH",
                                  device_scale_factor=2, is_mobile=True, has_touch=True)
    yield context.new_page()
    context.close()


@pytest.fixture
def desktop(browser):
    context = browser.new_context(viewport={"width": 1440, "height": 900}, locale="th-TH")
    yield context.new_page()
    context.close()


@pytest.fixture(scope="session")
def screenshot_dir():
    default = Path(__file__).resolve().parent.parent / "var" / "screenshots"
    path = Path(os.environ.get("SCREENSHOT_DIR", default))
    path.mkdir(parents=True, exist_ok=True)
    return path
