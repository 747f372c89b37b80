"""Map reads. PostgreSQL builds the GeoJSON; Python never loops over features."""
import json
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import NoReturn

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from mapdash.cases import workflow
from mapdash.errors import UserError
from mapdash.i18n import LOCAL_TZ, LazyText, _l
from mapdash.models import Category, Department, User, Village


class JSONText(str):
    """JSON as PostgreSQL wrote it, sent on as it is: parsing a viewport's 500 cases into
    Python and encoding them again cost more than the query."""

    def parsed(self):
        return json.loads(self)


def json_text(session: Session, sql: str, params: dict) -> JSONText:
    """The one value `sql` selects: JSON cast to text in the query itself (`::text`), so
    psycopg hands the text on instead of parsing it."""
    return JSONText(session.execute(text(sql), params).scalar_one())


def villages_geojson(session: Session, organization_id: int) -> JSONText:
    """The organization's villages with each one's number, name and count of open cases.

    Counts come from the open counts kept per village (sql/037, maps/counts.py), which
    follow the village stored on each case at write time: no case is read."""
    return json_text(session, """
        SELECT json_build_object(
            'type', 'FeatureCollection',
            'features', coalesce(json_agg(json_build_object(
                'type', 'Feature',
                'id', v.id,
                'geometry', ST_AsGeoJSON(v.geom, 6)::json,
                'properties', json_build_object(
                    'number', v.number, 'name_th', v.name_th, 'name_en', v.name_en,
                    'open_cases', coalesce(c.open_cases, 0))
            ) ORDER BY v.number), '[]'::json))::text
        FROM villages v
        LEFT JOIN (
            SELECT village_id, sum(cases) AS open_cases FROM open_counts_villages
            WHERE organization_id = :org
            GROUP BY village_id) c ON c.village_id = v.id
        WHERE v.organization_id = :org""", {"org": organization_id})


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


# --- The dispatchers' map -----------------------------------------------------------------
# Every read starts from the open cases (partial indexes WHERE is_open), applies the same
# filters, and returns at most a fixed number of features with `capped` saying whether more
# matched. Overdue means the current step of the service clock (workflow.py) is past its limit.
# Counts (villages, grid cells) read one covering index and never the table.

CASE_LIMIT_DEFAULT = 500
CASE_LIMIT_MAX = 2000
GRID_CELL_LIMIT = 2000
CHANGES_LIMIT = 200
ALERTS_LIMIT = 20


@dataclass(frozen=True)
class MapFilter:
    organization_id: int
    department_ids: tuple[int, ...] = ()       # officers: always their own only
    category_ids: tuple[int, ...] = ()         # empty: every type
    statuses: tuple[str, ...] = ()             # open statuses only; empty: all of them
    village_ids: tuple[int, ...] = ()
    created_from: datetime | None = None       # inclusive
    created_before: datetime | None = None     # exclusive
    overdue_only: bool = False


@dataclass(frozen=True)
class BBox:
    west: float
    south: float
    east: float
    north: float


def department_scope(user: User) -> tuple[int, ...]:
    """The departments whose cases `user` may see: an officer's own; () for all."""
    if user.role != "officer":
        return ()
    # An officer always has a department (create_user); one without would see nothing.
    return (user.department_id if user.department_id is not None else -1,)


def _refuse(code: str, message: LazyText, field: str, status: int = 400) -> NoReturn:
    raise UserError(code, message, field=field, status=status)


