"""Static files (ours in static/, the front-end libraries' from the Python packages that install
them) under fingerprinted addresses, kept a year by the browser, and compressed once (issue 15).

Every address url_for builds for a file carries its content's hash as `?v=<hash>`: a query,
not a hashed file name, so the files keep their names and places and what refers to them
relatively (Leaflet's CSS to its images, our CSS to our icons, an @import) still finds them;
the CSS's relative url()s are given their own `?v=` as well when the CSS is read, so those
are kept a year too. An answer to the current hash is `immutable` for a year: a changed file
has a new address, so the browser never asks again. Without it (the service worker's
importScripts, a bookmarked or an old page's address), it is kept a minute, then revalidated
by its ETag or Last-Modified (a 304).

Each file is read, hashed and compressed (brotli, zstd, gzip at their strongest) once per
process and encoding, not again on every answer; a file changed on disk (a stat per use, a
few microseconds) is read again, so in development the addresses follow edits.
"""
import gzip
import hashlib
import mimetypes
import os
import posixpath
import re
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import brotli
from backports import zstd
from flask import Flask, abort, current_app, request, url_for
from flask.sessions import SecureCookieSessionInterface
from werkzeug.security import safe_join
from werkzeug.wrappers import Response as BaseResponse

from mapdash.transfer import COMPRESSED_TYPES

YEAR = 365 * 24 * 3600
UNVERSIONED_MAX_AGE = 60  # an address without the current hash: kept a minute, then revalidated
ENCODINGS = ("br", "zstd", "gzip")  # preferred first, as transfer.py's COMPRESS_ALGORITHM
_COMPRESS = {
    "br": lambda data: brotli.compress(data, quality=11),
    "zstd": lambda data: zstd.compress(data, level=19),
    "gzip": lambda data: gzip.compress(data, compresslevel=9, mtime=0),
}
# A relative reference in CSS: url(x), url("x"), url('x'); not data:, #fragment, /absolute
# or scheme: addresses, which are not files of the same folder.
_CSS_URL = re.compile(r"""url\(\s*(["']?)(?![a-z][a-z0-9+.-]*:|/|#)([^"')?#\s]+)\1\s*\)""", re.I)


@dataclass
class Asset:
    path: Path
    stamp: tuple[int, int]          # the file's mtime_ns and size when read
    body: bytes                     # what is served (a CSS's url()s fingerprinted)
    fingerprint: str
    mimetype: str
    modified: datetime
    depends: tuple[tuple[Path, tuple[int, int]], ...] = ()  # files a CSS refers to
    encoded: dict[str, bytes | None] = field(default_factory=dict)  # None: not worth it

    @property
    def compressible(self) -> bool:
        return self.mimetype in COMPRESSED_TYPES


def _stamp(path: Path) -> tuple[int, int] | None:
    try:
        status = path.stat()
    except OSError:
        return None
    return (status.st_mtime_ns, status.st_size) if path.is_file() else None


class AssetCache:
    """The files read so far, by path. `compressions` counts the compressions done, so a test
    can see the second answer reuse the first's."""

    def __init__(self) -> None:
        self._assets: dict[Path, Asset] = {}
        self._lock = threading.Lock()
        self._thread = threading.local()  # .reading: CSS this thread reads (an @import cycle stops)
        self.compressions = 0

    def get(self, folder: str | os.PathLike, filename: str) -> Asset | None:
        """The file `filename` under `folder`, or None when there is no such file in it."""
        joined = safe_join(os.fspath(folder), filename)
        if joined is None:
            return None
        path = Path(joined)
        stamp = _stamp(path)
        if stamp is None:
            return None
        asset = self._assets.get(path)
        if asset is None or asset.stamp != stamp or any(
                _stamp(dependency) != seen for dependency, seen in asset.depends):
            reading = self._thread.__dict__.setdefault("reading", set())
            if path in reading:
                return None
            reading.add(path)
            try:
                asset = self._assets[path] = self._read(folder, filename, path, stamp)
            finally:
                reading.discard(path)
        return asset

    def _read(self, folder: str | os.PathLike, filename: str, path: Path,
              stamp: tuple[int, int]) -> Asset:
        body = path.read_bytes()
        mimetype = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        depends: list[tuple[Path, tuple[int, int]]] = []
        if mimetype == "text/css":
            body = self._fingerprint_css(folder, filename, body, depends)
        return Asset(path=path, stamp=stamp, body=body, mimetype=mimetype,
                     fingerprint=hashlib.sha256(body).hexdigest()[:16],
                     modified=datetime.fromtimestamp(stamp[0] / 1e9, UTC),
                     depends=tuple(depends))

    def _fingerprint_css(self, folder: str | os.PathLike, filename: str, body: bytes,
                         depends: list) -> bytes:
        """The CSS with each relative url() to a file of the same folder given its `?v=`."""
        def versioned(match: re.Match) -> str:
            quote, reference = match.group(1), match.group(2)
            target_name = posixpath.normpath(posixpath.join(posixpath.dirname(filename), reference))
            target = self.get(folder, target_name)
            if target is None:
                return match.group(0)
            depends.append((target.path, target.stamp))
            return f"url({quote}{reference}?v={target.fingerprint}{quote})"
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            return body
        return _CSS_URL.sub(versioned, text).encode("utf-8")

    def encoded(self, asset: Asset, encoding: str) -> bytes | None:
        """The asset's body in `encoding`, compressed the first time only; None when the
        compressed body would not be smaller."""
        if encoding not in asset.encoded:
            with self._lock:
                if encoding not in asset.encoded:
                    packed = _COMPRESS[encoding](asset.body)
                    self.compressions += 1
                    asset.encoded[encoding] = packed if len(packed) < len(asset.body) else None
        return asset.encoded[encoding]


