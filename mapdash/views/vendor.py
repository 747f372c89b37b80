"""Third-party front-end assets, served from the Python packages that install them (no CDN)."""
from flask import Blueprint, send_from_directory
from xstatic.pkg import leaflet, leaflet_markercluster

bp = Blueprint("vendor", __name__, url_prefix="/vendor")

_MAX_AGE = 7 * 24 * 3600


@bp.get("/leaflet/<path:filename>")
def leaflet_asset(filename):
    return send_from_directory(leaflet.BASE_DIR, filename, max_age=_MAX_AGE)


@bp.get("/markercluster/<path:filename>")
def markercluster(filename):
    return send_from_directory(leaflet_markercluster.BASE_DIR, filename, max_age=_MAX_AGE)