def map_filter(session: Session, user: User, *, types=(), statuses=(), departments=(),
               villages=(), date_from: date | None = None, date_to: date | None = None,
               overdue_only: bool = False) -> MapFilter:
    """Check the map's filters (their form is checked by map_filters.MapFilters) against the
    user's organization, and narrow them to what the user may see."""
    org = user.organization_id
    category_ids = _ids(session, Category, Category.code, types, org, "type",
                        _l("Unknown case type"))
    department_ids = _ids(session, Department, Department.code, departments, org, "department",
                          _l("Unknown department"))
    scope = department_scope(user)
    if scope:
        if set(department_ids) - set(scope):
            _refuse("other_department", _l("Officers see only their own department's cases"),
                    "department", 403)
        department_ids = list(scope)
    village_ids = _ids(session, Village, Village.number, villages, org, "village",
                       _l("Unknown village number"))
    return MapFilter(
        organization_id=org, department_ids=tuple(department_ids),
        category_ids=tuple(category_ids), statuses=tuple(statuses),
        village_ids=tuple(village_ids),
        created_from=_local_midnight(date_from) if date_from else None,
        created_before=_local_midnight(date_to + timedelta(days=1)) if date_to else None,
        overdue_only=overdue_only)


def _ids(session, model, key, values, organization_id, field, what: LazyText) -> list[int]:
    if not values:
        return []
    found = dict(session.execute(select(key, model.id).where(
        model.organization_id == organization_id, key.in_(values))).all())
    missing = [str(value) for value in values if value not in found]
    if missing:
        _refuse(f"bad_{field}", _l("%(what)s: %(values)s", what=what, values=", ".join(missing)),
                field)
    return [found[value] for value in values]


def _local_midnight(day: date) -> datetime:
    """Dates on the page are Thai dates: a day starts at midnight in Bangkok."""
    return datetime.combine(day, time(0), tzinfo=LOCAL_TZ)


# Each open case's due time is kept on its row (incidents.due_at, sql/037 and 039): the end of
# its current step by its own limits (the set of its type when it was reported), or for an
# information request the end of its answer's last day. The map's covering indexes carry it
# (sql/040): "overdue" is read, never worked out per row.
OVERDUE = "coalesce(i.due_at < now(), false)"


def limits_by_set(session: Session) -> str:
    """{time limits id: {status: minutes}} of every stored set, as JSON (the statistics'
    "within the limit" figures look each case's up)."""
    limits: dict[str, dict[str, int]] = {}
    for row in workflow.step_limits(session):
        limits.setdefault(str(row["time_limits_id"]), {})[row["status"]] = row["minutes"]
    return json.dumps(limits)


def filter_clauses(session: Session, f: MapFilter) -> tuple[list[str], dict]:
    """The clauses of a filter's choices (organization, department, type, status, village,
    dates, overdue) and their bound parameters: the map's reads and the case list share them.

    The clauses are constant fragments, never a value: every value is a bound parameter. The
    reads that put them into their SQL are marked `noqa: S608`."""
    clauses = ["i.organization_id = :org"]
    params: dict = {"org": f.organization_id}
    for clause, key, values in (("i.department_id = ANY(:departments)", "departments", f.department_ids),
                                ("i.category_id = ANY(:categories)", "categories", f.category_ids),
                                ("i.status = ANY(:statuses)", "statuses", f.statuses),
                                ("i.village_id = ANY(:villages)", "villages", f.village_ids)):
        if values:
            clauses.append(clause)
            params[key] = list(values)
    if f.created_from is not None:
        clauses.append("i.created_at >= :created_from")
        params["created_from"] = f.created_from
    if f.created_before is not None:
        clauses.append("i.created_at < :created_before")
        params["created_before"] = f.created_before
    if f.overdue_only:  # only an open case runs late
        clauses.append(f"i.is_open AND {OVERDUE}")
    return clauses, params


def plan_for_each_viewport(session: Session) -> None:
    """A plan made for one viewport is wrong for another (a street: the GiST index; the whole
    tambon: the newest first), so this transaction never reuses a prepared statement's
    generic plan."""
    session.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))


def _where(session: Session, f: MapFilter, bbox: BBox | None = None,
           without_place: bool = False) -> tuple[str, dict]:
    """The WHERE clause shared by every map read (open cases, filter_clauses), and its bound
    parameters."""
    plan_for_each_viewport(session)
    clauses, params = filter_clauses(session, f)
    clauses.append("i.is_open")
    if without_place:
        clauses.append("i.location IS NULL")
    if bbox is not None:
        clauses.append("i.location && ST_MakeEnvelope(:west, :south, :east, :north, 4326)")
        params.update(west=bbox.west, south=bbox.south, east=bbox.east, north=bbox.north)
    return " AND ".join(clauses), params