CACHE = AssetCache()


def add_folder(app: Flask, endpoint: str, folder: str | os.PathLike) -> None:
    """Addresses url_for builds for `endpoint` (whose `filename` is under `folder`) carry the
    file's fingerprint."""
    app.extensions.setdefault("asset_folders", {})[endpoint] = folder


class _SessionInterface(SecureCookieSessionInterface):
    """A file is the same for everyone: its answer neither sets the session cookie nor says
    `Vary: Cookie` (flask-login's after-request look at the session would add it), which
    would have a shared cache (a proxy, a CDN) keep a copy per visitor, or none."""

    def save_session(self, app, session, response) -> None:
        if request.endpoint not in app.extensions.get("asset_folders", {}):
            super().save_session(app, session, response)


def init_app(app: Flask) -> None:
    assert app.static_folder
    assert type(app.session_interface) is SecureCookieSessionInterface  # not another's
    app.session_interface = _SessionInterface()
    static_folder = app.static_folder
    add_folder(app, "static", static_folder)
    app.view_functions["static"] = lambda filename: serve(static_folder, filename)
    app.url_defaults(_fingerprint)
    app.jinja_env.globals["static_addresses"] = static_addresses


def _fingerprint(endpoint: str, values: dict) -> None:
    folder = current_app.extensions.get("asset_folders", {}).get(endpoint)
    if folder is None or "v" in values or "filename" not in values:
        return
    asset = CACHE.get(folder, values["filename"])
    if asset is not None:  # a folder's address (icons/) has none: what is added to it would follow
        values["v"] = asset.fingerprint


def static_addresses(subfolder: str, suffix: str) -> dict[str, str]:
    """The fingerprinted addresses of the static files `subfolder/*suffix`, by name without
    the suffix: for scripts that pick a file by name (a case type's icon)."""
    assert current_app.static_folder
    return {path.name.removesuffix(suffix): url_for("static", filename=f"{subfolder}/{path.name}")
            for path in sorted(Path(current_app.static_folder, subfolder).glob(f"*{suffix}"))}


def serve(folder: str | os.PathLike, filename: str) -> BaseResponse:
    """The file, compressed as the browser accepts, immutable when asked by its fingerprint."""
    asset = CACHE.get(folder, filename)
    if asset is None:
        abort(404)
    encoding = request.accept_encodings.best_match(ENCODINGS) if asset.compressible else None
    body = CACHE.encoded(asset, encoding) if encoding else None
    if body is None:
        body, encoding = asset.body, None
    response = current_app.response_class(body, mimetype=asset.mimetype)
    if asset.compressible:
        response.vary.add("Accept-Encoding")
    if encoding:
        response.content_encoding = encoding  # transfer.py does not compress files again
    # Strong: these exact bytes. Each encoding is a different representation, its own tag.
    response.set_etag(f"{asset.fingerprint}.{encoding}" if encoding else asset.fingerprint)
    response.last_modified = asset.modified
    response.cache_control.public = True
    if request.args.get("v") == asset.fingerprint:
        response.cache_control.max_age = YEAR
        response.cache_control.immutable = True
    else:
        response.cache_control.max_age = UNVERSIONED_MAX_AGE
    return response.make_conditional(request)
