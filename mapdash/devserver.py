"""`make run`: a local PostGIS when DATABASE_URL is unset, migrations, demo data, the app."""
import ctypes
import os
import signal
import subprocess
import sys

from mapdash.cli import local_database_url
from mapdash.config import VAR_DIR
from mapdash.localdb import LocalCluster


def _stop_on_signals() -> None:
    """Ctrl-C, `kill` and a closed terminal all end the server through the `finally` below,
    which stops the worker and the database (a shell that starts us in the background would
    otherwise ignore SIGINT). Only the first signal counts: `kill -TERM -<pgid>` of `make run`
    reaches us twice, from the kill and from make passing it on to its child, and a second
    KeyboardInterrupt inside the `finally` used to skip the database's stop."""
    stopping = False

    def interrupt(signum, frame):
        nonlocal stopping
        if not stopping:
            stopping = True
            raise KeyboardInterrupt
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, interrupt)


def _die_with_parent() -> None:
    """In the worker, before it starts (Linux): SIGTERM when the server dies, even by
    `kill -9`, so a worker never keeps sending on its own."""
    PR_SET_PDEATHSIG = 1
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def main() -> None:
    _stop_on_signals()
    started: dict = {}  # our own cluster, the worker: stopped whenever we stop, even half-way up
    try:
        _serve(started)
    except KeyboardInterrupt:
        pass
    finally:
        worker = started.get("worker")
        if worker is not None:
            worker.terminate()
            try:
                worker.wait(timeout=15)
            except subprocess.TimeoutExpired:
                worker.kill()
        if "cluster" in started:
            started["cluster"].stop()
            print("local database stopped", flush=True)


def _serve(started: dict) -> None:
    port = int(os.environ.get("PORT", "5000"))
    if not os.environ.get("DATABASE_URL"):
        os.environ.setdefault("MAPDASH_ENV", "development")
        cluster = LocalCluster(VAR_DIR / "pg")
        if not cluster.running():  # else someone else started it: leave it running
            cluster.stop_when_process_ends()  # even when we are killed by kill -9
            started["cluster"] = cluster
        os.environ["DATABASE_URL"] = local_database_url()

    from mapdash import create_app, db
    from mapdash.demo.load import DEMO_PASSWORD, DEMO_USERS, load_demo
    from mapdash.models import Organization

    app = create_app()
    applied = db.upgrade(app.config["DATABASE_URL"])
    if applied:
        print(f"migrations applied: {', '.join(applied)}")
    with app.app_context():
        session = db.session()
        if session.query(Organization).count() == 0:
            print("empty database: loading the demo tambon ...")
            load_demo(session)
            session.commit()
    print(f"\n  mapdash is at http://127.0.0.1:{port}/")
    if app.config["ENV"] == "development":
        print("  demo logins (development only):")
        for email, role, *_ in DEMO_USERS:
            print(f"    {role:<10} {email} / {DEMO_PASSWORD}")
    print("  Ctrl-C stops it.\n", flush=True)
    # The notification worker runs beside the app, as in production (README, Notifications).
    started["worker"] = subprocess.Popen([sys.executable, "-m", "mapdash.cli", "notify", "run"],
                                         preexec_fn=_die_with_parent if sys.platform == "linux" else None)
    app.run(host="127.0.0.1", port=port, use_reloader=False, threaded=True)


if __name__ == "__main__":
    main()