def dispatch_villages(session: Session, f: MapFilter) -> JSONText:
    """Each village of the organization with its number of open cases matching the filter
    (with "overdue only": of overdue cases).

    One count per village (organization and village both equal): only the covering index of
    open cases can answer that, so the planner never picks a smaller index of open cases
    and visits 50,000 rows of the table instead."""
    where, params = _where(session, f)
    return json_text(session, f"""
        SELECT json_build_object(
            'type', 'FeatureCollection',
            'features', coalesce(json_agg(json_build_object(
                'type', 'Feature',
                'id', v.id,
                'geometry', ST_AsGeoJSON(v.geom, 6)::json,
                'properties', json_build_object(
                    'id', v.id, 'number', v.number, 'name_th', v.name_th, 'name_en', v.name_en,
                    'open_cases', c.open_cases)
            ) ORDER BY v.number), '[]'::json),
            'no_place', (SELECT count(*) FROM incidents i
                         WHERE {where} AND i.village_id IS NULL AND i.location IS NULL),
            'capped', false)::text
        FROM villages v
        CROSS JOIN LATERAL (
            SELECT count(*) AS open_cases FROM incidents i
            WHERE {where} AND i.village_id = v.id) c
        WHERE v.organization_id = :org""", params)  # noqa: S608 (see _where)


def open_cases(session: Session, f: MapFilter, bbox: BBox | None,
               limit: int = CASE_LIMIT_DEFAULT, without_place: bool = False) -> JSONText:
    """The open cases in `bbox` (None: anywhere; `without_place`: only those with no place
    on the map) matching the filter, newest first, at most `limit` of them; `capped` says
    whether more matched."""
    where, params = _where(session, f, bbox, without_place)
    params["limit"] = limit
    return json_text(session, f"""
        WITH picked AS (  -- from the covering index alone; the table only for the few picked
            SELECT i.id, i.created_at, i.due_at, {OVERDUE} AS overdue
            FROM incidents i
            WHERE {where}
            ORDER BY i.created_at DESC, i.id DESC
            LIMIT :limit + 1),
        numbered AS (
            SELECT i.id, i.tracking_code, i.category_id, i.village_id, i.department_id,
                   i.status, i.location, i.description, i.created_at, i.assigned_to,
                   i.followers_count, i.priority, i.channel, p.due_at, p.overdue,
                   row_number() OVER (ORDER BY p.created_at DESC, p.id DESC) AS n
            FROM picked p JOIN incidents i ON i.id = p.id)
        SELECT json_build_object(
            'type', 'FeatureCollection',
            'features', coalesce(json_agg(json_build_object(
                'type', 'Feature',
                'id', p.id,
                'geometry', ST_AsGeoJSON(p.location, 6)::json,
                'properties', json_build_object(
                    'id', p.id, 'code', p.tracking_code, 'status', p.status,
                    'category', c.code, 'category_th', c.name_th, 'category_en', c.name_en,
                    'icon', c.icon, 'color', c.color, 'emergency', c.emergency,
                    'village', v.number, 'village_th', v.name_th,
                    'department', d.code, 'assignee', u.display_name,
                    'summary', left(p.description, 120), 'followers', p.followers_count,
                    'created_at', p.created_at, 'due_at', p.due_at, 'overdue', p.overdue,
                    'priority', p.priority, 'channel', p.channel)
            ) ORDER BY p.n) FILTER (WHERE p.n <= :limit), '[]'::json),
            'capped', count(*) > :limit,
            'limit', :limit)::text
        FROM numbered p
        JOIN categories c ON c.id = p.category_id
        JOIN departments d ON d.id = p.department_id
        LEFT JOIN villages v ON v.id = p.village_id
        LEFT JOIN users u ON u.id = p.assigned_to""", params)  # noqa: S608 (see _where)


