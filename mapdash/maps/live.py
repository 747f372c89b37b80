"""Live dispatcher screens (issue 15, item 4): changes pushed as server-sent events.

Every statement that adds or changes cases NOTIFYs its organizations at commit (sql/038).
Each app process holds ONE listening connection, in a thread of its own, however many
screens are open: when an organization's cases change, the thread reads what changed once
per kind of reader (the organization's dispatchers and admins see every case, an officer
their department's: geo.changes, what /api/dispatch/changes answers) and puts that answer
in the queue of every open stream of that kind. A stream never holds a database connection.

The listening connection goes straight to PostgreSQL (LIVE_LISTEN_URL, default DATABASE_URL):
behind PgBouncer in transaction mode a LISTEN would be lost with its server connection.
When it breaks, every stream ends (the screens poll /changes and try the stream again) and
the next stream connects it anew: no thread lingers retrying a database nobody waits for.
"""
import json
import logging
import queue
import threading
import time
from datetime import UTC, datetime, timedelta

import psycopg
from flask import Flask

from mapdash import db
from mapdash.maps import geo

CHANNEL = "mapdash_cases"  # sql/038_case_notify.sql
# A burst of reports (an import, an Open311 client) is one read, not one per report.
GATHER_SECONDS = 0.05
# Answers a stream may have waiting; a screen that reads none of them is dropped (it
# reconnects, or polls) rather than hold the process's memory.
QUEUE_SIZE = 20
# How long a stream waits for the listening connection before answering 503 (poll instead).
CONNECT_SECONDS = 5
# While nothing arrives, the listener checks its connection this often: a silently dead
# connection (a restarted server behind a NAT) ends the streams instead of leaving them mute.
CHECK_SECONDS = 30
# A change committed a moment after its timestamp must not slip between two reads (as for
# /changes): each read looks back this much further; the page ignores what it has seen.
OVERLAP = timedelta(seconds=30)

log = logging.getLogger(__name__)

# The kind of reader: organization and departments (empty: every department).
Scope = tuple[int, tuple[int, ...]]
# What a stream's queue receives when it must end.
CLOSED = object()


class Stream:
    """One open screen's queue of answers to send."""

    def __init__(self, hub: "Hub", scope: Scope):
        self._hub = hub
        self.scope = scope
        self._queue: queue.Queue = queue.Queue(maxsize=QUEUE_SIZE)

    def offer(self, item) -> bool:
        try:
            self._queue.put_nowait(item)
            return True
        except queue.Full:
            return False

    def next(self, timeout: float):
        """The next answer (JSON text), None when `timeout` passed without one, or CLOSED."""
        try:
            return self._queue.get(timeout=timeout)
        except queue.Empty:
            return None

    def close(self) -> None:
        self._hub.unsubscribe(self)


