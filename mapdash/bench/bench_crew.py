"""The crew's reads: my cases and the open cases near me, the tiles of the offline map pack,
and the evidence photo look-up (a pHash compared with every evidence photo of the
organization)."""
import random

from geoalchemy2.functions import ST_X, ST_Y
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from mapdash.field import evidence, fieldwork, map_pack
from mapdash.models import Incident, User

EVIDENCE_PHOTOS = 100_000


def run(ctx) -> None:
    with Session(ctx.app.extensions["db_engine"]) as session:
        crew = session.scalars(select(User).where(User.role == "crew").limit(1)).one()
        case, lon, lat = session.execute(
            select(Incident, ST_X(Incident.location), ST_Y(Incident.location))
            .where(Incident.assigned_to == crew.id, Incident.location.is_not(None)).limit(1)).one()
        radius = ctx.app.config["CREW_NEARBY_M"]
        ctx.measure(f"crew cases: mine + open within {radius / 1000:g} km (nearest 100)",
                    lambda: fieldwork.crew_cases(session, crew, (lon, lat), radius), floor_ms=50)
        org = crew.organization
        ctx.measure(f"crew map pack: tile list to z{org.map_pack_max_zoom}, {org.map_pack_max_mb} MB",
                    lambda: map_pack.crew_pack(session, crew, (lon, lat), template=ctx.app.config["TILE_URL"],
                                               nearby_m=radius,
                                               tile_bytes=ctx.app.config["MAP_PACK_TILE_BYTES"]),
                    sql=lambda: map_pack.tiles(session, org.id, [(lon, lat, True)],
                                               max_zoom=org.map_pack_max_zoom, max_tiles=map_pack.MAX_TILES),
                    floor_ms=300, repeat=20)

        # Evidence photos of earlier closings: rows only (the look-up reads hashes, not files).
        # Rolled back at the end, like everything made here.
        session.execute(text("""
            INSERT INTO photos (incident_id, kind, path, thumb_path, content_type, sha256,
                                size_bytes, width, height, phash)
            SELECT i.id, 'evidence', 'bench.jpg', 'bench-thumb.jpg', 'image/jpeg', repeat('0', 64),
                   1, 1, 1, (random() * 2 ^ 63)::bigint * (CASE WHEN random() < .5 THEN -1 ELSE 1 END)
            FROM (SELECT id FROM incidents WHERE status = 'resolved' LIMIT :n) i"""),
            {"n": EVIDENCE_PHOTOS})
        session.execute(text("ANALYZE photos"))
        with ctx.app.app_context():
            rng = random.Random(5)
            ctx.measure(f"evidence look-up: one pHash against {EVIDENCE_PHOTOS:,} photos",
                        lambda: evidence.similar_photos(session, case, rng.randrange(-2 ** 63, 2 ** 63)),
                        floor_ms=100, repeat=20)
        session.rollback()
