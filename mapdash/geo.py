"""Map reads. PostgreSQL builds the GeoJSON; Python never loops over features."""
from sqlalchemy import text
from sqlalchemy.orm import Session


def villages_geojson(session: Session, organization_id: int) -> dict:
    """The organization's villages with each one's number, name and count of open cases.

    Counts come from the village stored on each case at write time (a btree lookup), not
    from a spatial join at read time."""
    return session.execute(text("""
        SELECT json_build_object(
            'type', 'FeatureCollection',
            'features', coalesce(json_agg(json_build_object(
                'type', 'Feature',
                'id', v.id,
                'geometry', ST_AsGeoJSON(v.geom, 6)::json,
                'properties', json_build_object(
                    'number', v.number, 'name_th', v.name_th, 'name_en', v.name_en,
                    'open_cases', coalesce(c.open_cases, 0))
            ) ORDER BY v.number), '[]'::json))
        FROM villages v
        LEFT JOIN (
            SELECT village_id, count(*) AS open_cases FROM incidents
            WHERE organization_id = :org AND is_open
            GROUP BY village_id) c ON c.village_id = v.id
        WHERE v.organization_id = :org"""), {"org": organization_id}).scalar_one()


def organization_center(session: Session, organization_id: int) -> tuple[float, float]:
    """(lat, lon) of a point inside the organization's area, for centring maps."""
    lon, lat = session.execute(text("""
        SELECT ST_X(p), ST_Y(p) FROM (
            SELECT ST_PointOnSurface(boundary) AS p FROM organizations WHERE id = :org) s"""),
        {"org": organization_id}).one()
    return lat, lon


def organization_bounds(session: Session, organization_id: int) -> list[list[float]]:
    """[[south, west], [north, east]] of the organization's area, for fitting maps."""
    row = session.execute(text("""
        SELECT ST_YMin(b), ST_XMin(b), ST_YMax(b), ST_XMax(b) FROM (
            SELECT boundary::box2d AS b FROM organizations WHERE id = :org) s"""),
        {"org": organization_id}).one()
    return [[row[0], row[1]], [row[2], row[3]]]
