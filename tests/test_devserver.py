"""`make run`'s server: the app and the notification worker beside it, and neither outlives
the other (Ctrl-C, `kill`, or even `kill -9` of the server)."""
import itertools
import os
import signal
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from tests.support import alive, wait_until

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
def server(database_url, tmp_path):
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
