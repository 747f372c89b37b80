"""Helpers the tests share: an app on a given database, CSRF tokens, signing in."""
import re
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from mapdash import create_app
from mapdash.localdb import LocalCluster

# Tiles come from a closed port: every page must work without them.
UNREACHABLE_TILES = "http://127.0.0.1:9/{z}/{x}/{y}.png"
# The cheapest hashes argon2 accepts (a login costs ~0.1 ms, not ~300 ms): tests test the
# flow, not the cost. Every hash the tests make, even outside an app context, uses them.
CHEAP_ARGON2 = {"ARGON2_TIME_COST": 1, "ARGON2_MEMORY_KIB": 8, "ARGON2_PARALLELISM": 1}


def make_app(url: str, photo_dir: Path, **overrides):
    return create_app({"DATABASE_URL": url, "SECRET_KEY": "test-secret", "ENV": "development",
                       "TESTING": True, "PHOTO_DIR": str(photo_dir),
                       "DOCUMENT_DIR": str(photo_dir.parent / "documents"),
                       "TILE_URL": UNREACHABLE_TILES,
                       "SESSION_COOKIE_SECURE": False, **CHEAP_ARGON2, **overrides})


def throwaway_cluster() -> LocalCluster:
    """A fast (not durable) cluster in a new temporary folder, for one test process. It stops
    and its folder goes when this process ends, even by kill -9 (tests/test_localdb.py)."""
    root = Path(tempfile.mkdtemp(prefix="mapdash-test-"))
    root.chmod(0o755)  # the postgres user must reach it when we are root
    cluster = LocalCluster(root / "pg", durable=False)
    cluster.stop_when_process_ends(remove=root)
    cluster.start()
    return cluster


@contextmanager
def database_stopped(cluster: LocalCluster) -> Iterator[None]:
    """A real outage: the test process's own cluster stopped for the block, then started again
    with its data (each pytest-xdist worker has its own cluster, used by one test at a time)."""
    cluster.stop()
    try:
        yield
    finally:
        cluster.start()


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(") ")[1][0]
    except (FileNotFoundError, IndexError):
        return False
    return state != "Z"  # a zombie has exited


def wait_until(check, seconds: float = 60) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.2)
    return False


def csrf_token(client, path: str) -> str:
    page = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def login(client, email: str, password: str, follow_redirects=False):
    token = csrf_token(client, "/login")
    return client.post("/login", data={"email": email, "password": password, "csrf_token": token},
                       follow_redirects=follow_redirects)


# Runs in every page before its own scripts: each CSP violation is sent to the test.
_REPORT_CSP_VIOLATIONS = """document.addEventListener("securitypolicyviolation", (event) => {
  window.reportCspViolation(`${event.violatedDirective} blocked ${event.blockedURI || "inline"}`
    + ` at ${event.sourceFile}:${event.lineNumber} (${event.sample})`);
}, true);"""


class CspWatchedBrowser:
    """A Playwright browser whose contexts collect the CSP violations of all their pages.

    Under our policy (no eval) a test's wait_for_function predicate must be a function
    ("() => ..."): Playwright evaluates a function's text once, as DevTools may, but an
    expression's text again at each poll, which the page's policy refuses."""

    def __init__(self, browser):
        self._browser = browser
        self.violations: list[str] = []

    def new_context(self, **options):
        context = self._browser.new_context(**options)
        context.expose_binding("reportCspViolation",
                               lambda source, text: self.violations.append(f"{source['frame'].url}: {text}"))
        context.add_init_script(_REPORT_CSP_VIOLATIONS)
        return context
