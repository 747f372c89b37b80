"""Where crews are (issue 17): a crew member on duty shares the phone's position; the
dispatcher sees each crew's last one and how old it is, and "assign" lists the case's crews
nearest first.

What is believed: a position inside the organization's boundary (or within BOUNDARY_MARGIN_M
of it: a crew on the road along the border), not later than now plus the phone's clock slack,
and no less precise than MAX_ACCURACY_M. Anything else is refused (a 4xx the phone's outbox
drops), never stored, so the map never shows a crew where it cannot be. Positions are kept by
the phone's clock: one queued without signal and sent after a newer one joins the track but
does not move the crew back. The crew member is always the signed-in user.

How old a last position is, as Traccar tells a device online / unknown / offline:
fresh up to FRESH (the phone sends every minute, so a few missed sends still count), stale up
to STALE (out of signal in the hills, or the page asleep), offline beyond. Positions older
than the organization's crew_position_days are deleted by the worker (purge).
"""
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated

from pydantic import BeforeValidator, Field
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from mapdash import db
from mapdash.api.params import Latitude, Longitude, Params, Refusal, decimal_number, whole_number
from mapdash.errors import UserError
from mapdash.i18n import _l
from mapdash.models import Incident, Organization, User
from mapdash.office import changes

MAX_ACCURACY_M = 1000
BOUNDARY_MARGIN_M = 500
CLOCK_SLACK = timedelta(minutes=5)   # a phone's clock may be a little ahead
FRESH = timedelta(minutes=5)
STALE = timedelta(minutes=30)
FRESHNESS = ("fresh", "stale", "offline")
FRESHNESS_LABELS = {"fresh": _l("Fresh"), "stale": _l("Stale"), "offline": _l("Offline")}
DEFAULT_RETENTION_DAYS, MAX_RETENTION_DAYS = 30, 365


def _moment(value):
    """ISO 8601 with its zone ("Z" welcome); a time without zone is refused."""
    if isinstance(value, str):
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        if moment.tzinfo is None:
            raise ValueError("no time zone")
        return moment
    return value


_BAD_TIME = Refusal("bad_time", _l("The phone's time of the position is not valid"))


class PositionForm(Params):
    """One position from the phone (the crew member is the signed-in user, never a field)."""
    lat: Latitude
    lon: Longitude
    accuracy: Annotated[float, Field(ge=0, le=MAX_ACCURACY_M, allow_inf_nan=False,
                                     description="Metres (the phone's estimate), at most 1,000."),
                        BeforeValidator(decimal_number),
                        Refusal("too_inaccurate", _l(
                            "The position is not precise enough (worse than 1 km): wait for "
                            "the GPS"))]
    recorded_at: Annotated[datetime, Field(
        description="When the phone took it (ISO 8601 with zone): a queued position is sent "
                    "later."), BeforeValidator(_moment), _BAD_TIME]


class StopForm(Params):
    stopped_at: Annotated[datetime, Field(description="When the crew stopped sharing (ISO 8601)."),
                          BeforeValidator(_moment), _BAD_TIME]


def _not_in_future(moment: datetime, now: datetime) -> None:
    if moment > now + CLOCK_SLACK:
        raise UserError("position_in_future", _l(
            "The phone's clock is ahead: set its date and time, then share again"),
            field="recorded_at", status=422)


@dataclass(frozen=True)
class Recorded:
    stored: bool   # False: this position was already stored (sent again)
    latest: bool   # True: it is now the crew's last known position


