"""How answers travel: compressed (brotli, zstd or gzip, as the browser accepts) and, for
data the browser may keep, revalidated with an ETag, so an unchanged map answers 304 with
no body (issue 15).

flask-compress compresses whole answers and streams alike (a streamed open-data file stays
streamed, compressed chunk by chunk). The ETag is weak (W/"..."): the same data compressed
either way is the same to the reader, and flask-compress leaves a weak tag as it is.
"""
from flask import Flask, Response, current_app, request
from flask_compress import Compress

# What is worth compressing: data, styles and scripts (images already are). Not HTML: pages
# carry the CSRF token beside what the reader typed, which compressed together leak the token
# by their length (BREACH).
COMPRESSED_TYPES = [
    "text/css", "text/javascript", "application/javascript", "text/csv",
    "text/plain", "text/xml", "application/xml", "application/json", "application/geo+json",
    "application/problem+json", "application/vnd.mapbox-vector-tile", "image/svg+xml",
    "application/atom+xml", "application/rss+xml",
]
# Data answers that get an ETag: a map or list fetched again unchanged is a 304.
REVALIDATED_TYPES = frozenset({"application/json", "application/geo+json",
                               "application/vnd.mapbox-vector-tile", "text/csv"})

_compress = Compress()


def init_app(app: Flask) -> None:
    app.config.setdefault("COMPRESS_MIMETYPES", COMPRESSED_TYPES)
    app.config.setdefault("COMPRESS_ALGORITHM", ["br", "zstd", "gzip"])
    app.config.setdefault("COMPRESS_BR_LEVEL", 4)  # fast enough per request, close to gzip -9
    # Files (ours and the front-end libraries') come compressed once from mapdash/assets.py,
    # or plain where compressing gains nothing: never again per answer.
    app.config["COMPRESS_REGISTER"] = False
    _compress.init_app(app)
    app.after_request(_compress_unless_asset)
    # Registered after flask-compress, so it runs before it (Flask runs these in reverse):
    # the tag is of the data itself, and a 304 is not compressed at all.
    app.after_request(_revalidate)


def _compress_unless_asset(response: Response) -> Response:
    if request.endpoint in current_app.extensions.get("asset_folders", {}):
        return response
    return _compress.after_request(response)


def _revalidate(response: Response) -> Response:
    if (request.method not in ("GET", "HEAD") or response.status_code != 200
            or response.is_streamed or response.mimetype not in REVALIDATED_TYPES
            or response.cache_control.no_store or response.get_etag()[0]):
        return response
    response.add_etag(weak=True)
    if not response.cache_control.max_age:
        response.cache_control.no_cache = True  # kept, but asked again each time
    response.make_conditional(request)  # a 304 without the body when the tag matches
    return response
