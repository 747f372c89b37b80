"""`make run`'s server: the app and the notification worker beside it, and neither outlives
the other (Ctrl-C, `kill`, or even `kill -9` of the server); nor does the local cluster it
starts when DATABASE_URL is unset."""
import itertools
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import urllib.request
from pathlib import Path

import pytest

from mapdash import db
from mapdash.localdb import LocalCluster
from tests.factories import make_org
from tests.support import alive, make_app, wait_until

PROJECT_ROOT = Path(__file__).resolve().parent.parent

# Ports below the kernel's ephemeral range (32768 and up), a hundred for each parallel test
# process: a server elsewhere that binds port 0 (another test's live server) can never be
# given the port between our probe and the devserver's bind.
_ports = itertools.count(20000 + 100 * int(os.environ.get("PYTEST_XDIST_WORKER", "gw0")[2:]))


def free_port() -> int:
    for port in _ports:
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue  # taken by something else on this machine
            return port
    raise AssertionError("unreachable")


def children(pid: int) -> list[int]:
    found = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(child) for child in found.read_text().split()] if found.exists() else []


def served(port: int) -> bool:
    try:
        return urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2).status == 200
    except OSError:
        return False


@pytest.fixture
def server(database_url, session, tmp_path):
    # One organization, so the server does not load the demo first (an empty database's
    # `make run`): that took ~10 s of each test, and these tests are about stopping.
    make_org(session)
    session.commit()
    port = free_port()
    env = {**os.environ, "DATABASE_URL": database_url, "PORT": str(port),
           "MAPDASH_ENV": "development", "SECRET_KEY": "test-devserver",
           "PHOTO_DIR": str(tmp_path / "photos"), "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}"}
    process = subprocess.Popen([sys.executable, "-m", "mapdash.devserver"], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    workers = []
    try:
        assert wait_until(lambda: served(port)), "the server never answered"
        assert wait_until(lambda: children(process.pid)), "no worker beside the app"
        workers = children(process.pid)
        yield process, port
    finally:
        for pid in [*workers, process.pid]:
            if alive(pid):
                os.kill(pid, signal.SIGKILL)
        process.wait()


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT])
def test_stopping_the_server_stops_its_worker(server, stop):
    process, port = server
    [worker] = children(process.pid)
    process.send_signal(stop)
    assert process.wait(timeout=30) is not None
    assert wait_until(lambda: not alive(worker), 20), "the worker outlived the server"


def test_a_killed_server_takes_its_worker_along(server):
    process, port = server
    [worker] = children(process.pid)
    process.kill()
    process.wait()
    assert wait_until(lambda: not alive(worker), 20), "the worker outlived a kill -9"


@pytest.fixture(scope="module")
def own_var():
    """A MAPDASH_VAR whose cluster `make run` finds stopped, with a migrated database holding
    one organization (so no demo is loaded: quicker), as on a developer's second `make run`."""
    root = Path(tempfile.mkdtemp(prefix="mapdash-var-"))
    root.chmod(0o755)  # the postgres user must reach it when we are root
    cluster = LocalCluster(root / "pg")
    cluster.stop_when_process_ends(remove=root)
    cluster.start()
    cluster.ensure_database("mapdash")
    db.upgrade(cluster.url("mapdash"))
    app = make_app(cluster.url("mapdash"), root / "photos")
    with db.new_session(app, expire_on_commit=True) as session:
        make_org(session)
        session.commit()
    app.extensions["db_engine"].dispose()
    cluster.stop()
    yield root
    cluster.stop()
    shutil.rmtree(root, ignore_errors=True)


def postmaster_of(var: Path) -> int | None:
    pid_file = var / "pg" / "data" / "postmaster.pid"
    return int(pid_file.read_text().split()[0]) if pid_file.exists() else None


@pytest.mark.parametrize("stop", ["SIGTERM to the process group", "kill -9 of the server"])
def test_make_run_stops_the_cluster_it_started(own_var, tmp_path, stop):
    # make as `make run` runs the server (make -> bash -c -> python), without the checks of
    # the system packages and the .venv that the real target does first. make passes a
    # SIGTERM on to its child, so the server gets the group's SIGTERM twice.
    makefile = tmp_path / "Makefile"
    makefile.write_text(f"SHELL := /bin/bash\nrun:\n\t{sys.executable} -m mapdash.devserver\n")
    port = free_port()
    env = {name: value for name, value in os.environ.items() if name != "DATABASE_URL"}
    env.update(MAPDASH_VAR=str(own_var), PORT=str(port))
    output = tmp_path / "output"
    with output.open("w") as out:
        make = subprocess.Popen(["make", "-s", "-f", str(makefile), "run"], cwd=PROJECT_ROOT, env=env,
                                stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    postmaster = None
    try:
        assert wait_until(lambda: served(port)), "the server never answered"
        postmaster = postmaster_of(own_var)
        assert postmaster and alive(postmaster)
        if stop == "kill -9 of the server":
            [server] = children(make.pid)
            os.kill(server, signal.SIGKILL)
        else:
            os.killpg(make.pid, signal.SIGTERM)
        make.wait(timeout=30)
        if stop == "SIGTERM to the process group":
            assert "local database stopped" in output.read_text(), output.read_text()
        assert wait_until(lambda: not alive(postmaster), 10), "the cluster outlived the server"
    finally:
        if make.poll() is None:
            os.killpg(make.pid, signal.SIGKILL)
            make.wait()
        if postmaster and alive(postmaster):
            os.kill(postmaster, signal.SIGQUIT)
