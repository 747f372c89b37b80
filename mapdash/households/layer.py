"""Households as GeoJSON for the staff maps: the points within the view (the GiST index on
location), at most a fixed number, `capped` saying whether more were there. PostgreSQL
builds the JSON, as for the case layers (maps/geo.py)."""
from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session

from mapdash.maps.geo import BBox

MAX_FEATURES = 2000


def households_geojson(session: Session, organization_id: int, bbox: BBox | None,
                       village_number: int | None = None, limit: int = MAX_FEATURES) -> dict:
    params: dict = {"org": organization_id, "limit": limit + 1, "village": village_number,
                    "west": None, "south": None, "east": None, "north": None}
    if bbox is not None:
        params.update(west=bbox.west, south=bbox.south, east=bbox.east, north=bbox.north)
    # An absent filter is a NULL parameter: PostgreSQL folds its test away when planning.
    collection = session.execute(text("""
        WITH found AS (
            SELECT h.id, h.house_number, h.location, v.number, v.name_th, v.name_en
            FROM households h JOIN villages v ON v.id = h.village_id
            WHERE h.organization_id = :org
              AND (CAST(:west AS float8) IS NULL OR h.location && ST_MakeEnvelope(
                  CAST(:west AS float8), CAST(:south AS float8), CAST(:east AS float8),
                  CAST(:north AS float8), 4326))
              AND (CAST(:village AS integer) IS NULL OR v.number = CAST(:village AS integer))
            ORDER BY h.id LIMIT :limit)
        SELECT json_build_object(
            'type', 'FeatureCollection',
            'capped', count(*) > :limit - 1,
            'features', coalesce(json_agg(json_build_object(
                'type', 'Feature', 'id', f.id,
                'geometry', ST_AsGeoJSON(f.location, 6)::json,
                'properties', json_build_object(
                    'house_number', f.house_number, 'village', f.number,
                    'village_th', f.name_th, 'village_en', f.name_en))
            ORDER BY f.id) FILTER (WHERE f.rn < :limit), '[]'::json))
        FROM (SELECT found.*, row_number() OVER (ORDER BY id) AS rn FROM found) f"""),
        params).scalar_one()
    return collection
