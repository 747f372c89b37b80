"""Field crews on a phone: my cases on a map, start work, close with photo evidence, offline.

The page works without signal: a service worker (served here so its scope covers /crew/)
keeps the page, its assets and my cases, and the page keeps closings in the phone's outbox
until they can be sent. Writes answer JSON: the page's script sends them."""
import hashlib
import json
from typing import Annotated

from flask import (
    Blueprint,
    current_app,
    jsonify,
    make_response,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from pydantic import Field, model_validator

from mapdash import assets, db
from mapdash.api.params import Latitude, Longitude, Params, accepts
from mapdash.config import PROJECT_ROOT
from mapdash.field import fieldwork, map_pack, positions
from mapdash.i18n import _, current_language, status_labels
from mapdash.maps import geo, leaflet
from mapdash.office.auth import json_role_required, role_required
from mapdash.security import permits

bp = Blueprint("crew", __name__, url_prefix="/crew")
# The files the crew page asks for (templates/base.html, crew/index.html, crew/_position.html,
# the map's Leaflet), which its service worker keeps for use without signal under the very
# addresses the page asks for (fingerprinted: mapdash/assets.py).
OFFLINE_FILES = [
    ("static", "css/app.css"), ("static", "css/crew.css"), ("static", "css/case-markers.css"),
    ("static", "css/crew-position.css"), ("static", "js/i18n.js"), ("static", "js/crew.js"),
    ("static", "js/crew-outbox.js"), ("static", "js/sign-out.js"),
    ("static", "js/crew-map-pack.js"), ("static", "js/case-markers.js"),
    ("static", "js/crew-position.js"), ("static", "icons/crew-192.png"),
    ("vendor.leaflet_asset", "leaflet.js"), ("vendor.leaflet_asset", "leaflet.css"),
]

@bp.get("/")
@role_required("crew")
@permits("geolocation")  # cases near me; where a closing was made
def index():
    session = db.session()
    org_id = current_user.organization_id
    crew_map = leaflet.embed(leaflet.build_map(geo.organization_center(session, org_id), zoom=13))
    page = {
        "map": crew_map.name,
        "bounds": geo.organization_bounds(session, org_id),
        "crew": current_user.id,
        "lang": current_language(),
        "status_labels": status_labels(),
        "icons": assets.static_addresses("icons", ".svg"),
        "urls": {
            "cases": url_for("crew.cases"),
            "map_pack": url_for("crew.map_pack_tiles"),
            "villages": url_for("api.villages_geojson", org=current_user.organization.slug),
            "token": url_for("crew.token"),
            "start": url_for("crew.start", incident_id=0).replace("/0/", "/{id}/"),
            "close": url_for("crew.close", incident_id=0).replace("/0/", "/{id}/"),
            "photo": url_for("photos.photo", photo_id=0).replace("/0", "/{id}"),
            "thumb": url_for("photos.thumb", photo_id=0).replace("/0/", "/{id}/"),
            "worker": url_for("crew.service_worker"),
            "scope": url_for("crew.index"),
        },
    }
    return render_template("crew/index.html", crew_map=crew_map, page=page,
                           reasons=fieldwork.REASONS)


class PositionQuery(Params):
    lat: Annotated[Latitude | None, Field(
        description="My latitude (with lon): adds open cases nearby, nearest first.")] = None
    lon: Annotated[Longitude | None, Field(description="My longitude.")] = None

    @model_validator(mode="after")
    def _both_or_neither(self):
        if self.lat is None and self.lon is not None:
            raise self.refuse("lat")
        if self.lon is None and self.lat is not None:
            raise self.refuse("lon")
        return self


@bp.get("/cases.json")
@json_role_required("crew")
@accepts(query=PositionQuery)
def cases(query: PositionQuery):
    """?lat=&lon= (optional): my open cases, and open cases near that position."""
    position = (query.lon, query.lat) if query.lon is not None and query.lat is not None else None
    collection = fieldwork.crew_cases(db.session(), current_user, position,
                                      current_app.config["CREW_NEARBY_M"])
    response = jsonify(collection)
    response.cache_control.no_store = True
    return response


@bp.get("/map-pack.json")
@json_role_required("crew")
@accepts(query=PositionQuery)
def map_pack_tiles(query: PositionQuery):
    """?lat=&lon= (optional): the tiles of my offline map pack, for my page to download."""
    position = (query.lon, query.lat) if query.lon is not None and query.lat is not None else None
    pack = map_pack.crew_pack(db.session(), current_user, position,
                              template=current_app.config["TILE_URL"],
                              nearby_m=current_app.config["CREW_NEARBY_M"],
                              tile_bytes=current_app.config["MAP_PACK_TILE_BYTES"])
    response = jsonify(pack)
    response.cache_control.no_store = True
    return response


@bp.get("/token.json")
@json_role_required("crew")
def token():
    """A fresh CSRF token: closings kept offline for hours outlive the one in the page."""
    response = jsonify(csrf_token=generate_csrf())
    response.cache_control.no_store = True
    return response


@bp.post("/cases/<bigint_id:incident_id>/start")
@json_role_required("crew")
def start(incident_id: int):
    incident = fieldwork.start_work(db.session(), incident_id, current_user)
    return jsonify(case=incident.tracking_code, status=incident.status)


@bp.post("/cases/<bigint_id:incident_id>/close")
@json_role_required("crew")
@accepts(form=fieldwork.ClosingForm)
def close(incident_id: int, form: fieldwork.ClosingForm):
    outcome = fieldwork.close_case(db.session(), incident_id, current_user, form)
    closing = outcome.closing
    failed = [check for check in closing.checks["checks"] if check["ok"] is False]
    return jsonify(closing=closing.id, case=closing.incident.tracking_code,
                   status=closing.incident.status, result=closing.result,
                   needs_review=closing.needs_review, failed_checks=failed,
                   replayed=outcome.replayed), 200 if outcome.replayed else 201


@bp.post("/position")
@json_role_required("crew")
@accepts(form=positions.PositionForm)
def share_position(form: positions.PositionForm):
    """One position of the signed-in crew member, while they share it (field/positions.py):
    201 stored, 200 already stored; `latest` says whether it is now their last known one."""
    recorded = positions.record(db.session(), current_user, form)
    return jsonify(stored=recorded.stored, latest=recorded.latest), 201 if recorded.stored else 200


@bp.post("/position/stop")
@json_role_required("crew")
@accepts(form=positions.StopForm)
def stop_sharing(form: positions.StopForm):
    """The crew stopped sharing: their last position leaves the dispatcher's map."""
    positions.stop(db.session(), current_user, form.stopped_at)
    return jsonify(sharing=False)


@bp.get("/manifest.webmanifest")
def manifest():
    """The installable crew app's name and look (a web-app manifest), in the reader's language."""
    icon = {"type": "image/png", "purpose": "any maskable"}
    response = jsonify(
        name=_("mapdash field work"), short_name=_("Field work"),
        description=_("Your assigned cases on a map; close them with photo evidence, even "
                      "without signal"),
        lang=current_language(), start_url=url_for("crew.index"), scope=url_for("crew.index"),
        display="standalone", orientation="portrait", background_color="#f8fafc",
        theme_color="#1e3a8a",
        icons=[{**icon, "src": url_for("static", filename=f"icons/crew-{size}.png"),
                "sizes": f"{size}x{size}"} for size in (192, 512)])
    response.mimetype = "application/manifest+json"
    return response


@bp.get("/sw.js")
def service_worker():
    """The service worker, from /crew/ so that its scope is the crew pages. The addresses it
    keeps come first, written here: a changed file changes them, and so the worker, which
    the browser then installs anew with a new copy of the files."""
    shell = [url_for("crew.index"), url_for("crew.cases"), url_for("crew.manifest"),
             *(url_for(endpoint, filename=filename) for endpoint, filename in OFFLINE_FILES)]
    addresses = {"shell": shell, "outbox": url_for("static", filename="js/crew-outbox.js")}
    version = hashlib.sha256(json.dumps(addresses).encode()).hexdigest()[:16]
    source = (PROJECT_ROOT / "static" / "crew-sw.js").read_text(encoding="utf-8")
    response = make_response(
        f"// Written by mapdash/views/crew.py: the crew page's files as the page asks for them.\n"
        f"const ADDRESSES = {json.dumps(addresses)};\nconst VERSION = \"{version}\";\n{source}")
    response.mimetype = "text/javascript"
    response.headers["Service-Worker-Allowed"] = url_for("crew.index")
    response.cache_control.no_cache = True
    response.add_etag()
    return response.make_conditional(request)
