"""The notification worker as a service (issue 16, items 9 and 10): it waits out a real database
outage (the test process's own cluster stopped and started again) and goes on sending, saying
so once; and it sweeps stray photo files on its schedule."""
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from mapdash.cases import photos, workflow
from mapdash.db import new_session
from mapdash.integrations.notify.worker import Worker
from mapdash.models import Notification
from tests import photo_samples as samples
from tests.crew_support import make_user
from tests.factories import make_incident, make_org
from tests.smtp_support import SmtpServer
from tests.support import alive, database_stopped, make_app, wait_until
from tests.test_notify import BASE, notify_app, outbox

# A worker that looks at the outbox, and at a database that went away, more often than the
# defaults (2 s; 1 s doubling up to a minute): the same steps, without waiting them out.
QUICK = {"NOTIFY_IDLE_SECONDS": 0.2, "NOTIFY_RECONNECT_SECONDS": 0.25,
         "NOTIFY_RECONNECT_MAX_SECONDS": 1}


@pytest.fixture
def mail():
    with SmtpServer() as server:
        yield server


@pytest.fixture
def worker_app(database_url, tmp_path, mail):
    app = notify_app(database_url, tmp_path, mail, **QUICK)
    yield app
    app.extensions["db_engine"].dispose()


@pytest.fixture
def session(worker_app):
    with new_session(worker_app, expire_on_commit=True) as opened:
        yield opened


@pytest.fixture
def dispatcher(session):
    user = make_user(session, make_org(session), "dispatcher", "dispatcher@test.mapdash.test")
    session.commit()
    return user


def accepted_cases(session, dispatcher, count: int, start: int = 0) -> None:
    """Cases whose reporters (c0@, c1@ ...) are told that their case was accepted."""
    cases = [make_incident(session, lon=100.005 + i / 1000, reporter_email=f"c{i}@example.test")
             for i in range(start, start + count)]
    session.commit()
    for case in cases:
        workflow.perform(session, case.id, "accept", dispatcher)
    session.commit()


def test_the_worker_waits_out_a_database_outage_and_sends_what_comes_after(
        database_url, tmp_path, pg_cluster, mail, session, dispatcher):
    accepted_cases(session, dispatcher, 1)
    log = tmp_path / "worker.log"
    env = {**os.environ, "DATABASE_URL": database_url, "MAPDASH_ENV": "development",
           "SECRET_KEY": "test-secret", "PUBLIC_BASE_URL": BASE, "SMTP_HOST": "127.0.0.1",
           "SMTP_PORT": str(mail.port), "SMTP_FROM": "noreply@tambon.example",
           "PHOTO_DIR": str(tmp_path / "photos"), **{name: str(value) for name, value in QUICK.items()}}
    with log.open("w") as stderr:
        worker = subprocess.Popen([str(Path(sys.executable).parent / "mapdash"), "notify", "run"],
                                  env=env, stdout=subprocess.DEVNULL, stderr=stderr)
    try:
        assert wait_until(lambda: len(mail.mailbox.received) == 1), log.read_text()
        with database_stopped(pg_cluster):
            assert wait_until(lambda: "unreachable" in log.read_text()), log.read_text()
            time.sleep(1)  # tries 0.25 s and 0.75 s later fail too
            assert alive(worker.pid), log.read_text()
        # A message written after the database came back is sent by the same worker.
        accepted_cases(session, dispatcher, 1, start=1)
        assert wait_until(lambda: len(mail.mailbox.received) == 2, 90), log.read_text()
        assert wait_until(lambda: "is back" in log.read_text()), log.read_text()
    finally:
        worker.terminate()
        worker.wait(30)
    assert worker.returncode == 0
    assert sorted(m.recipients[0] for m in mail.mailbox.received) == \
        ["c0@example.test", "c1@example.test"]
    assert [n.status for n in outbox(session)] == ["sent", "sent"]
    said = log.read_text()
    assert said.count("unreachable") == 1 and said.count("is back") == 1, said


