"""The dispatcher map's zoomed-out views from open cases counted ahead (sql/037, issue 15).

Triggers on incidents keep, in the writing transaction, the open cases per village and per
grid cell of the zooms in GRID_ZOOMS, split by type, department and status, with how many of
them were overdue at the organization's `overdue_at`. A read sums the few rows of its view and
adds the open cases that ran late between `overdue_at` and now (an index on due_at), so the
counts are exact at any moment; the worker moves `overdue_at` on every minute (catch_up).

Dates (from/to) are not a split of the counts: a view filtered by them is counted from the
cases themselves (geo.py), as is a zoom outside the pyramid.
"""
import math
from dataclasses import replace

from sqlalchemy import text
from sqlalchemy.orm import Session

from mapdash.maps import geo

GRID_ZOOMS = range(8, 17)  # sql/037 open_counts_zooms()

# The organization's overdue_at ('-infinity' before its first catch-up: every late case is
# then read from incidents, exact but slower).
_CLOCK = """clock AS (SELECT coalesce(
    (SELECT overdue_at FROM open_counts_clock WHERE organization_id = :org),
    '-infinity'::timestamptz) AS t)"""
_LATE = "i.is_open AND i.due_at >= clock.t AND i.due_at < now()"


def serves(f: geo.MapFilter, zoom: int | None = None) -> bool:
    """Whether the counts can answer this filter (and zoom of grid cells)."""
    return (f.created_from is None and f.created_before is None
            and (zoom is None or zoom in GRID_ZOOMS))


def _clauses(session: Session, f: geo.MapFilter) -> tuple[str, dict]:
    """The filter's clauses: the counts have the cases' column names, so the same fragments
    (geo.filter_clauses, constants with bound values) select counts and cases alike."""
    clauses, params = geo.filter_clauses(session, replace(f, overdue_only=False))
    return " AND ".join(clauses), params


def villages(session: Session, f: geo.MapFilter) -> geo.JSONText:
    """geo.dispatch_villages from the counts."""
    where, params = _clauses(session, f)
    late = f"""
        UNION ALL
        SELECT i.village_id, i.location IS NOT NULL, count(*)
        FROM incidents i, clock WHERE {where} AND {_LATE}
        GROUP BY 1, 2""" if f.overdue_only else ""  # noqa: S608 (see _clauses)
    column = "overdue" if f.overdue_only else "cases"
    return geo.json_text(session, f"""
        WITH {_CLOCK},
        totals AS (
            SELECT village_id, placed, sum(n)::integer AS n FROM (
                SELECT i.village_id, i.placed, sum(i.{column}) AS n
                FROM open_counts_villages i WHERE {where}
                GROUP BY 1, 2 {late}) counted(village_id, placed, n)
            GROUP BY 1, 2)
        SELECT json_build_object(
            'type', 'FeatureCollection',
            'features', coalesce((SELECT json_agg(json_build_object(
                'type', 'Feature',
                'id', v.id,
                'geometry', ST_AsGeoJSON(v.geom, 6)::json,
                'properties', json_build_object(
                    'id', v.id, 'number', v.number, 'name_th', v.name_th, 'name_en', v.name_en,
                    'open_cases', coalesce(c.n, 0))
                ) ORDER BY v.number)
                FROM villages v
                LEFT JOIN (SELECT village_id, sum(n)::integer AS n FROM totals
                           GROUP BY 1) c ON c.village_id = v.id
                WHERE v.organization_id = :org), '[]'::json),
            'no_place', (SELECT coalesce(sum(n), 0)::integer FROM totals
                         WHERE village_id IS NULL AND NOT placed),
            'capped', false)::text""", params)  # noqa: S608 (see geo.filter_clauses)


def cell_range(bbox: geo.BBox, zoom: int) -> dict:
    """The cells of `zoom` that `bbox` touches, as sql/037 numbers them."""
    size = geo.grid_cell_degrees(zoom)
    return {"size": size, "x0": math.floor(bbox.west / size), "x1": math.floor(bbox.east / size),
            "y0": math.floor(bbox.south / size), "y1": math.floor(bbox.north / size)}


