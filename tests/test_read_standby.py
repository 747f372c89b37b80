"""The map's reads from a real streaming-replication standby (issue 15, item 7): a copy of the
test cluster made by pg_basebackup, following it, read by DATABASE_REPLICA_URL; writes and
a reader's reads after their own write on the primary; a stopped standby passed over."""
import shutil
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from mapdash import db
from tests.support import login, make_app, wait_until
from tests.test_browser_dispatch import DISPATCHER, PASSWORD, report_now
from tests.test_dispatch_views import act


@pytest.fixture
def standby(pg_cluster, demo_database_url, quiet_databases):
    """A standby of the test cluster (the test's database included), running."""
    root = Path(tempfile.mkdtemp(prefix="mapdash-standby-"))
    root.chmod(0o755)  # the postgres user must reach it when we are root
    cluster = pg_cluster.standby(root / "pg")
    cluster.stop_when_process_ends(remove=root)
    cluster.start()
    yield cluster
    cluster.stop()
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def replica_app(demo_database_url, standby, tmp_path):
    dbname = urlsplit(demo_database_url).path.lstrip("/")
    application = make_app(demo_database_url, tmp_path / "photos",
                           DATABASE_REPLICA_URL=standby.url(dbname))
    application.config["STANDBY_DB"] = dbname
    yield application
    application.extensions["db_engine"].dispose()
    application.extensions["db_replica"].engine.dispose()


def on_standby(standby, dbname: str, sql: str, *params):
    with standby.connect(dbname) as conn:
        return conn.execute(sql, params).fetchone()[0]


def test_map_reads_come_from_the_standby_and_fall_back_to_the_primary(replica_app, standby):
    dbname = replica_app.config["STANDBY_DB"]
    client = replica_app.test_client()
    login(client, DISPATCHER, PASSWORD)
    client.delete_cookie("mapdash_primary")  # signing in was a write: read as any other time

    def cases(**params) -> dict[int, str]:
        response = client.get("/api/dispatch/cases.geojson", query_string=params)
        assert response.status_code == 200, response.get_data(as_text=True)
        return {f["properties"]["id"]: f["properties"]["status"]
                for f in response.get_json()["features"]}

    def primary_position() -> str:
        with db.new_session(replica_app) as session:
            return db.write_position(session)

    def replayed(position: str) -> bool:
        return on_standby(standby, dbname, "SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn",
                          position)

    # Replay held back: a report on the primary is not on the standby's map yet, which shows
    # the map is read from the standby.
    on_standby(standby, dbname, "SELECT pg_wal_replay_pause()::text")
    incident = report_now(replica_app, category_code="streetlight", lon=104.6205, lat=17.3502,
                          description="ไฟดับ (อ่านจากเครื่องสำรอง)")
    position = primary_position()
    assert incident.id not in cases()
    # Redrawn for a change (fresh = the write position /changes gave): the standby lags, so
    # the primary answers.
    changes = client.get("/api/dispatch/changes", query_string={"since": "2026-01-01T00:00:00Z"})
    assert changes.get_json()["lsn"]
    assert cases(fresh=position)[incident.id] == "new"
    assert client.get("/api/dispatch/cases.geojson?fresh=x").status_code == 400

    # Replay resumed: the report reaches the standby's map.
    on_standby(standby, dbname, "SELECT pg_wal_replay_resume()::text")
    assert wait_until(lambda: replayed(position), 30)
    assert cases()[incident.id] == "new"
    public = client.get("/api/public/cases.geojson").get_json()
    assert incident.tracking_code in {f["properties"]["code"] for f in public["features"]}

    # The reader's own write is on their next reads whatever the standby's lag.
    on_standby(standby, dbname, "SELECT pg_wal_replay_pause()::text")
    assert act(client, incident.id, action="accept").status_code == 200
    assert cases()[incident.id] == "accepted"
    assert on_standby(standby, dbname, "SELECT status FROM incidents WHERE id = %s",
                      incident.id) == "new"
    client.delete_cookie("mapdash_primary")  # ten seconds later
    assert cases()[incident.id] == "new"     # the standby, still held back
    on_standby(standby, dbname, "SELECT pg_wal_replay_resume()::text")

    # The standby stopped: the map still answers, from the primary, without waiting.
    standby.stop()
    for _ in range(3):
        started = time.monotonic()
        assert cases()[incident.id] == "accepted"
        assert time.monotonic() - started < 2
    assert client.get("/api/villages.geojson").status_code == 200