def record(session: Session, crew: User, form: PositionForm,
           now: datetime | None = None) -> Recorded:
    """Store one position of `crew`, and make it their last one unless a newer one (by the
    phone's clock) is kept, or they stopped sharing after it. Flushes."""
    now = now or datetime.now(UTC)
    _not_in_future(form.recorded_at, now)
    params = {"user": crew.id, "org": crew.organization_id, "lon": form.lon, "lat": form.lat,
              "accuracy": form.accuracy, "at": form.recorded_at, "now": now,
              "margin": BOUNDARY_MARGIN_M}
    inside = session.execute(text("""
        SELECT ST_Covers(boundary, p)
               OR ST_DWithin(boundary::geography, p::geography, :margin)
        FROM organizations, ST_SetSRID(ST_MakePoint(:lon, :lat), 4326) AS p
        WHERE id = :org"""), params).scalar_one()
    if not inside:
        raise UserError("position_outside", _l(
            "This position is outside the organization's area: it was not kept"),
            field="lat", status=422)
    stored = session.execute(text("""
        INSERT INTO crew_positions (user_id, organization_id, position, accuracy_m,
                                    recorded_at, received_at)
        VALUES (:user, :org, ST_SetSRID(ST_MakePoint(:lon, :lat), 4326), :accuracy, :at, :now)
        ON CONFLICT (user_id, recorded_at) DO NOTHING
        RETURNING id"""), params).first() is not None
    latest = session.execute(text("""
        INSERT INTO crew_last_positions AS last (user_id, organization_id, position, accuracy_m,
                                                 recorded_at, received_at)
        VALUES (:user, :org, ST_SetSRID(ST_MakePoint(:lon, :lat), 4326), :accuracy, :at, :now)
        ON CONFLICT (user_id) DO UPDATE
            SET organization_id = excluded.organization_id, position = excluded.position,
                accuracy_m = excluded.accuracy_m, recorded_at = excluded.recorded_at,
                received_at = excluded.received_at, stopped_at = NULL
            WHERE excluded.recorded_at > last.recorded_at
              AND (last.stopped_at IS NULL OR excluded.recorded_at > last.stopped_at)
        RETURNING user_id"""), params).first() is not None
    return Recorded(stored, latest)


def stop(session: Session, crew: User, stopped_at: datetime, now: datetime | None = None) -> None:
    """The crew stopped sharing at `stopped_at` (the phone's clock, at most now): their last
    position leaves the dispatcher's map and the nearest list until a newer one comes. The
    track stays until the retention ends. Flushes."""
    now = now or datetime.now(UTC)
    session.execute(text("""
        UPDATE crew_last_positions SET stopped_at = :at
        WHERE user_id = :user AND recorded_at <= :at"""),
        {"user": crew.id, "at": min(stopped_at, now)})


def freshness(recorded_at: datetime, now: datetime) -> str:
    """fresh / stale / offline: how old a last position is at `now` (see the module)."""
    age = now - recorded_at
    if age <= FRESH:
        return "fresh"
    if age <= STALE:
        return "stale"
    return "offline"


_LAST_POSITIONS = """
    SELECT u.id, u.display_name, u.department_id, d.name_th AS department_th,
           d.name_en AS department_en, ST_X(l.position) AS lon, ST_Y(l.position) AS lat,
           l.accuracy_m, l.recorded_at,
           (SELECT count(*) FROM incidents i
            WHERE i.organization_id = u.organization_id AND i.is_open
              AND i.assigned_to = u.id) AS open_cases
    FROM crew_last_positions l
    JOIN users u ON u.id = l.user_id
    LEFT JOIN departments d ON d.id = u.department_id
    WHERE l.organization_id = :org AND l.stopped_at IS NULL
      AND u.organization_id = :org AND u.role = 'crew' AND u.active
      AND (cardinality(CAST(:departments AS integer[])) = 0
           OR u.department_id = ANY(CAST(:departments AS integer[])))
    ORDER BY l.recorded_at DESC"""


