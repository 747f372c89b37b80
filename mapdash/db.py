"""The database: one pooled engine per app, one session per request, the migration runner."""
from collections.abc import Callable
from pathlib import Path
from typing import cast

from flask import Flask, current_app, g
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import CursorResult, Engine, Result
from sqlalchemy.orm import Session, sessionmaker
from yoyo import get_backend, read_migrations

from mapdash.config import PROJECT_ROOT

MIGRATIONS_DIR = PROJECT_ROOT / "sql"


def make_engine(url: str) -> Engine:
    # A short connect timeout lets /healthz answer 503 quickly when the database is down.
    return create_engine(url, pool_size=5, max_overflow=10, pool_pre_ping=True,
                         connect_args={"connect_timeout": 3})


def init_app(app: Flask) -> None:
    if not app.config.get("DATABASE_URL"):
        raise RuntimeError("DATABASE_URL is not set")
    engine = make_engine(app.config["DATABASE_URL"])
    app.extensions["db_engine"] = engine
    # A session knows its app (session.info["app"]): what a service's side effect needs of
    # the settings at commit time (the outbox's links) even outside a request.
    app.extensions["db_sessionmaker"] = sessionmaker(bind=engine, expire_on_commit=False,
                                                     info={"app": app})
    app.after_request(_commit_on_success)
    app.teardown_appcontext(_close_session)


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
            db_session.commit()
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
