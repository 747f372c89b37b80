"""Leaflet maps built with folium, on the Leaflet copy installed with the project.

folium normally loads Leaflet, jQuery and Bootstrap from CDNs; our pages need none of those
but Leaflet, which the app serves itself. Tiles are decoration: every layer we draw is our own
GeoJSON, so the map still shows villages and cases when the tile server is out of reach.
folium writes the map's set-up as inline <script> and <style>: each carries the request's
CSP nonce (mapdash/security.py), the only inline code our policy lets run.
"""
import re
from dataclasses import dataclass

import folium
import xyzservices
from branca.element import Figure
from flask import current_app, url_for
from markupsafe import Markup

from mapdash.security import csp_nonce

_VIEWPORT_TAG = re.compile(r'<meta name="viewport"[^>]*>', re.S)
_INLINE_TAG = re.compile(r"<(script|style)>")  # inline code; <script src> needs no nonce


@dataclass(frozen=True)
class EmbeddedMap:
    name: str       # the JavaScript variable holding the L.map
    header: Markup  # for <head>: Leaflet and the map's size
    html: Markup    # the map's <div>
    script: Markup  # the <script> creating the map; place after the <div>


def local_assets() -> tuple[list, list]:
    js = [("leaflet", url_for("vendor.leaflet_asset", filename="leaflet.js"))]
    css = [("leaflet_css", url_for("vendor.leaflet_asset", filename="leaflet.css"))]
    return js, css


def build_map(center: tuple[float, float], zoom: int = 13, **options) -> folium.Map:
    fmap = folium.Map(location=list(center), zoom_start=zoom, tiles=None, control_scale=True,
                      **options)
    fmap.default_js, fmap.default_css = local_assets()
    # A provider, not the URL: folium looks a string up among xyzservices' ~1,000 named
    # providers first, which took most of the ~20 ms a map cost every page that shows one.
    # The URL goes in as the value of the provider's only placeholder, so it comes out as it
    # is (a template of Leaflet's own, e.g. with {-y}, is not a Python format string).
    tiles = xyzservices.TileProvider(name="OpenStreetMap", url="{tile_url}",
                                     tile_url=current_app.config["TILE_URL"],
                                     attribution=current_app.config["TILE_ATTRIBUTION"])
    folium.TileLayer(tiles, attr=current_app.config["TILE_ATTRIBUTION"], name="OpenStreetMap",
                     max_zoom=19).add_to(fmap)
    return fmap


def embed(fmap: folium.Map) -> EmbeddedMap:
    figure = fmap.get_root()
    assert isinstance(figure, Figure)  # a map's root is the page it is drawn in
    figure.render()
    # folium's viewport tag forbids zooming the page, which people with poor sight need;
    # our layout has its own.
    header = _VIEWPORT_TAG.sub("", figure.header.render())
    script = f"<script>{figure.script.render()}</script>"
    return EmbeddedMap(name=fmap.get_name(), header=Markup(_with_nonce(header)),
                       html=Markup(figure.html.render()), script=Markup(_with_nonce(script)))


def _with_nonce(html: str) -> str:
    return _INLINE_TAG.sub(rf'<\1 nonce="{csp_nonce()}">', html)
