"""Vector tiles (Mapbox Vector Tile, ST_AsMVT) of the dispatcher's map (issue 15, item 2).

A tile holds the open cases in it (and in its buffer, drawn at its edge) that match the
map's filters, newest first, when they are at most `limit` (the GeoJSON viewport's cap,
default 500, at most 2,000): layer "cases". When more match, it holds them counted per grid
cell of its zoom instead (about 64 pixels wide, 16 to a tile), from the open counts where
they serve (counts.py): layer "cells". There the counts decide, before any case is read: more
than `limit` cases in the cells whose point lies in the tile makes a tile of cells. Either
way a tile holds at most TILE_FEATURE_LIMIT features. A cell belongs to the one tile that
holds its point (the mean position of its cases), so no cell is drawn twice at tile edges.
"""
import math

from sqlalchemy import text
from sqlalchemy.orm import Session

from mapdash.maps import counts, geo

TILE_FEATURE_LIMIT = 5000
MAX_ZOOM = 22
MIMETYPE = "application/vnd.mapbox-vector-tile"
EXTENT = 4096  # the tile's own coordinates, ST_AsMVT's default
BUFFER = 256   # 16 of a tile's 256 pixels: a dot by the edge is drawn whole on both sides


def tile_bbox(z: int, x: int, y: int, margin: float = 0.0) -> geo.BBox:
    """The tile's area in degrees (web Mercator tiles, y down from the north), widened by
    `margin` tiles on every side."""
    n = 2 ** z

    def lat(row: float) -> float:
        return math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * row / n))))

    return geo.BBox(max(-180.0, (x - margin) / n * 360 - 180), lat(y + 1 + margin),
                    min(180.0, (x + 1 + margin) / n * 360 - 180), lat(y - margin))


def dispatch_tile(session: Session, f: geo.MapFilter, z: int, x: int, y: int,
                  limit: int = geo.CASE_LIMIT_DEFAULT) -> bytes:
    """The tile z/x/y of the open cases matching `f`: cases, or cells when more than `limit`."""
    limit = min(limit, TILE_FEATURE_LIMIT)
    bbox = tile_bbox(z, x, y)
    clauses, params = geo.filter_clauses(session, f)
    # the cases of the buffer too: a dot by the edge is drawn whole, half by each tile
    wide = tile_bbox(z, x, y, BUFFER / EXTENT)
    where = " AND ".join([*clauses, "i.is_open", "i.location IS NOT NULL",
                          "i.location && ST_MakeEnvelope(:wide_west, :wide_south, :wide_east, "
                          ":wide_north, 4326)"])
    params.update(wide_west=wide.west, wide_south=wide.south, wide_east=wide.east,
                  wide_north=wide.north)
    params.update(west=bbox.west, south=bbox.south, east=bbox.east, north=bbox.north,
                  z=z, x=x, y=y, limit=limit, extent=EXTENT, buffer=BUFFER)
    session.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))  # as geo._where
    if counts.serves(f, z):  # the counts say first whether the tile is crowded: no case is read then
        cells, total = _cells(session, f, bbox, z, params)
        if total > limit:
            return cells
    picked = session.scalars(text(f"""
        SELECT i.id FROM incidents i WHERE {where}
        ORDER BY i.created_at DESC, i.id DESC LIMIT :limit + 1"""), params).all()  # noqa: S608 (see geo.filter_clauses)
    if len(picked) > limit:
        return _cells(session, f, bbox, z, params)[0]
    params["ids"] = list(picked)
    return bytes(session.scalar(text(f"""
        WITH q AS (
            SELECT i.id, i.tracking_code AS code, i.status, c.code AS category,
                   c.color, c.emergency, {geo.OVERDUE} AS overdue,
                   ST_AsMVTGeom(ST_Transform(i.location, 3857), ST_TileEnvelope(:z, :x, :y),
                                :extent, :buffer) AS geom
            FROM incidents i JOIN categories c ON c.id = i.category_id
            WHERE i.id = ANY(:ids))
        SELECT ST_AsMVT(q, 'cases', :extent, 'geom', 'id') FROM q"""), params))  # noqa: S608 (constants)


def _cells(session: Session, f: geo.MapFilter, bbox: geo.BBox, z: int,
           params: dict) -> tuple[bytes, int]:
    """The tile's layer of cells, and how many cases they count."""
    cells, cell_params = (counts.cells_sql(session, f, bbox, z) if counts.serves(f, z)
                          else counts.direct_cells_sql(session, f, bbox, z))
    tile, total = session.execute(text(f"""
        WITH cells AS ({cells}),
        q AS (
            SELECT n AS count, new, ST_AsMVTGeom(
                       ST_Transform(ST_SetSRID(ST_MakePoint(lon, lat), 4326), 3857),
                       ST_TileEnvelope(:z, :x, :y), :extent, 0) AS geom
            FROM cells
            WHERE lon >= :west AND lon < :east AND lat >= :south AND lat < :north
            ORDER BY n DESC LIMIT {TILE_FEATURE_LIMIT})
        SELECT ST_AsMVT(q, 'cells', :extent, 'geom'), coalesce(sum(count), 0)
        FROM q"""), {**params, **cell_params}).one()  # noqa: S608 (see counts.cells_sql)
    return bytes(tile), int(total)
