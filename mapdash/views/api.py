"""Machine-readable endpoints: health and map data."""
from datetime import UTC, datetime, timedelta
from typing import Annotated

from flask import Blueprint, Response, abort, jsonify
from flask_login import current_user
from pydantic import Field

from mapdash import db
from mapdash.api.params import Params, accepts
from mapdash.errors import UserError
from mapdash.field import positions
from mapdash.i18n import _l
from mapdash.maps import counts, geo, tiles
from mapdash.maps.map_filters import CasesQuery, ChangesQuery, GridQuery, MapFilters, TileQuery
from mapdash.office.auth import json_role_required
from mapdash.office.orgs import find_organization
from mapdash.vocabulary import OFFICE_ROLES

CHANGES_OVERLAP = timedelta(seconds=30)

bp = Blueprint("api", __name__)


class OrgQuery(Params):
    org: Annotated[str | None, Field(
        description="Organization slug; default: the first organization.")] = None


@bp.get("/healthz")
def healthz():
    if db.database_answers():
        return jsonify(status="ok", database="up"), 200
    return jsonify(status="unavailable", database="down"), 503


@bp.get("/api/villages.geojson")
@accepts(query=OrgQuery)
def villages_geojson(query: OrgQuery):
    """?org=SLUG (default: the deployment's first organization)."""
    org = find_organization(db.session(), query.org)
    if org is None:
        abort(404)
    response = jsonify(geo.villages_geojson(db.session(), org.id))
    response.mimetype = "application/geo+json"
    return response


# --- The dispatchers' map (docs/map-api.md) ------------------------------------------------
# Staff only: dispatchers and admins read every case of their organization, officers only
# their department's. Every collection caps its features and says so in `capped`.

_staff_only = json_role_required(*OFFICE_ROLES)


def _geojson(collection: dict):
    response = jsonify(collection)
    response.mimetype = "application/geo+json"
    # The browser may keep it for this reader and ask again: unchanged, the answer is a 304.
    response.headers["Cache-Control"] = "private, no-cache"
    return response


@bp.get("/api/dispatch/villages.geojson")
@_staff_only
@accepts(query=MapFilters)
def dispatch_villages(query: MapFilters):
    """Villages with their number of open cases matching the filters.

    Filters (all optional, shared by every /api/dispatch/ endpoint): type=CODE[,CODE...],
    status=new|accepted|info_requested|assigned|in_progress[,...], department=CODE[,...],
    village=NUMBER[,...], from=YYYY-MM-DD, to=YYYY-MM-DD (report date, Thai time, inclusive),
    overdue=1 (only cases past the limit of their current step).
    Properties: id, number, name_th, name_en, open_cases; `no_place` counts the matching
    cases with no place on the map (information requests, appointments, ...)."""
    session = db.session()
    return _geojson(counts.dispatch_villages(session, query.map_filter(session, current_user)))


@bp.get("/api/dispatch/cases.geojson")
@_staff_only
@accepts(query=CasesQuery)
def dispatch_cases(query: CasesQuery):
    """Open cases, newest first: bbox=WEST,SOUTH,EAST,NORTH (optional: without it, every
    case) or place=none (only the cases with no place on the map), limit=1..2000 (default
    500), and the filters above. `capped` is true when more cases matched than returned."""
    session = db.session()
    return _geojson(geo.open_cases(session, query.map_filter(session, current_user), query.bbox,
                                   query.limit, without_place=query.place == "none"))


@bp.get("/api/dispatch/grid.geojson")
@_staff_only
@accepts(query=GridQuery)
def dispatch_grid(query: GridQuery):
    """Open cases counted per grid cell, for zoomed-out views: bbox (required), zoom=0..22
    (cells about 64 screen pixels wide), and the filters above. Each feature is a point at
    the mean position of its cell's cases, with `count` and `new`; at most 2,000 cells."""
    session = db.session()
    return _geojson(counts.dispatch_grid(session, query.map_filter(session, current_user),
                                         query.bbox, query.zoom))


@bp.get("/api/dispatch/tiles/<int:z>/<int:x>/<int:y>.mvt")
@_staff_only
@accepts(query=TileQuery)
def dispatch_tile(query: TileQuery, z: int, x: int, y: int):
    """A vector tile (Mapbox Vector Tile) of the open cases: layer `cases` (id, code, status,
    category, color, emergency, overdue) when at most `limit` match in the tile (1..2000,
    default 500), else layer `cells` (count, new): them counted per grid cell of the tile's
    zoom. The filters above; z=0..22."""
    if z > tiles.MAX_ZOOM or x >= 2 ** z or y >= 2 ** z:
        raise UserError("bad_tile", _l("No such map tile"), field="z", status=404)
    session = db.session()
    response = Response(tiles.dispatch_tile(
        session, query.map_filter(session, current_user), z, x, y, query.limit),
        mimetype=tiles.MIMETYPE)
    response.headers["Cache-Control"] = "private, no-cache"  # as the GeoJSON: revalidated
    return response


@bp.get("/api/dispatch/crews.geojson")
@_staff_only
def dispatch_crews():
    """Each crew member's last shared position (officers: their department's crews), with
    `freshness` fresh (at most 5 min old) / stale (at most 30 min) / offline, `age_s`,
    `recorded_at` (the phone's clock), `accuracy_m` and their number of `open_cases`. A
    crew who stopped sharing is not listed."""
    return _geojson(positions.crews_geojson(
        db.session(), current_user.organization_id, geo.department_scope(current_user),
        datetime.now(UTC)))


@bp.get("/api/dispatch/changes")
@_staff_only
@accepts(query=ChangesQuery)
def dispatch_changes(query: ChangesQuery):
    """since=ISO-8601 time (the `now` of the previous answer): the cases changed since then
    (at most 200) and the emergency cases still waiting to be accepted (at most 20). Poll it
    every few seconds; pass its `now` back as the next `since`."""
    # A change committed a moment after its timestamp must not slip between two polls: look
    # back a little further, the page ignores what it has already seen.
    return jsonify(geo.changes(db.session(), geo.MapFilter(
        current_user.organization_id, department_ids=geo.department_scope(current_user)),
        query.since - CHANGES_OVERLAP))
