"""The crew's offline map pack (issue 17): which background tiles a crew's phone keeps, so that
the map still shows roads and streams where there is no signal (as QField's and ODK's offline
basemaps do).

The pack is the tiles of the configured tile source (TILE_URL) in order of use: the whole
tambon up to zoom 14, then around my cases, then around the cases near me, then the rest of the
tambon at the higher zooms, up to the organization's max zoom and until the estimated size
reaches its cap. The phone downloads them itself (static/js/crew-map-pack.js): the list is
computed here, in PostGIS, from the tambon's boundary and the cases on the crew's page.
"""
from urllib.parse import urlsplit

from sqlalchemy import text
from sqlalchemy.orm import Session

from mapdash.field import fieldwork
from mapdash.models import Organization, User

MIN_ZOOM = 10        # the tambon in one or a few tiles: the map zoomed out to find one's way
OVERVIEW_ZOOM = 14   # up to here the whole tambon, whatever the cap
SURROUNDINGS_M = 1000  # around each case, at the zooms above the overview
MAX_TILES = 30_000   # whatever the cap and the estimate say
# The admin's settings (sql/023 checks the same ranges).
ZOOM_RANGE = (12, 18)
MB_RANGE = (1, 500)
# The OpenStreetMap Foundation's tile policy forbids downloading zoom 17 and above for offline
# use: from its servers a pack stops at 16, whatever the admin set.
POLICY_MAX_ZOOM = {"tile.openstreetmap.org": 16}
_HALF_WORLD = 20037508.342789244  # EPSG:3857's half width, metres


def source_max_zoom(tile_url: str) -> int:
    """The highest zoom the tile source lets us keep offline."""
    host = urlsplit(tile_url).hostname or ""
    limits = [zoom for domain, zoom in POLICY_MAX_ZOOM.items()
              if host == domain or host.endswith("." + domain)]
    return min(limits, default=ZOOM_RANGE[1])


def tile_url(template: str, z: int, x: int, y: int, subdomains: str = "abc") -> str:
    """The tile's address as Leaflet writes it (L.TileLayer.getTileUrl): {s} picked from x + y,
    {-y} counted from the south (TMS), {r} empty (no retina tiles)."""
    values = {"{z}": str(z), "{x}": str(x), "{y}": str(y), "{-y}": str(2 ** z - 1 - y),
              "{s}": subdomains[abs(x + y) % len(subdomains)], "{r}": ""}
    for key, value in values.items():
        template = template.replace(key, value)
    return template


def tiles(session: Session, org_id: int, cases: list[tuple[float, float, bool]], *,
          max_zoom: int, max_tiles: int) -> list[tuple[int, int, int]]:
    """(z, x, y) of the pack in order of use, at most `max_tiles`: the tambon to the overview
    zoom, then around `cases` ((lon, lat, mine), mine first) and the rest of the tambon above it."""
    overview = min(OVERVIEW_ZOOM, max_zoom)
    # The planner takes each generate_series for 1,000 rows, so it costs this query in the
    # billions and compiles it (JIT): ~1 s, for ~15 ms of work. Not for this transaction.
    session.execute(text("SET LOCAL jit = off"))
    rows = session.execute(text("""
        WITH tambon AS (
            SELECT ST_Transform(boundary, 3857) AS g FROM organizations WHERE id = :org),
        cases AS (
            SELECT CASE WHEN c.mine THEN 1 ELSE 2 END AS rank,
                   ST_Transform(ST_Buffer(ST_SetSRID(ST_MakePoint(c.lon, c.lat), 4326)::geography,
                                          :surroundings)::geometry, 3857) AS g
            FROM unnest(CAST(:lons AS float8[]), CAST(:lats AS float8[]),
                        CAST(:mine AS boolean[])) AS c (lon, lat, mine)),
        zooms AS (  -- the tambon's overview, and the zooms above it
            SELECT CAST(:min_zoom AS integer) AS low, CAST(:overview AS integer) AS overview,
                   CAST(:max_zoom AS integer) AS high),
        areas AS (
            SELECT 0 AS rank, z, tambon.g FROM tambon, zooms, generate_series(low, overview) z
            UNION ALL
            SELECT cases.rank, z, cases.g FROM cases, zooms, generate_series(overview + 1, high) z
            UNION ALL
            SELECT 3, z, tambon.g FROM tambon, zooms, generate_series(overview + 1, high) z),
        spans AS (  -- the tile columns and rows of each area's bounding box
            SELECT rank, z, g, (2 ^ z)::int AS n,
                   (ST_XMin(g) + :half) / (2 * :half) AS x0, (ST_XMax(g) + :half) / (2 * :half) AS x1,
                   (:half - ST_YMax(g)) / (2 * :half) AS y0, (:half - ST_YMin(g)) / (2 * :half) AS y1
            FROM areas),
        candidates AS (
            SELECT s.rank, s.z, x, y FROM spans s,
                generate_series(greatest(0, floor(s.x0 * s.n)::int),
                                least(s.n - 1, floor(s.x1 * s.n)::int)) x,
                generate_series(greatest(0, floor(s.y0 * s.n)::int),
                                least(s.n - 1, floor(s.y1 * s.n)::int)) y
            WHERE ST_Intersects(ST_TileEnvelope(s.z, x, y), s.g))
        SELECT z, x, y FROM candidates
        GROUP BY z, x, y
        ORDER BY min(rank), z, y, x
        LIMIT :max_tiles"""), {
        "org": org_id, "surroundings": SURROUNDINGS_M, "half": _HALF_WORLD,
        "lons": [lon for lon, _, _ in cases], "lats": [lat for _, lat, _ in cases],
        "mine": [mine for _, _, mine in cases],
        "min_zoom": min(MIN_ZOOM, overview), "overview": overview, "max_zoom": max_zoom,
        "max_tiles": max_tiles}).all()
    return [(row.z, row.x, row.y) for row in rows]


def crew_pack(session: Session, crew: User, position: tuple[float, float] | None, *,
              template: str, nearby_m: float, tile_bytes: int) -> dict:
    """The crew's pack: the tiles around the cases of their page (fieldwork.crew_cases: mine,
    and near `position`), each with its address, within the organization's zoom and cap.
    The cap counts `tile_bytes` a tile: the phone stops at the cap too, counting real sizes."""
    org: Organization = crew.organization
    max_zoom = min(org.map_pack_max_zoom, source_max_zoom(template))
    max_bytes = org.map_pack_max_mb * 1024 * 1024
    by_cap = min(MAX_TILES, max_bytes // tile_bytes)
    collection = fieldwork.crew_cases(session, crew, position, nearby_m)
    cases = sorted(((f["geometry"]["coordinates"][0], f["geometry"]["coordinates"][1],
                     f["properties"]["mine"]) for f in collection["features"] if f["geometry"]),
                   key=lambda case: not case[2])
    found = tiles(session, org.id, cases, max_zoom=max_zoom, max_tiles=by_cap + 1)
    capped = len(found) > by_cap
    found = found[:by_cap]
    return {
        "max_zoom": max_zoom, "max_bytes": max_bytes, "complete": not capped,
        "estimated_bytes": len(found) * tile_bytes,
        "tiles": [[z, x, y, tile_url(template, z, x, y)] for z, x, y in found],
    }
