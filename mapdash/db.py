"""The database: one pooled engine per app, one session per request, the migration runner,
and the map's reads from a streaming-replication standby when there is one."""
import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import cast

import psycopg
from flask import Flask, current_app, g, request
from psycopg import sql
from sqlalchemy import create_engine, event, exc, text
from sqlalchemy.engine import CursorResult, Engine, Result
from sqlalchemy.orm import Session, sessionmaker
from yoyo import get_backend, read_migrations

from mapdash.config import PROJECT_ROOT

MIGRATIONS_DIR = PROJECT_ROOT / "sql"
# What SQLAlchemy raises when the database cannot be used; is_outage() tells which of these
# mean "down" (try again later), as opposed to a bug in a query.
DATABASE_ERRORS = (exc.DBAPIError, exc.TimeoutError)
# SQLSTATEs of a server that is unreachable, going down, starting up or full: class 08
# (connection exception), admin_shutdown, crash_shutdown, cannot_connect_now,
# too_many_connections.
_OUTAGE_STATES = ("57P01", "57P02", "57P03", "53300")
# A standby that cannot be reached is asked again only after this long: meanwhile the
# primary answers at once instead of each read waiting for a connect to fail.
REPLICA_RETRY_SECONDS = 30.0
REPLICA_CONNECT_SECONDS = 1
# After a reader's write (any successful POST...), their reads go to the primary this long,
# so what they just did is on their map whatever the standby's lag (a cookie says so).
READ_OWN_WRITES_SECONDS = 10
PRIMARY_COOKIE = "mapdash_primary"

log = logging.getLogger(__name__)


def make_engine(url: str, connect_timeout: int = 3, pool_size: int = 5,
                max_overflow: int = 10) -> Engine:
    # A short connect timeout lets /healthz answer 503 quickly when the database is down.
    return create_engine(url, pool_size=pool_size, max_overflow=max_overflow, pool_pre_ping=True,
                         connect_args={"connect_timeout": connect_timeout})


class Replica:
    """A read-only standby (DATABASE_REPLICA_URL) and whether it answered lately."""

    def __init__(self, url: str, app: Flask):
        self.engine = make_engine(url, connect_timeout=REPLICA_CONNECT_SECONDS)
        self.sessions = sessionmaker(bind=self.engine, expire_on_commit=False, info={"app": app})
        self._down_until = 0.0
        self._lock = threading.Lock()

    def usable(self) -> bool:
        return time.monotonic() >= self._down_until

    def down(self, error: BaseException) -> None:
        with self._lock:
            if self.usable():
                log.warning("the read standby does not answer (%s); the primary serves the "
                            "map's reads for %.0f s", error, REPLICA_RETRY_SECONDS)
            self._down_until = time.monotonic() + REPLICA_RETRY_SECONDS


def init_app(app: Flask) -> None:
    if not app.config.get("DATABASE_URL"):
        raise RuntimeError("DATABASE_URL is not set")
    bind(app)
    app.after_request(_commit_on_success)
    app.teardown_appcontext(_close_session)


def bind(app: Flask) -> None:
    """The engine and sessions of app.config["DATABASE_URL"] (the tests bind one app to each
    test's database in turn: building an app's routes costs more than most tests)."""
    engine = make_engine(app.config["DATABASE_URL"])
    app.extensions["db_engine"] = engine
    earlier = app.extensions.get("db_side_engine")
    if earlier is not None:
        earlier.dispose()
    app.extensions["db_side_engine"] = make_engine(app.config["DATABASE_URL"], pool_size=2,
                                                   max_overflow=8)
    # A session knows its app (session.info["app"]): what a service's side effect needs of
    # the settings at commit time (the outbox's links) even outside a request.
    app.extensions["db_sessionmaker"] = sessionmaker(bind=engine, expire_on_commit=False,
                                                     info={"app": app})
    app.extensions.pop("db_replica", None)
    if app.config.get("DATABASE_REPLICA_URL"):
        app.extensions["db_replica"] = Replica(app.config["DATABASE_REPLICA_URL"], app)


def engine() -> Engine:
    return current_app.extensions["db_engine"]


def side_engine() -> Engine:
    """For a short transaction of its own while the request's session holds a connection (a
    rate limit's counter): from a pool of its own. From the same pool, threads that each held
    one connection waited for a second once there were more threads than connections (gthread),
    until the pool's 30 s timeout answered 503."""
    return current_app.extensions["db_side_engine"]


def new_session(app: Flask, **options) -> Session:
    """A session of the app's database outside a request: a script, the CLI, a test."""
    return app.extensions["db_sessionmaker"](**options)


def on_this_session(session: Session, name: str, **handlers: Callable) -> None:
    """Attach `handlers` ({session event: function}) to this one session, once under `name`:
    a service's side effect that follows its transaction (a file to delete if it rolls back,
    messages to write just before it commits), asked for where the service makes the change."""
    flag = f"on_this_session:{name}"
    if not session.info.get(flag):
        session.info[flag] = True
        for event_name, handler in handlers.items():
            event.listen(session, event_name, handler)


