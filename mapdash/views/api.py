"""Machine-readable endpoints: health and map data."""
from datetime import date, datetime, timedelta
from functools import wraps

from flask import Blueprint, abort, jsonify, request
from flask_login import current_user

from mapdash import db
from mapdash.errors import FORBIDDEN, LOGIN_REQUIRED, UserError
from mapdash.i18n import _l
from mapdash.maps import geo
from mapdash.office.orgs import find_organization
from mapdash.vocabulary import OFFICE_ROLES

CHANGES_OVERLAP = timedelta(seconds=30)

bp = Blueprint("api", __name__)


@bp.get("/healthz")
def healthz():
    if db.database_answers():
        return jsonify(status="ok", database="up"), 200
    return jsonify(status="unavailable", database="down"), 503


@bp.get("/api/villages.geojson")
def villages_geojson():
    """?org=SLUG (default: the deployment's first organization)."""
    org = find_organization(db.session(), request.args.get("org"))
    if org is None:
        abort(404)
    response = jsonify(geo.villages_geojson(db.session(), org.id))
    response.mimetype = "application/geo+json"
    return response


# --- The dispatchers' map (docs/map-api.md) ------------------------------------------------
# Staff only: dispatchers and admins read every case of their organization, officers only
# their department's. Every collection caps its features and says so in `capped`.

def _staff_only(view):
    """Like role_required, but an API answers 401/403 in JSON instead of a login page."""
    @wraps(view)
    def wrapped(*args, **kwargs):
        if not current_user.is_authenticated:
            raise UserError("login_required", LOGIN_REQUIRED, status=401)
        if current_user.role not in OFFICE_ROLES:
            raise UserError("forbidden", FORBIDDEN, status=403)
        return view(*args, **kwargs)
    return wrapped


def _list(name: str) -> list[str]:
    """A comma-separated (or repeated) parameter as a list of non-empty values."""
    return [part.strip() for value in request.args.getlist(name)
            for part in value.split(",") if part.strip()]


def _date(name: str) -> date | None:
    value = request.args.get(name, "").strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise UserError("bad_date", _l("The date '%(name)s' must look like YYYY-MM-DD",
                                       name=name), field=name) from None


def _int(name: str, default: int, low: int, high: int) -> int:
    value = request.args.get(name, "").strip()
    if not value:
        return default
    try:
        number = int(value)
    except ValueError:
        number = low - 1
    if not low <= number <= high:
        raise UserError("bad_number", _l("'%(name)s' must be a whole number from %(low)s to %(high)s",
                                         name=name, low=low, high=high), field=name)
    return number


def _bbox(required: bool) -> geo.BBox | None:
    value = request.args.get("bbox", "").strip()
    if not value and not required:
        return None
    try:
        west, south, east, north = (float(part) for part in value.split(","))
        valid = -180 <= west < east <= 180 and -90 <= south < north <= 90
    except ValueError:
        valid = False
    if not valid:
        raise UserError("bad_bbox",
                        _l("bbox must be west,south,east,north in degrees of longitude/latitude"),
                        field="bbox")
    return geo.BBox(west, south, east, north)


def _map_filter() -> geo.MapFilter:
    return geo.map_filter(
        db.session(), current_user, types=_list("type"), statuses=_list("status"),
        departments=_list("department"), villages=_list("village"),
        date_from=_date("from"), date_to=_date("to"),
        overdue_only=request.args.get("overdue", "") in ("1", "true", "on"))


def _geojson(collection: dict):
    response = jsonify(collection)
    response.mimetype = "application/geo+json"
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/api/dispatch/villages.geojson")
@_staff_only
def dispatch_villages():
    """Villages with their number of open cases matching the filters.

    Filters (all optional, shared by every /api/dispatch/ endpoint): type=CODE[,CODE...],
    status=new|accepted|info_requested|assigned|in_progress[,...], department=CODE[,...],
    village=NUMBER[,...], from=YYYY-MM-DD, to=YYYY-MM-DD (report date, Thai time, inclusive),
    overdue=1 (only cases past the limit of their current step).
    Properties: id, number, name_th, name_en, open_cases; `no_place` counts the matching
    cases with no place on the map (information requests, appointments, ...)."""
    return _geojson(geo.dispatch_villages(db.session(), _map_filter()))


@bp.get("/api/dispatch/cases.geojson")
@_staff_only
def dispatch_cases():
    """Open cases, newest first: bbox=WEST,SOUTH,EAST,NORTH (optional: without it, every
    case) or place=none (only the cases with no place on the map), limit=1..2000 (default
    500), and the filters above. `capped` is true when more cases matched than returned."""
    limit = _int("limit", geo.CASE_LIMIT_DEFAULT, 1, geo.CASE_LIMIT_MAX)
    place = request.args.get("place", "")
    if place not in ("", "none"):
        raise UserError("bad_place", _l("place can only be none (the cases with no place)"), field="place")
    bbox = _bbox(required=False)
    if place and bbox:
        raise UserError("bad_place", _l("place=none cannot be combined with bbox"), field="place")
    return _geojson(geo.open_cases(db.session(), _map_filter(), bbox, limit,
                                   without_place=place == "none"))


@bp.get("/api/dispatch/grid.geojson")
@_staff_only
def dispatch_grid():
    """Open cases counted per grid cell, for zoomed-out views: bbox (required), zoom=0..22
    (cells about 64 screen pixels wide), and the filters above. Each feature is a point at
    the mean position of its cell's cases, with `count` and `new`; at most 2,000 cells."""
    zoom = _int("zoom", 13, 0, 22)
    return _geojson(geo.grid_cells(db.session(), _map_filter(), _bbox(required=True), zoom))


@bp.get("/api/dispatch/changes")
@_staff_only
def dispatch_changes():
    """since=ISO-8601 time (the `now` of the previous answer): the cases changed since then
    (at most 200) and the emergency cases still waiting to be accepted (at most 20). Poll it
    every few seconds; pass its `now` back as the next `since`."""
    raw = request.args.get("since", "").strip()
    try:
        since = datetime.fromisoformat(raw.replace("Z", "+00:00"))
        if since.tzinfo is None:
            raise ValueError(raw)
    except ValueError:
        raise UserError("bad_since", _l("since must be an ISO-8601 time with its time zone"),
                        field="since") from None
    # A change committed a moment after its timestamp must not slip between two polls: look
    # back a little further, the page ignores what it has already seen.
    return jsonify(geo.changes(db.session(), geo.MapFilter(
        current_user.organization_id, department_ids=geo.department_scope(current_user)),
        since - CHANGES_OVERLAP))
