"""Machine-readable endpoints: health and map data."""
from flask import Blueprint, abort, jsonify, request

from .. import db, geo
from ..orgs import find_organization

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
