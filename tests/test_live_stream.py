"""Live dispatcher screens pushed by server-sent events (issue 15, item 4), over real HTTP:
NOTIFY from the database's trigger, one listening connection per app process, and the
page falling back to polling when the stream is cut."""
import http.client
import json
import re
import time
from datetime import UTC, datetime
from urllib.parse import urlsplit

import pytest
from sqlalchemy import text

from mapdash.api.openapi_schemas import ref
from tests.support import login
from tests.test_browser_dispatch import DISPATCHER, PASSWORD, TIMEOUT_MS, report_now, sign_in
from tests.test_openapi import DOC, validator

OFFICER = "officer@demo.mapdash.test"  # engineering: street lights, water, roads


def signed_in_cookie(base: str, email: str) -> str:
    """The session cookie of `email` signed in over HTTP."""
    parts = urlsplit(base)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    conn.request("GET", "/login")
    response = conn.getresponse()
    page = response.read().decode()
    cookie = response.headers["Set-Cookie"].split(";")[0]
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    body = f"email={email}&password={PASSWORD}&csrf_token={token}"
    conn.request("POST", "/login", body=body, headers={
        "Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"})
    response = conn.getresponse()
    response.read()
    assert response.status == 302, response.status
    conn.close()
    return response.headers["Set-Cookie"].split(";")[0]


class EventStream:
    """One screen's /api/dispatch/stream, read event by event."""

    def __init__(self, base: str, cookie: str):
        parts = urlsplit(base)
        since = datetime.now(UTC).isoformat().replace("+00:00", "Z")
        self.conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=15)
        self.conn.request("GET", f"/api/dispatch/stream?since={since}", headers={
            "Cookie": cookie, "Accept": "text/event-stream", "Accept-Encoding": "gzip, br, zstd"})
        self.response = self.conn.getresponse()

    def next_event(self) -> tuple[str, str] | None:
        """(event, data) of the next event; None when the server ended the stream."""
        name, data = "message", ""
        while True:
            line = self.response.readline()
            if not line:
                return None
            line = line.decode().rstrip("\n")
            if not line:
                if data:
                    return name, data
                continue
            field, _, value = line.partition(": ")
            if field == "event":
                name = value
            elif field == "data":
                data = value

    def next_changes(self) -> dict:
        while True:
            event = self.next_event()
            assert event is not None, "the stream ended"
            if event[0] == "changes":
                return json.loads(event[1])

    def close(self) -> None:
        self.conn.close()


def listeners(app) -> list[int]:
    """The backends of the app's database that LISTEN (pids)."""
    with app.extensions["db_engine"].connect() as conn:
        return list(conn.execute(text(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
            " AND query LIKE 'LISTEN %'")).scalars())