class Hub:
    """The process's listening connection and the streams it feeds."""

    def __init__(self, app: Flask):
        self._app = app
        self._url = app.config.get("LIVE_LISTEN_URL") or app.config["DATABASE_URL"]
        self._lock = threading.Lock()
        self._streams: dict[Scope, set[Stream]] = {}
        self._cursors: dict[Scope, datetime] = {}   # each scope's last read
        self._thread: threading.Thread | None = None
        self._connected = threading.Event()
        self._stopping = threading.Event()

    # --- the streams' side ---------------------------------------------------------------
    def subscribe(self, scope: Scope) -> Stream | None:
        """A stream of `scope`'s changes from now on (what changed before, the caller reads
        itself once), or None when the database cannot be listened to (the screen polls)."""
        listener = self._start()
        deadline = time.monotonic() + CONNECT_SECONDS
        while not self._connected.wait(0.05):
            if not listener.is_alive() or time.monotonic() > deadline:
                return None  # it could not connect
        stream = Stream(self, scope)
        with self._lock:
            self._streams.setdefault(scope, set()).add(stream)
            self._cursors.setdefault(scope, datetime.now(UTC))
        return stream

    def unsubscribe(self, stream: Stream) -> None:
        with self._lock:
            streams = self._streams.get(stream.scope)
            if streams is not None:
                streams.discard(stream)
                if not streams:
                    del self._streams[stream.scope]
                    self._cursors.pop(stream.scope, None)

    def open_streams(self) -> int:
        with self._lock:
            return sum(len(streams) for streams in self._streams.values())

    def stop(self) -> None:
        """End the listener and every stream (the app's end, a test's teardown)."""
        self._stopping.set()
        thread = self._thread
        if thread is not None:
            thread.join(timeout=CHECK_SECONDS + 5)

    # --- the listener's side -------------------------------------------------------------
    def _start(self) -> threading.Thread:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._connected.clear()
                self._stopping.clear()
                self._thread = threading.Thread(target=self._listen, name="mapdash-live",
                                                daemon=True)
                self._thread.start()
            return self._thread

    def _listen(self) -> None:
        try:
            with db.listening_connection(self._url, CHANNEL, connect_timeout=CONNECT_SECONDS,
                                         application_name="mapdash live listener") as conn:
                self._connected.set()
                while not self._stopping.is_set():
                    organizations = self._gather(conn)
                    if organizations:
                        self._push(organizations)
                    elif organizations is None:
                        conn.execute("SELECT 1")  # quiet for a while: is it still there?
        except psycopg.Error as error:
            log.warning("live updates: the listening connection ended (%s); open screens poll "
                        "until it is back", error)
        except Exception:  # a read that failed: logged; the screens poll and reconnect
            log.exception("live updates: the listener stopped")
        finally:
            self._connected.clear()
            self._close_all()

    def _gather(self, conn: psycopg.Connection) -> set[int] | None:
        """The organizations whose cases changed: waits up to a second for the first
        notification (to see `stop` soon), then gathers the ones sent right after it. None
        when nothing came for CHECK_SECONDS."""
        organizations: set[int] = set()
        quiet = 0.0
        while not organizations and quiet < CHECK_SECONDS:
            if self._stopping.is_set():
                return organizations
            for note in conn.notifies(timeout=1.0, stop_after=1):
                organizations.add(int(note.payload))
            quiet += 1.0
        if not organizations:
            return None
        for note in conn.notifies(timeout=GATHER_SECONDS):
            organizations.add(int(note.payload))
        return organizations

    def _push(self, organizations: set[int]) -> None:
        with self._lock:
            scopes = {scope: self._cursors[scope] for scope in self._streams
                      if scope[0] in organizations}
        if not scopes:
            return
        with self._app.app_context(), db.new_session(self._app) as session:
            for scope, since in scopes.items():
                answer = geo.changes(session, geo.MapFilter(scope[0], department_ids=scope[1]),
                                     since - OVERLAP)
                answer["lsn"] = db.write_position(session)
                session.rollback()  # each read sees the newest commits
                text = json.dumps(answer, separators=(",", ":"))
                with self._lock:
                    self._cursors[scope] = datetime.fromisoformat(answer["now"])
                    streams = list(self._streams.get(scope, ()))
                for stream in streams:
                    if not stream.offer(text):
                        log.info("live updates: a screen stopped reading; its stream ends")
                        self.unsubscribe(stream)
                        stream.offer(CLOSED)

    def _close_all(self) -> None:
        with self._lock:
            streams = [s for group in self._streams.values() for s in group]
            self._streams.clear()
            self._cursors.clear()
        for stream in streams:
            if not stream.offer(CLOSED):
                stream.next(0)  # full: make room for the end
                stream.offer(CLOSED)


def hub(app: Flask) -> Hub:
    """The app's hub (one per app in this process), made on first use."""
    found = app.extensions.get("live_hub")
    if found is None:
        found = app.extensions.setdefault("live_hub", Hub(app))
    return found
