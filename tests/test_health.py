import shutil
import tempfile
from pathlib import Path

from mapdash.localdb import LocalCluster
from tests.support import make_app


def test_health_reports_a_live_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "up"}


def test_health_reports_503_when_the_database_is_down(tmp_path):
    # A second real cluster, started and then stopped: the app's database is gone.
    root = Path(tempfile.mkdtemp(prefix="mapdash-down-"))
    root.chmod(0o755)  # reachable by the postgres user when we are root
    cluster = LocalCluster(root / "pg", durable=False)
    cluster.start()
    cluster.ensure_database("gone")
    app = make_app(cluster.url("gone"), tmp_path)
    assert app.test_client().get("/healthz").status_code == 200
    cluster.stop()
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["database"] == "down"
    app.extensions["db_engine"].dispose()
    shutil.rmtree(root, ignore_errors=True)