def is_outage(error: BaseException) -> bool:
    """Whether a database error means the database is down or unreachable, so the answer is
    "try again shortly" (503). Every other error (a constraint violated, a statement timeout,
    bad SQL) is a bug to fix and stays one."""
    if isinstance(error, exc.TimeoutError):
        return True  # no pooled connection came free in time: the server does not answer
    if not isinstance(error, exc.DBAPIError):
        return False
    if error.connection_invalidated:
        return True  # the connection broke in use: server stopped, crashed or restarted
    cause = error.orig
    if not isinstance(cause, psycopg.OperationalError | psycopg.InterfaceError):
        return False
    # No SQLSTATE: no server answered at all (refused, no socket, timed out, reset).
    state = cause.sqlstate
    return state is None or state.startswith("08") or state in _OUTAGE_STATES


def libpq_url(url: str) -> str:
    """SQLAlchemy's postgresql+psycopg:// URL as libpq (psycopg.connect) reads it."""
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


def listening_connection(url: str, channel: str, *, application_name: str,
                         connect_timeout: int) -> psycopg.Connection:
    """A connection that LISTENs on `channel`, made from SQLAlchemy's `url`. Give it the
    PostgreSQL server's own address (LIVE_LISTEN_URL): through PgBouncer in transaction mode
    a LISTEN is lost with its server connection."""
    connection = psycopg.connect(libpq_url(url), autocommit=True, connect_timeout=connect_timeout,
                                 application_name=application_name)
    try:
        connection.execute(sql.SQL("LISTEN {}").format(sql.Identifier(channel)))
    except BaseException:
        connection.close()
        raise
    return connection


def rowcount(result: Result) -> int:
    """How many rows an UPDATE, DELETE or INSERT ... SELECT touched."""
    return cast(CursorResult, result).rowcount


def session() -> Session:
    """The request's session. Services flush; only the request (or a CLI command) commits."""
    if "db_session" not in g:
        g.db_session = current_app.extensions["db_sessionmaker"]()
    return g.db_session


def read_session(fresh: str | None = None) -> Session:
    """The request's session for the map's reads: the standby's when one is configured, it
    answers, this reader has not written lately, and it has replayed the primary's WAL up to
    `fresh` (a write position from /changes, see write_position) when given; else the
    primary's. Writes never go through it: a standby refuses them."""
    if "db_read_session" in g:
        return g.db_read_session
    replica: Replica | None = current_app.extensions.get("db_replica")
    chosen = None
    if replica is not None and replica.usable() and not request.cookies.get(PRIMARY_COOKIE):
        candidate = replica.sessions()
        try:
            # Connect now: an unreachable standby is found here, not in the middle of a read.
            candidate.connection()
            caught_up = candidate.execute(
                text("SELECT CAST(:fresh AS pg_lsn) <= pg_last_wal_replay_lsn()"),
                {"fresh": fresh}).scalar() if fresh else True
        except DATABASE_ERRORS as error:
            candidate.close()
            if not is_outage(error):
                raise
            replica.down(error)
        else:
            if caught_up:
                chosen = candidate
            else:
                candidate.close()
    if chosen is None:
        chosen = session()
    g.db_read_session = chosen
    return chosen


def write_position(db_session: Session) -> str:
    """The primary's current WAL position: a standby that replayed it has every commit the
    caller has seen (read_session's `fresh`). The insert position, not the write position:
    with synchronous_commit off a commit returns before its record is written, so the write
    position may still be short of it."""
    return db_session.execute(text("SELECT pg_current_wal_insert_lsn()::text")).scalar_one()


def _commit_on_success(response):
    # Commit before the response leaves, so a failed commit is never reported as success.
    db_session = g.get("db_session")
    if (response.status_code < 400 and request.method not in ("GET", "HEAD", "OPTIONS")
            and "db_replica" in current_app.extensions):
        response.set_cookie(PRIMARY_COOKIE, "1", max_age=READ_OWN_WRITES_SECONDS,
                            httponly=True, samesite="Lax",
                            secure=current_app.config.get("SESSION_COOKIE_SECURE", False))
    if db_session is not None:
        if response.status_code < 400:
            try:
                db_session.commit()
            except DATABASE_ERRORS as error:
                if not is_outage(error):
                    raise
                # The database went away at the commit: answered as any outage (the error
                # handlers' 503), not as a crash. Nothing was stored, or the client's retry
                # finds it (idempotency keys).
                db_session.rollback()
                return current_app.make_response(current_app.handle_user_exception(error))
        else:
            db_session.rollback()
    return response


def _close_session(_exc=None):
    read_session = g.pop("db_read_session", None)
    if read_session is not None and read_session is not g.get("db_session"):
        read_session.rollback()
        read_session.close()
    db_session = g.pop("db_session", None)
    if db_session is not None:
        db_session.rollback()
        db_session.close()


def database_answers() -> bool:
    try:
        with engine().connect() as conn:
            conn.execute(text("SELECT 1"))
        return True
    except Exception:  # any failure to reach the database is "down" for the health check
        return False


def upgrade(url: str, migrations_dir: Path = MIGRATIONS_DIR) -> list[str]:
    """Apply the numbered SQL files in sql/ that are not yet recorded. Returns their ids.

    yoyo understands SQLAlchemy's `postgresql+psycopg://` URLs as they are."""
    backend = get_backend(url)
    try:
        with backend.lock():
            pending = backend.to_apply(read_migrations(str(migrations_dir)))
            backend.apply_migrations(pending)
        return [m.id for m in pending]
    finally:
        backend.connection.close()


def pending_migrations(url: str, migrations_dir: Path = MIGRATIONS_DIR) -> list[str]:
    backend = get_backend(url)
    try:
        return [m.id for m in backend.to_apply(read_migrations(str(migrations_dir)))]
    finally:
        backend.connection.close()
