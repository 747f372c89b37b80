"""The time limits a case keeps: its type's step limits (seed 001) when it was reported.

An administrator changes a type's limits (Category.sla_minutes, /admin/types) for the cases
to come; a case already open keeps the limits it started with. Each distinct set of limits is
one row of time_limits (sql/017) that is never changed, and a case points at its set:
workflow's clock and the map's overdue SQL read the case's own limits through it.
"""
from collections.abc import Mapping

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from mapdash.models import DEFAULT_SLA_MINUTES, TimeLimits


def complete(minutes: Mapping) -> dict[str, int]:
    """{step: minutes} for every step of seed 001, those `minutes` leaves out at their default."""
    return {step: int(minutes.get(step, default)) for step, default in DEFAULT_SLA_MINUTES.items()}


def set_for(session: Session, minutes: Mapping) -> TimeLimits:
    """The stored set of these limits (completed), stored first when no case used it yet."""
    return session.get_one(TimeLimits, set_id_for(session, minutes))


def set_id_for(session: Session, minutes: Mapping) -> int:
    """The id of set_for's set: what a new case stores, without loading the row."""
    wanted = complete(minutes)
    query = select(TimeLimits.id).where(TimeLimits.minutes == wanted)
    found = session.scalar(query)
    if found is None:
        # Two first cases of a new set at once: the second waits for the first, then finds it.
        session.execute(insert(TimeLimits).values(minutes=wanted)
                        .on_conflict_do_nothing(index_elements=["minutes"]))
        found = session.scalars(query).one()
    return found
