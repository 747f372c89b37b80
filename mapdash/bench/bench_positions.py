"""Crews' positions (field/positions.py): a month of tracks (CREWS crews sharing a position a
minute for 8 hours a day), then one position stored, the dispatcher's crew layer, the nearest
crews of a case, and the retention purge of one day's positions."""
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from mapdash.field import positions
from mapdash.models import Incident
from mapdash.office.auth import create_user

CREWS = 50
DAYS = 30


def run(ctx) -> None:
    now = datetime.now(UTC)
    with Session(ctx.app.extensions["db_engine"]) as session:
        case = session.scalars(select(Incident).where(Incident.is_open,
                                                      Incident.location.is_not(None))
                               .limit(1)).one()
        department = session.scalar(text("SELECT code FROM departments WHERE id = :id"),
                                    {"id": case.department_id})
        crews = [create_user(session, organization_id=case.organization_id,
                             email=f"bench-crew-{n}@bench.test", password="bench-password-1",
                             role="crew", department_code=department) for n in range(CREWS)]
        # Each crew's track: a minute apart, 08:00-16:00 each day, near the case.
        params = {"org": case.organization_id, "ids": [crew.id for crew in crews],
                  "now": now, "days": DAYS, "case": case.id}
        session.execute(text("""
            INSERT INTO crew_positions (user_id, organization_id, position, accuracy_m,
                                        recorded_at, received_at)
            SELECT u, :org, ST_Translate(i.location, random() * 0.05 - 0.025,
                                         random() * 0.05 - 0.025), 15, t, t
            FROM unnest(CAST(:ids AS integer[])) AS u,
                 generate_series(CAST(:now AS timestamptz) - make_interval(days => :days),
                                 :now - interval '1 hour', interval '1 minute') AS t,
                 incidents i
            WHERE i.id = :case AND extract(hour FROM t) BETWEEN 8 AND 15"""), params)
        session.execute(text("""
            INSERT INTO crew_last_positions (user_id, organization_id, position, accuracy_m,
                                             recorded_at, received_at)
            SELECT DISTINCT ON (user_id) user_id, organization_id, position, accuracy_m,
                   recorded_at, received_at
            FROM crew_positions ORDER BY user_id, recorded_at DESC"""))
        count = session.scalar(text("SELECT count(*) FROM crew_positions"))
        session.execute(text("ANALYZE crew_positions"))
        session.execute(text("ANALYZE crew_last_positions"))

        crew = crews[0]
        lon, lat = session.execute(text("SELECT ST_X(location), ST_Y(location) FROM incidents "
                                        "WHERE id = :id"), {"id": case.id}).one()
        moments = iter(now - timedelta(seconds=s) for s in range(1, 10_000))
        ctx.measure(f"position stored (track + last), {count:,} in the tracks",
                    lambda: positions.record(session, crew, positions.PositionForm(
                        lat=lat, lon=lon, accuracy=10, recorded_at=next(moments)), now=now),
                    floor_ms=15)
        ctx.measure(f"dispatcher's crew layer ({CREWS} crews)",
                    lambda: positions.crews_geojson(session, case.organization_id, (), now),
                    floor_ms=20)
        ctx.measure(f"nearest crews of a case ({CREWS} crews)",
                    lambda: positions.nearest_crews(session, case, now), floor_ms=20)
        session.execute(text("UPDATE organizations SET crew_position_days = :days - 1 "
                             "WHERE id = :org"), params)
        ctx.measure("retention purge: one day's positions of every crew",
                    lambda: positions.purge(session, now), floor_ms=2000, repeat=1)
        session.rollback()