def backends(app) -> int:
    with app.extensions["db_engine"].connect() as conn:
        return conn.execute(text(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()")).scalar()


@pytest.fixture
def live_app(demo_app):
    demo_app.config["LIVE_HEARTBEAT_SECONDS"] = 0.5
    yield demo_app
    from mapdash.maps import live
    live.hub(demo_app).stop()


def test_a_reported_case_reaches_every_open_stream_through_one_listening_connection(
        live_app, live_server):
    dispatcher = signed_in_cookie(live_server, DISPATCHER)
    officer = signed_in_cookie(live_server, OFFICER)
    streams = [EventStream(live_server, dispatcher) for _ in range(20)]
    engineering = EventStream(live_server, officer)
    try:
        for stream in [*streams, engineering]:
            assert stream.response.status == 200
            assert stream.response.headers["Content-Type"].startswith("text/event-stream")
            # Neither compressed (a compressor holds events back) nor cached.
            assert stream.response.headers.get("Content-Encoding") is None
            assert "no-store" in stream.response.headers["Cache-Control"]
            first = stream.next_changes()  # at once: what /changes would answer
            validator(ref("Changes")).validate(first)
        assert stream.next_event() == ("heartbeat", "{}")  # while nothing changes

        # 21 open screens: one listening connection, and no connection held by a stream.
        assert len(listeners(live_app)) == 1
        assert backends(live_app) <= 1 + 5 + 1  # listener, the pool's idle ones, this count

        started = time.monotonic()
        light = report_now(live_app, category_code="streetlight", lon=104.6205, lat=17.3502,
                           description="ไฟดับหน้าวัด")
        for stream in streams:
            changed = stream.next_changes()["changed"]
            while light.id not in {c["id"] for c in changed}:
                changed = stream.next_changes()["changed"]
        delay = time.monotonic() - started
        assert delay < 5, f"the new case took {delay:.1f} s to reach 20 streams"

        # An officer reads their department's cases only: an emergency is not theirs.
        ems = report_now(live_app, category_code="ems", lon=104.6215, lat=17.3515,
                         description="รถล้ม")
        answer = streams[0].next_changes()
        while ems.id not in {c["id"] for c in answer["changed"]}:
            answer = streams[0].next_changes()
        assert ems.id in {a["id"] for a in answer["alerts"]}  # the alarm rings on the stream
        seen_by_officer = set()
        while light.id not in seen_by_officer:
            officer_answer = engineering.next_changes()
            seen_by_officer |= {c["id"] for c in officer_answer["changed"]}
            assert ems.id not in seen_by_officer
            assert ems.id not in {a["id"] for a in officer_answer["alerts"]}

        # The listening connection cut (a restart, a failover): every stream ends, so the
        # screens poll; the next stream listens anew.
        [pid] = listeners(live_app)
        with live_app.extensions["db_engine"].connect() as conn:
            conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        for stream in streams:
            event = stream.next_event()
            while event is not None:
                event = stream.next_event()
    finally:
        for stream in [*streams, engineering]:
            stream.close()
    again = EventStream(live_server, dispatcher)
    try:
        assert again.response.status == 200 and again.next_changes()["changed"]
        new_pid = listeners(live_app)
        assert len(new_pid) == 1 and new_pid != [pid]
    finally:
        again.close()


def test_the_page_keeps_updating_by_polling_while_the_stream_is_cut(
        live_app, live_server, desktop, screenshot_dir):
    page = desktop
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    sign_in(page, live_server)
    root = page.locator("#dispatch")
    page.wait_for_function("() => document.getElementById('dispatch').dataset.transport"
                           " === 'stream'", timeout=TIMEOUT_MS)

    def shows(incident):
        page.locator(f".case-row[data-case-id='{incident.id}']").wait_for(timeout=TIMEOUT_MS)

    shows(report_now(live_app, category_code="streetlight", lon=104.6205, lat=17.3502,
                     description="ไฟดับ ต้นที่ 1"))
    assert root.get_attribute("data-transport") == "stream"

    # Streams refused from now on, and the open one cut by the server.
    page.route("**/api/dispatch/stream*", lambda route: route.abort())
    [pid] = listeners(live_app)
    with live_app.extensions["db_engine"].connect() as conn:
        conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    page.wait_for_function("() => document.getElementById('dispatch').dataset.transport"
                           " === 'poll'", timeout=TIMEOUT_MS)
    shows(report_now(live_app, category_code="road", lon=104.6195, lat=17.3495,
                     description="ถนนเป็นหลุม (ระหว่างที่สตรีมขาด)"))
    assert root.get_attribute("data-transport") == "poll"
    assert page.locator("#live-state").get_attribute("data-state") == "live"
    page.screenshot(path=str(screenshot_dir / "dispatch-live-polling.png"))

    # The stream back: the page leaves polling for it.
    page.unroute("**/api/dispatch/stream*")
    page.wait_for_function("() => document.getElementById('dispatch').dataset.transport"
                           " === 'stream'", timeout=30_000)
    shows(report_now(live_app, category_code="water", lon=104.6210, lat=17.3508,
                     description="ท่อประปาแตก"))
    assert errors == []


def test_without_a_database_to_listen_to_the_stream_answers_503_at_once(demo_app):
    demo_app.config["LIVE_LISTEN_URL"] = "postgresql+psycopg://postgres@/x?host=/nonexistent"
    client = demo_app.test_client()
    login(client, DISPATCHER, PASSWORD)
    started = time.monotonic()
    response = client.get("/api/dispatch/stream?since=2026-03-04T03:00:00Z")
    assert time.monotonic() - started < 2
    assert response.status_code == 503 and response.headers["Retry-After"] == "5"
    documented = DOC["paths"]["/api/dispatch/stream"]["get"]["responses"]["503"]
    validator(documented["content"]["application/json"]["schema"]).validate(response.get_json())
    # The page's poll still answers.
    assert client.get("/api/dispatch/changes?since=2026-03-04T03:00:00Z").status_code == 200
