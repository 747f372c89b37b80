"""The database: one pooled engine per app, one session per request, the migration runner."""
from collections.abc import Callable
from pathlib import Path
from typing import cast

import psycopg
from flask import Flask, current_app, g
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


def make_engine(url: str) -> Engine:
    # A short connect timeout lets /healthz answer 503 quickly when the database is down.
    return create_engine(url, pool_size=5, max_overflow=10, pool_pre_ping=True,
                         connect_args={"connect_timeout": 3})


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
    # A session knows its app (session.info["app"]): what a service's side effect needs of
    # the settings at commit time (the outbox's links) even outside a request.
    app.extensions["db_sessionmaker"] = sessionmaker(bind=engine, expire_on_commit=False,
                                                     info={"app": app})


def engine() -> Engine:
    return current_app.extensions["db_engine"]


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


def rowcount(result: Result) -> int:
    """How many rows an UPDATE, DELETE or INSERT ... SELECT touched."""
    return cast(CursorResult, result).rowcount


def session() -> Session:
    """The request's session. Services flush; only the request (or a CLI command) commits."""
    if "db_session" not in g:
        g.db_session = current_app.extensions["db_sessionmaker"]()
    return g.db_session


def _commit_on_success(response):
    # Commit before the response leaves, so a failed commit is never reported as success.
    db_session = g.get("db_session")
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
