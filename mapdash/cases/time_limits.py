"""The time limits a case keeps: its type's step limits (seed 001) when it was reported.

An administrator changes a type's limits (Category.sla_minutes, /admin/types) for the cases
to come; a case already open keeps the limits it started with. Each distinct set of limits is
one row of time_limits (sql/017) that is never changed, and a case points at its set:
workflow's clock and the map's overdue SQL read the case's own limits through it.
"""
import json
import threading
import weakref
from collections.abc import Mapping

from sqlalchemy import Engine, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from mapdash import db
from mapdash.models import DEFAULT_SLA_MINUTES, TimeLimits

# Every report looks its type's set up: the ids of committed sets (rows never changed nor
# deleted), per database engine, so each report is one statement shorter.
_known_ids: "weakref.WeakKeyDictionary[Engine, dict[str, int]]" = weakref.WeakKeyDictionary()
_known_lock = threading.Lock()
_SEEN = "time_limits_seen"


def complete(minutes: Mapping) -> dict[str, int]:
    """{step: minutes} for every step of seed 001, those `minutes` leaves out at their default."""
    return {step: int(minutes.get(step, default)) for step, default in DEFAULT_SLA_MINUTES.items()}


def set_for(session: Session, minutes: Mapping) -> TimeLimits:
    """The stored set of these limits (completed), stored first when no case used it yet."""
    wanted = complete(minutes)
    query = select(TimeLimits).where(TimeLimits.minutes == wanted)
    found = session.scalars(query).first()
    if found is None:
        # Two first cases of a new set at once: the second waits for the first, then finds it.
        session.execute(insert(TimeLimits).values(minutes=wanted)
                        .on_conflict_do_nothing(index_elements=["minutes"]))
        found = session.scalars(query).one()
    return found


def set_id_for(session: Session, minutes: Mapping) -> int:
    """The id of set_for's row, from memory once a committed transaction has used it."""
    engine = session.get_bind()
    assert isinstance(engine, Engine)
    wanted = json.dumps(complete(minutes), sort_keys=True)
    known = _known_ids.get(engine, {}).get(wanted)
    if known is not None:
        return known
    found = set_for(session, minutes)
    # Remembered only once this transaction commits: a set it stored itself may roll back.
    db.on_this_session(session, "time_limits", after_commit=_remember_seen,
                       after_soft_rollback=_forget_seen)
    session.info.setdefault(_SEEN, {})[wanted] = found.id
    return found.id


def _remember_seen(session: Session) -> None:
    seen = session.info.pop(_SEEN, None)
    engine = session.get_bind()
    if seen and isinstance(engine, Engine):
        with _known_lock:
            _known_ids.setdefault(engine, {}).update(seen)


def _forget_seen(session: Session, previous_transaction) -> None:
    session.info.pop(_SEEN, None)  # a savepoint's too: the set may have been stored in it
