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
    """Ctrl-C and `kill` both end the server through the `finally` below, which stops the
    database too (a shell that starts us in the background would otherwise ignore SIGINT)."""
    def interrupt(signum, frame):
        raise KeyboardInterrupt
    signal.signal(signal.SIGINT, interrupt)
    signal.signal(signal.SIGTERM, interrupt)


def _die_with_parent() -> None:
    """In the worker, before it starts (Linux): SIGTERM when the server dies, even by
    `kill -9`, so a worker never keeps sending on its own."""
    PR_SET_PDEATHSIG = 1
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def main() -> None:
    _stop_on_signals()
    port = int(os.environ.get("PORT", "5000"))
    cluster = None
    if not os.environ.get("DATABASE_URL"):
        os.environ.setdefault("MAPDASH_ENV", "development")
        cluster = LocalCluster(VAR_DIR / "pg")
        was_running = cluster.running()
        os.environ["DATABASE_URL"] = local_database_url()
        if was_running:
            cluster = None  # someone else started it: leave it running

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
    worker = subprocess.Popen([sys.executable, "-m", "mapdash.cli", "notify", "run"],
                              preexec_fn=_die_with_parent if sys.platform == "linux" else None)
    try:
        app.run(host="127.0.0.1", port=port, use_reloader=False, threaded=True)
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=15)
        except subprocess.TimeoutExpired:
            worker.kill()
        if cluster is not None:
            cluster.stop()
            print("local database stopped")


if __name__ == "__main__":
    main()