def cells_sql(session: Session, f: geo.MapFilter, bbox: geo.BBox, zoom: int) -> tuple[str, dict]:
    """A query of the cells of `zoom` touching `bbox` that hold matching open cases: x, y (cell
    numbers), n, new (of them, not yet accepted), lon and lat (their mean position)."""
    where, params = _clauses(session, f)
    params.update(cell_range(bbox, zoom), zoom=zoom)
    n, sum_x, sum_y = (("overdue", "overdue_x", "overdue_y") if f.overdue_only
                       else ("cases", "sum_x", "sum_y"))
    if f.overdue_only:
        # The late part reads the cases in the viewport: a generic plan, made for none,
        # walked every open case of the tambon by place (50,000 at 1M cases: 200 ms).
        geo.plan_for_each_viewport(session)
    late = f"""
        UNION ALL
        SELECT floor(ST_X(i.location) / :size), floor(ST_Y(i.location) / :size), count(*),
               count(*) FILTER (WHERE i.status = 'new'), sum(ST_X(i.location)),
               sum(ST_Y(i.location))
        FROM incidents i, clock
        WHERE {where} AND {_LATE} AND i.location && ST_MakeEnvelope(
            :x0 * :size, :y0 * :size, (:x1 + 1) * :size, (:y1 + 1) * :size, 4326)
        GROUP BY 1, 2""" if f.overdue_only else ""  # noqa: S608 (see _clauses)
    return f"""
        WITH {_CLOCK}
        SELECT x::integer AS x, y::integer AS y, sum(n)::integer AS n,
               coalesce(sum(new), 0)::integer AS new, sum(sx) / sum(n) AS lon, sum(sy) / sum(n) AS lat
        FROM (
            SELECT i.x, i.y, sum(i.{n}), sum(i.{n}) FILTER (WHERE i.status = 'new'),
                   sum(i.{sum_x}), sum(i.{sum_y})
            FROM open_counts_cells i
            WHERE {where} AND i.zoom = :zoom AND i.x BETWEEN :x0 AND :x1
                  AND i.y BETWEEN :y0 AND :y1
            GROUP BY 1, 2 {late}) counted(x, y, n, new, sx, sy)
        GROUP BY 1, 2
        HAVING sum(n) > 0""", params  # noqa: S608 (see geo.filter_clauses)


def direct_cells_sql(session: Session, f: geo.MapFilter, bbox: geo.BBox,
                     zoom: int) -> tuple[str, dict]:
    """cells_sql counted from the cases themselves, for what the counts do not serve."""
    geo.plan_for_each_viewport(session)
    clauses, params = geo.filter_clauses(session, f)
    params.update(cell_range(bbox, zoom))
    where = " AND ".join([*clauses, "i.is_open", "i.location && ST_MakeEnvelope("
                          ":x0 * :size, :y0 * :size, (:x1 + 1) * :size, (:y1 + 1) * :size, 4326)"])
    return f"""
        SELECT floor(ST_X(i.location) / :size)::integer AS x,
               floor(ST_Y(i.location) / :size)::integer AS y, count(*)::integer AS n,
               count(*) FILTER (WHERE i.status = 'new')::integer AS new,
               avg(ST_X(i.location)) AS lon, avg(ST_Y(i.location)) AS lat
        FROM incidents i WHERE {where}
        GROUP BY 1, 2""", params  # noqa: S608 (see geo.filter_clauses)


def grid_cells(session: Session, f: geo.MapFilter, bbox: geo.BBox, zoom: int,
               limit: int = geo.GRID_CELL_LIMIT, *, direct: bool = False) -> geo.JSONText:
    """The open cases of every grid cell the view touches, for views too wide for single
    cases: from the counts, or `direct`ly from the cases. Each cell is a point at the mean
    position of its cases; the fullest cells come first, at most `limit` of them."""
    cells, params = (direct_cells_sql if direct else cells_sql)(session, f, bbox, zoom)
    params["limit"] = limit
    return geo.json_text(session, f"""
        WITH cells AS ({cells} LIMIT :limit + 1),
        numbered AS (SELECT cells.*, row_number() OVER (ORDER BY n DESC) AS rank FROM cells)
        SELECT json_build_object(
            'type', 'FeatureCollection',
            'features', coalesce(json_agg(json_build_object(
                'type', 'Feature',
                'geometry', json_build_object('type', 'Point', 'coordinates',
                    json_build_array(round(lon::numeric, 6), round(lat::numeric, 6))),
                'properties', json_build_object('count', n, 'new', new)
            ) ORDER BY rank) FILTER (WHERE rank <= :limit), '[]'::json),
            'capped', count(*) > :limit,
            'limit', :limit,
            'cell_degrees', :size)::text
        FROM numbered""", params)  # noqa: S608 (see geo.filter_clauses)


def catch_up(session: Session) -> int:
    """Count the open cases that ran late since each organization's overdue_at as overdue and
    move it to now, one organization per transaction (each waits for its own writers in
    flight only). Returns how many counts changed. Commits."""
    changed = 0
    for org in session.scalars(text("SELECT id FROM organizations ORDER BY id")).all():
        changed += session.scalar(text("SELECT open_counts_catch_up(:org)"), {"org": org}) or 0
        session.commit()
    return changed


def dispatch_villages(session: Session, f: geo.MapFilter) -> geo.JSONText:
    """The map's villages with their matching open cases: from the counts where they serve."""
    return villages(session, f) if serves(f) else geo.dispatch_villages(session, f)


def dispatch_grid(session: Session, f: geo.MapFilter, bbox: geo.BBox, zoom: int,
                  limit: int = geo.GRID_CELL_LIMIT) -> geo.JSONText:
    """The map's grid cells: from the counts where they serve."""
    return grid_cells(session, f, bbox, zoom, limit, direct=not serves(f, zoom))
