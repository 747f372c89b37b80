"""Open311 GeoReport v2 (http://wiki.open311.org/GeoReport_v2) over mapdash's own intake.

`services` turns case types into services and service definitions, `requests` files and
reads service requests (cases), `render` writes either shape as the spec's XML or JSON.
The blueprint is views/open311.py.
"""
