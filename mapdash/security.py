"""Security headers on every answer: what a page may load and run, who may frame it, what
leaves in the Referer, which browser features it may use, and HTTPS only once seen.

The Content-Security-Policy allows no inline script or style. Our scripts and styles are
files (static/, /vendor/); folium writes each map's set-up as inline <script> and <style>
blocks, which carry this request's nonce (maps/leaflet.py). A nonce cannot cover a style
attribute, so none is allowed: the colours of case types come from /categories.css.
"""
import secrets
from collections.abc import Callable
from functools import wraps
from urllib.parse import urlsplit

from flask import Flask, Response, current_app, g, request

# Browser features turned off unless a view permits them (see `permits`); a feature not
# listed keeps the browser's default.
FEATURES = ("accelerometer", "autoplay", "camera", "display-capture", "encrypted-media",
            "fullscreen", "geolocation", "gyroscope", "magnetometer", "microphone", "midi",
            "payment", "picture-in-picture", "publickey-credentials-get", "screen-wake-lock",
            "serial", "usb", "xr-spatial-tracking")
# Browsers that saw HTTPS once keep to it for a year.
HSTS = "max-age=31536000; includeSubDomains"


def init_app(app: Flask) -> None:
    app.extensions["csp_image_sources"] = tile_source(app.config["TILE_URL"])
    app.add_template_global(csp_nonce)
    app.after_request(_add_headers)


def tile_source(tile_url: str) -> str:
    """The CSP source of the map tiles' host: '' when they come from this app. A {s}
    placeholder in the host (a, b, c servers) becomes a wildcard for those names."""
    parts = urlsplit(tile_url)
    if not parts.netloc:
        return ""
    labels = parts.netloc.split(".")
    templated = [n for n, label in enumerate(labels) if "{" in label]
    if templated:
        labels = ["*", *labels[templated[-1] + 1:]]
    return f"{parts.scheme}://{'.'.join(labels)}"


def csp_nonce() -> str:
    """This request's nonce for inline <script> and <style>, made on first use."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(18)
    return g.csp_nonce


def permits(*features: str) -> Callable:
    """Lets the page this view renders use these browser features (e.g. "geolocation")."""
    unknown = set(features) - set(FEATURES)
    assert not unknown, f"not in security.FEATURES: {unknown}"

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def permitted(*args, **kwargs):
            g.permitted_features = features
            return view(*args, **kwargs)
        return permitted
    return decorate


def content_security_policy(nonce: str | None, image_sources: str) -> str:
    inline = f" 'nonce-{nonce}'" if nonce else ""
    return "; ".join((
        "default-src 'self'",
        f"script-src 'self'{inline}",
        f"style-src 'self'{inline}",
        f"img-src 'self' data: blob: {image_sources}".rstrip(),
        # the crew's page downloads its offline map pack from the tile server itself
        f"connect-src 'self' {image_sources}".rstrip(),
        "worker-src 'self'",  # the crew's service worker (/crew/sw.js)
        "manifest-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ))


def permissions_policy(permitted: tuple[str, ...]) -> str:
    return ", ".join(f"{feature}=(self)" if feature in permitted else f"{feature}=()"
                     for feature in FEATURES)


def _add_headers(response: Response) -> Response:
    headers = response.headers
    if response.mimetype == "application/pdf":
        # Chrome shows a PDF in a page of its own making, with an <embed> and inline styles,
        # which the policy below blocks (crbug.com/271452); a PDF runs none of our code.
        headers["Content-Security-Policy"] = "frame-ancestors 'none'"
    else:
        headers["Content-Security-Policy"] = content_security_policy(
            g.get("csp_nonce"), current_app.extensions["csp_image_sources"])
    headers["X-Frame-Options"] = "DENY"
    headers["X-Content-Type-Options"] = "nosniff"
    # Other sites see our origin, never a page's path (tracking codes, reply links).
    headers["Referrer-Policy"] = "strict-origin-when-cross-origin"
    headers["Permissions-Policy"] = permissions_policy(g.get("permitted_features", ()))
    if request.is_secure:  # behind a proxy only when PROXY_COUNT trusts its X-Forwarded-Proto
        headers["Strict-Transport-Security"] = HSTS
    return response
