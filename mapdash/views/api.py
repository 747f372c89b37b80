"""Machine-readable endpoints: health and map data."""
import json
import time
from datetime import UTC, datetime, timedelta
from typing import Annotated

from flask import Blueprint, Response, abort, current_app, jsonify, request
from flask_login import current_user
from pydantic import Field
from sqlalchemy.orm import Session

from mapdash import db
from mapdash.api.params import Params, Refusal, accepts, parse
from mapdash.errors import UserError
from mapdash.field import positions
from mapdash.i18n import _l
from mapdash.maps import counts, geo, live, tiles
from mapdash.maps.map_filters import CasesQuery, ChangesQuery, GridQuery, MapFilters, TileQuery
from mapdash.office import auth
from mapdash.office.auth import json_role_required
from mapdash.office.orgs import find_organization
from mapdash.vocabulary import OFFICE_ROLES

CHANGES_OVERLAP = timedelta(seconds=30)
# An event, not a comment: the page sees it and knows the stream is alive.
HEARTBEAT = "event: heartbeat\ndata: {}\n\n"

bp = Blueprint("api", __name__)


class OrgQuery(Params):
    org: Annotated[str | None, Field(
        description="Organization slug; default: the first organization.")] = None


class FreshRead(Params):
    fresh: Annotated[str | None, Field(
        pattern=r"^[0-9A-F]{1,8}/[0-9A-F]{1,8}$",
        description="The `lsn` of a /changes answer: the map is read at least that fresh."),
        Refusal("bad_fresh", _l("fresh must be the lsn of a changes answer"))] = None


def map_read_session() -> Session:
    """The session of the map's reads: a standby's when one is configured (db.read_session),
    at least as fresh as the change the page redraws for (`fresh`)."""
    return db.read_session(parse(FreshRead, request.args).fresh)


@bp.get("/healthz")
def healthz():
    if db.database_answers():
        return jsonify(status="ok", database="up"), 200
    return jsonify(status="unavailable", database="down"), 503


@bp.get("/api/villages.geojson")
@accepts(query=OrgQuery)
def villages_geojson(query: OrgQuery):
    """?org=SLUG (default: the deployment's first organization)."""
    session = map_read_session()
    org = find_organization(session, query.org)
    if org is None:
        abort(404)
    return Response(geo.villages_geojson(session, org.id), mimetype="application/geo+json")


# --- The dispatchers' map (docs/map-api.md) ------------------------------------------------
# Staff only: dispatchers and admins read every case of their organization, officers only
# their department's. Every collection caps its features and says so in `capped`.

_staff_only = json_role_required(*OFFICE_ROLES)


def _geojson(collection: geo.JSONText | dict):
    """The collection as PostgreSQL wrote it (JSONText), or a few features shaped here."""
    response = Response(collection if isinstance(collection, geo.JSONText)
                        else current_app.json.dumps(collection), mimetype="application/geo+json")
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
    cases with no place on the map (information requests, appointments, ...).
    Every map read takes fresh=LSN too (see /changes)."""
    session = map_read_session()
    return _geojson(counts.dispatch_villages(session, query.map_filter(session, current_user)))


@bp.get("/api/dispatch/cases.geojson")
@_staff_only
@accepts(query=CasesQuery)
def dispatch_cases(query: CasesQuery):
    """Open cases, newest first: bbox=WEST,SOUTH,EAST,NORTH (optional: without it, every
    case) or place=none (only the cases with no place on the map), limit=1..2000 (default
    500), and the filters above. `capped` is true when more cases matched than returned."""
    session = map_read_session()
    return _geojson(geo.open_cases(session, query.map_filter(session, current_user), query.bbox,
                                   query.limit, without_place=query.place == "none"))


@bp.get("/api/dispatch/grid.geojson")
@_staff_only
@accepts(query=GridQuery)
def dispatch_grid(query: GridQuery):
    """Open cases counted per grid cell, for zoomed-out views: bbox (required), zoom=0..22
    (cells about 64 screen pixels wide), and the filters above. Each feature is a point at
    the mean position of its cell's cases, with `count` and `new`; at most 2,000 cells."""
    session = map_read_session()
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
    session = map_read_session()
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


def _changes(since: datetime) -> dict:
    # A change committed a moment after its timestamp must not slip between two polls: look
    # back a little further, the page ignores what it has already seen.
    session = db.session()
    answer = geo.changes(session, geo.MapFilter(
        current_user.organization_id, department_ids=geo.department_scope(current_user)),
        since - CHANGES_OVERLAP)
    answer["lsn"] = db.write_position(session)
    return answer


@bp.get("/api/dispatch/changes")
@_staff_only
@accepts(query=ChangesQuery)
def dispatch_changes(query: ChangesQuery):
    """since=ISO-8601 time (the `now` of the previous answer): the cases changed since then
    (at most 200) and the emergency cases still waiting to be accepted (at most 20). Poll it
    every few seconds, or open /api/dispatch/stream; pass its `now` back as the next `since`.
    `lsn`: the database's write position, passed as `fresh` to the map reads redrawn for it."""
    return jsonify(_changes(query.since))


@bp.get("/api/dispatch/stream")
@_staff_only
@accepts(query=ChangesQuery)
def dispatch_stream(query: ChangesQuery):
    """Server-sent events (text/event-stream): an event `changes` with the answer of
    /changes?since= at once, then one each time the reader's cases change (pushed from the
    database, no polling), `heartbeat` every LIVE_HEARTBEAT_SECONDS, and `end` before the
    stream closes (after LIVE_STREAM_SECONDS; open a new one with the last `now`). 503 when
    live updates are unavailable: poll /changes meanwhile."""
    scope = (current_user.organization_id, geo.department_scope(current_user))
    stream = live.hub(current_app._get_current_object()).subscribe(scope)  # type: ignore[attr-defined]
    if stream is None:
        raise UserError("live_unavailable",
                        _l("Live updates are unavailable; the page asks for changes instead"),
                        status=503, retry_after=5)
    try:
        first = json.dumps(_changes(query.since), separators=(",", ":"))
    except BaseException:
        stream.close()
        raise
    heartbeat = current_app.config["LIVE_HEARTBEAT_SECONDS"]
    ends = time.monotonic() + current_app.config["LIVE_STREAM_SECONDS"]
    app, token = current_app._get_current_object(), auth.session_token()  # type: ignore[attr-defined]

    def events():
        # Runs after the request's session is closed: an open stream holds no connection.
        try:
            yield f"retry: 5000\nevent: changes\ndata: {first}\n\n"
            while (left := ends - time.monotonic()) > 0:
                item = stream.next(min(heartbeat, left))
                if item is live.CLOSED:
                    return
                if item is None and not auth.session_is_live(app, token):
                    break  # signed out elsewhere: the page's next request asks to sign in
                yield HEARTBEAT if item is None else f"event: changes\ndata: {item}\n\n"
            yield "event: end\ndata: {}\n\n"
        finally:
            stream.close()

    response = Response(events(), mimetype="text/event-stream")
    # Nothing between here and the screen may keep it back: no cache, no transform (a
    # proxy's compression), nginx's buffering off.
    response.headers["Cache-Control"] = "no-store, no-transform"
    response.headers["X-Accel-Buffering"] = "no"
    return response