def crews_geojson(session: Session, organization_id: int, department_ids: tuple[int, ...],
                  now: datetime) -> dict:
    """Each active crew member's last position (those of `department_ids`; () for every
    department) with how old it is at `now`, for the dispatcher's map. Crews are few (tens):
    the rows are shaped here."""
    rows = session.execute(text(_LAST_POSITIONS), {
        "org": organization_id, "departments": list(department_ids)}).all()
    return {"type": "FeatureCollection", "now": now.isoformat(), "features": [{
        "type": "Feature", "id": row.id,
        "geometry": {"type": "Point", "coordinates": [round(row.lon, 6), round(row.lat, 6)]},
        "properties": {
            "name": row.display_name, "department_th": row.department_th,
            "department_en": row.department_en, "accuracy_m": round(row.accuracy_m),
            "recorded_at": row.recorded_at.isoformat(),
            "age_s": max(int((now - row.recorded_at).total_seconds()), 0),
            "freshness": freshness(row.recorded_at, now), "open_cases": row.open_cases,
        }} for row in rows]}


@dataclass(frozen=True)
class NearCrew:
    id: int
    name: str
    open_cases: int
    distance_m: float | None       # None: no position shared (or sharing stopped)
    recorded_at: datetime | None
    freshness: str | None
    age: timedelta | None


def nearest_crews(session: Session, incident: Incident, now: datetime) -> list[NearCrew]:
    """The active crews of the case's department (of every department when it has none),
    nearest first by straight-line distance from their last position to the case; those
    without a position (or a case without a place) after, fewest open cases first."""
    rows = session.execute(text("""
        SELECT u.id, u.display_name,
               (SELECT count(*) FROM incidents o
                WHERE o.organization_id = u.organization_id AND o.is_open
                  AND o.assigned_to = u.id) AS open_cases,
               ST_Distance(l.position::geography, i.location::geography) AS distance_m,
               l.recorded_at
        FROM incidents i
        JOIN users u ON u.organization_id = i.organization_id
        LEFT JOIN crew_last_positions l ON l.user_id = u.id AND l.stopped_at IS NULL
        WHERE i.id = :incident AND u.role = 'crew' AND u.active
          AND (u.department_id = i.department_id OR NOT EXISTS (
                SELECT 1 FROM users c WHERE c.organization_id = i.organization_id
                  AND c.role = 'crew' AND c.active AND c.department_id = i.department_id))
        ORDER BY distance_m NULLS LAST, open_cases, u.display_name, u.id"""),
        {"incident": incident.id}).all()
    return [NearCrew(
        id=row.id, name=row.display_name, open_cases=row.open_cases,
        distance_m=row.distance_m, recorded_at=row.recorded_at,
        freshness=freshness(row.recorded_at, now) if row.recorded_at else None,
        age=now - row.recorded_at if row.recorded_at else None) for row in rows]


def purge(session: Session, now: datetime) -> int:
    """Delete the positions older than their organization's crew_position_days (by the
    phone's clock), from the track and from the last positions. Returns the track rows
    deleted."""
    params = {"now": now}
    session.execute(text("""
        DELETE FROM crew_last_positions l USING organizations o
        WHERE o.id = l.organization_id
          AND l.recorded_at < :now - make_interval(days => o.crew_position_days)"""), params)
    return db.rowcount(session.execute(text("""
        DELETE FROM crew_positions p USING organizations o
        WHERE o.id = p.organization_id
          AND p.recorded_at < :now - make_interval(days => o.crew_position_days)"""),
        params))


class RetentionForm(Params):
    crew_position_days: Annotated[int, Field(ge=1, le=MAX_RETENTION_DAYS),
                                  BeforeValidator(whole_number),
                                  Refusal("bad_retention", _l(
                                      "Keep crews' positions for 1 to %(max)s days",
                                      max=MAX_RETENTION_DAYS))]


def set_retention(session: Session, actor: User, days: int) -> Organization:
    """For how many days crews' positions are kept (recorded in the admin changes). Flushes."""
    org = session.scalars(select(Organization).where(Organization.id == actor.organization_id)
                          .with_for_update()).one()
    before = {"crew_position_days": org.crew_position_days}
    org.crew_position_days = days
    session.flush()
    changes.record(session, actor, "organization", "changed", label=org.slug, subject_id=org.id,
                   before=before, after={"crew_position_days": days})
    return org
