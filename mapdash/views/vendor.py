"""Third-party front-end assets, served from the Python packages that install them (no CDN),
under fingerprinted addresses as our own static files (mapdash/assets.py)."""
from flask import Blueprint
from xstatic.pkg import leaflet, leaflet_markercluster

from mapdash import assets

bp = Blueprint("vendor", __name__, url_prefix="/vendor")
FOLDERS = {"vendor.leaflet_asset": leaflet.BASE_DIR,
           "vendor.markercluster": leaflet_markercluster.BASE_DIR}


@bp.record_once
def _fingerprinted(state):
    for endpoint, folder in FOLDERS.items():
        assets.add_folder(state.app, endpoint, folder)


@bp.get("/leaflet/<path:filename>")
def leaflet_asset(filename):
    return assets.serve(leaflet.BASE_DIR, filename)


@bp.get("/markercluster/<path:filename>")
def markercluster(filename):
    return assets.serve(leaflet_markercluster.BASE_DIR, filename)