def grid_cell_degrees(zoom: int) -> float:
    """Cells a quarter of a 256-pixel map tile wide at `zoom`: about 64 pixels on screen."""
    return 360.0 / (2 ** zoom) / 4


def changes(session: Session, f: MapFilter, since: datetime) -> dict:
    """What changed since `since` (cases whose status moved, new cases, cases forwarded to
    another organization), and the emergency cases still waiting to be accepted. `now` is the
    cursor for the next call."""
    params = {"org": f.organization_id, "since": since, "limit": CHANGES_LIMIT,
              "alerts": ALERTS_LIMIT, "departments": list(f.department_ids)}
    department = "AND i.department_id = ANY(:departments)" if f.department_ids else ""
    # A forwarded case is another organization's now: its forward event says it left.
    left = "AND (e.detail->>'from_department_id')::int = ANY(:departments)" \
        if f.department_ids else ""
    return session.execute(text(f"""
        SELECT json_build_object(
            'now', now(),
            'changed', (SELECT coalesce(json_agg(json_build_object(
                    'id', ch.id, 'status', ch.status, 'updated_at', ch.updated_at,
                    'created_at', ch.created_at)
                    ORDER BY ch.updated_at), '[]'::json)
                FROM ((SELECT i.id, i.status, i.updated_at, i.created_at FROM incidents i
                       WHERE i.organization_id = :org AND i.updated_at > :since {department}
                       ORDER BY i.updated_at LIMIT :limit)
                      UNION ALL
                      (SELECT e.incident_id, e.to_status, e.created_at, i.created_at
                       FROM incident_events e JOIN incidents i ON i.id = e.incident_id
                       WHERE e.action = 'forward' AND e.created_at > :since
                             AND (e.detail->>'from_organization_id')::int = :org {left}
                       ORDER BY e.created_at LIMIT :limit)) ch),
            'alerts', (SELECT coalesce(json_agg(json_build_object(
                    'id', a.id, 'code', a.tracking_code, 'category_th', a.name_th,
                    'category_en', a.name_en, 'icon', a.icon, 'village', a.number,
                    'village_th', a.village_th, 'created_at', a.created_at,
                    'lon', ST_X(a.location), 'lat', ST_Y(a.location))
                    ORDER BY a.created_at DESC), '[]'::json)
                FROM (SELECT i.id, i.tracking_code, i.created_at, i.location, c.name_th,
                             c.name_en, c.icon, v.number, v.name_th AS village_th
                      FROM categories c
                      -- type by type, from the index of waiting cases (sql/025); a type is
                      -- one organization's (a forwarded case takes the new one's type), and
                      -- naming the organization here again would lead the planner elsewhere
                      CROSS JOIN LATERAL (
                          SELECT i.* FROM incidents i
                          WHERE i.category_id = c.id AND i.status = 'new' {department}
                          ORDER BY i.created_at DESC LIMIT :alerts) i
                      LEFT JOIN villages v ON v.id = i.village_id
                      WHERE c.organization_id = :org AND c.emergency
                      ORDER BY i.created_at DESC LIMIT :alerts) a))"""), params).scalar_one()  # noqa: S608 (see _where)


def map_options(session: Session, user: User) -> dict:
    """What the map's filters offer `user`: the types, departments and villages."""
    org = user.organization_id
    scope = department_scope(user)
    departments = select(Department).where(Department.organization_id == org)
    if scope:
        departments = departments.where(Department.id.in_(scope))
    return {
        "categories": session.scalars(select(Category).where(
            Category.organization_id == org, Category.active).order_by(Category.sort_order)).all(),
        "departments": session.scalars(departments.order_by(Department.id)).all(),
        "villages": session.scalars(select(Village).where(
            Village.organization_id == org).order_by(Village.number)).all(),
    }