def test_a_message_delivered_as_the_database_goes_is_recorded_when_it_is_back(
        worker_app, session, dispatcher, mail, pg_cluster, caplog):
    """The mail server accepts a message while the database is down: the worker keeps the
    outcome and records it once the database is back, sends nothing twice, and the next
    message at once (not when its lease runs out)."""
    accepted_cases(session, dispatcher, 3)
    mail.mailbox.hold_message, mail.mailbox.accept_held = 2, True
    worker = Worker(worker_app)
    running = threading.Thread(target=worker.run)
    running.start()
    try:
        assert mail.mailbox.arrived.wait(60)  # the worker waits for the server's answer
        with database_stopped(pg_cluster):
            mail.mailbox.release.set()
            assert wait_until(lambda: "unreachable" in caplog.text)
        assert wait_until(lambda: [n.status for n in outbox(session)] == ["sent"] * 3, 60)
    finally:
        worker.stop.set()
        running.join(60)
    assert sorted(m.recipients[0] for m in mail.mailbox.received) == \
        ["c0@example.test", "c1@example.test", "c2@example.test"]
    assert [n.attempts for n in outbox(session)] == [1, 1, 1]


def _photo_files(app, session):
    """A stored photo (its file and thumbnail, as old as a crash's leftovers), a stray file
    older than an hour and one younger, in the same folder."""
    org = make_org(session)
    incident = make_incident(session)
    with app.app_context():
        kept = photos.store_photo(session, incident, photos.process_image(samples.jpeg()),
                                  "report")
        session.commit()
        stored = [photos.photo_path(kept), photos.photo_path(kept, thumb=True)]
    folder = stored[0].parent
    stray, young = folder / "left-by-a-crash.jpg", folder / "still-uploading.jpg"
    stray.write_bytes(b"x")
    young.write_bytes(b"x")
    two_hours_ago = time.time() - 2 * 3600
    for path in (*stored, stray):
        os.utime(path, (two_hours_ago, two_hours_ago))
    assert org
    return stored, stray, young


def test_the_worker_sweeps_stray_photos_on_its_schedule(database_url, tmp_path, mail):
    app = make_app(database_url, tmp_path / "photos", PUBLIC_BASE_URL=BASE,
                   PHOTO_SWEEP_MINUTES=0.01, **mail.settings())
    with app.extensions["db_sessionmaker"]() as session:
        stored, stray, young = _photo_files(app, session)
    worker = Worker(app)
    worker.run_once()
    assert not stray.exists()
    assert young.exists() and all(path.exists() for path in stored)
    # Not due again yet: a new stray file stays until the next sweep (0.6 s later here).
    later = stray.parent / "another-crash.jpg"
    later.write_bytes(b"x")
    os.utime(later, (time.time() - 2 * 3600,) * 2)
    worker.run_once()
    assert later.exists()
    assert wait_until(lambda: worker.run_once() == 0 and not later.exists(), 10)
    assert young.exists() and all(path.exists() for path in stored)
    app.extensions["db_engine"].dispose()


def test_the_photo_sweep_is_hourly_by_default_and_can_be_off(database_url, tmp_path, mail):
    app = make_app(database_url, tmp_path / "photos", PUBLIC_BASE_URL=BASE, **mail.settings())
    assert app.config["PHOTO_SWEEP_MINUTES"] == 60
    with app.extensions["db_sessionmaker"]() as session:
        _stored, stray, _young = _photo_files(app, session)
        assert session.scalars(select(Notification)).all() == []
    app.config["PHOTO_SWEEP_MINUTES"] = 0
    Worker(app).run_once()
    assert stray.exists()
    app.config["PHOTO_SWEEP_MINUTES"] = 60
    worker = Worker(app)
    worker.run_once()
    assert not stray.exists()
    stray.write_bytes(b"x")
    os.utime(stray, (time.time() - 2 * 3600,) * 2)
    worker.run_once()
    assert stray.exists()  # the next sweep is an hour away
    app.extensions["db_engine"].dispose()
