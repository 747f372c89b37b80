"""Static files under fingerprinted addresses, kept a year, compressed once (mapdash/assets.py,
issue 15): the app's own pages and a throwaway static folder whose files the tests change."""
import gzip
import os
import re
import threading
from pathlib import Path

import brotli
import pytest
from backports import zstd
from flask import Flask, url_for
from werkzeug.serving import make_server

from mapdash import assets, transfer
from tests.factories import make_org

ROOT = Path(__file__).resolve().parents[1]
DECODE = {"br": brotli.decompress, "gzip": gzip.decompress, "zstd": zstd.decompress}
IMMUTABLE = {"public", "max-age=31536000", "immutable"}
SCRIPT = "// a script of some length\n" + "".join(
    f"function f{n}(a, b) {{ return a * {n} + b; }}\n" for n in range(200))


def cache_control(response) -> set[str]:
    return {part.strip() for part in response.headers["Cache-Control"].split(",")}


@pytest.fixture
def org(session):
    organization = make_org(session)
    session.commit()
    return organization


@pytest.fixture
def folder(tmp_path):
    """A static folder of its own: a script, a style referring to an icon, the icon."""
    (tmp_path / "js").mkdir()
    (tmp_path / "css").mkdir()
    (tmp_path / "icons").mkdir()
    (tmp_path / "js" / "app.js").write_text(SCRIPT)
    (tmp_path / "icons" / "pin.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg"/>')
    (tmp_path / "css" / "app.css").write_text(
        '.pin { background: url("../icons/pin.svg") no-repeat; }\n'
        '.none { background: url("missing.png"); } .data { background: url(data:image/png;base64,AA==); }\n'
        + ".x { color: red; }\n" * 100)
    return tmp_path


@pytest.fixture
def small_app(folder):
    """Flask's own static route, as the app sets it up (assets, then transfer)."""
    application = Flask("assets_test", static_folder=str(folder), static_url_path="/static")
    assets.init_app(application)
    transfer.init_app(application)
    return application


def address(application, filename: str) -> str:
    with application.test_request_context():
        return url_for("static", filename=filename)


def changed(path: Path, content: str) -> None:
    """New content, and a new modification time whatever the clock's resolution."""
    before = path.stat().st_mtime_ns
    path.write_text(content)
    os.utime(path, ns=(before + 10**9, before + 10**9))


def test_a_pages_files_carry_their_fingerprint_and_are_kept_a_year(client, org):
    page = client.get("/report/streetlight")
    policy = page.headers["Content-Security-Policy"]
    strict = re.compile(r"script-src 'self'( 'nonce-[\w-]+')?; style-src 'self'( 'nonce-[\w-]+')?;")
    assert strict.search(policy) and "unsafe" not in policy  # still strict
    files = re.findall(r'(?:src|href)="(/(?:static|vendor)/[^"]+)"', page.get_data(as_text=True))
    assert any(f.startswith("/static/css/app.css?v=") for f in files)
    assert any(f.startswith("/vendor/leaflet/leaflet.js?v=") for f in files)
    for file in files:
        path, _, fingerprint = file.partition("?v=")
        assert re.fullmatch(r"[0-9a-f]{16}", fingerprint), file
        answer = client.get(file, headers={"Accept-Encoding": "br"})
        assert answer.status_code == 200 and cache_control(answer) == IMMUTABLE, file
        assert strict.search(answer.headers["Content-Security-Policy"])
        assert "Cookie" not in answer.headers["Vary"] and "Set-Cookie" not in answer.headers
        # Not the current fingerprint, or none: a minute, then asked again.
        for stale in (path, f"{path}?v=0123456789abcdef"):
            again = client.get(stale)
            assert cache_control(again) == {"public", "max-age=60"}, stale
            assert again.headers["ETag"] and again.headers["Last-Modified"]


def test_leaflet_in_a_folium_map_and_its_css_images_are_fingerprinted(client, org):
    page = client.get("/report/streetlight").get_data(as_text=True)
    css = re.search(r'href="(/vendor/leaflet/leaflet\.css\?v=[0-9a-f]{16})"', page).group(1)
    style = client.get(css).get_data(as_text=True)
    images = re.findall(r"url\((images/[^)]+)\)", style)
    assert images and all(re.search(r"\?v=[0-9a-f]{16}$", image) for image in images)
    layers = client.get(f"/vendor/leaflet/{images[0]}")
    assert layers.mimetype == "image/png" and cache_control(layers) == IMMUTABLE


def test_a_changed_file_has_a_new_address_and_the_old_one_is_revalidated(small_app, folder):
    client = small_app.test_client()
    first = address(small_app, "js/app.js")
    assert cache_control(client.get(first)) == IMMUTABLE
    changed(folder / "js" / "app.js", SCRIPT + "// one more line\n")
    second = address(small_app, "js/app.js")
    assert second != first and second.startswith("/static/js/app.js?v=")
    new = client.get(second)
    assert cache_control(new) == IMMUTABLE and new.data.endswith(b"// one more line\n")
    old = client.get(first)  # an old page's address: the new file, but not kept a year
    assert old.data == new.data and "immutable" not in cache_control(old)
    # Folders have no fingerprint: what a script adds to them still names a file. Scripts
    # that pick an icon by name get every icon's fingerprinted address.
    assert address(small_app, "icons/") == "/static/icons/"
    with small_app.test_request_context():
        assert assets.static_addresses("icons", ".svg") == {"pin": address(small_app, "icons/pin.svg")}
    assert client.get("/static/js/none.js").status_code == 404
    assert client.get("/static/../" + folder.name + "/js/app.js").status_code == 404


def test_a_styles_references_carry_their_files_fingerprint(small_app, folder):
    client = small_app.test_client()
    style_address = address(small_app, "css/app.css")
    style = client.get(style_address).get_data(as_text=True)
    icon = re.search(r'url\("(\.\./icons/pin\.svg\?v=[0-9a-f]{16})"\)', style).group(1)
    assert cache_control(client.get("/static/css/" + icon)) == IMMUTABLE
    assert 'url("missing.png")' in style and "url(data:image/png;base64,AA==)" in style
    # A new icon: a new address in the style, so a new style address too.
    changed(folder / "icons" / "pin.svg", '<svg xmlns="http://www.w3.org/2000/svg"><g/></svg>')
    assert address(small_app, "css/app.css") != style_address
    assert icon not in client.get(address(small_app, "css/app.css")).get_data(as_text=True)


@pytest.mark.parametrize("encoding", ["br", "zstd", "gzip"])
def test_compressed_once_each_encoding_and_revalidated_by_its_own_tag(small_app, encoding):
    client = small_app.test_client()
    url = address(small_app, "js/app.js")
    before = assets.CACHE.compressions
    first = client.get(url, headers={"Accept-Encoding": encoding})
    assert first.headers["Content-Encoding"] == encoding
    assert "Accept-Encoding" in first.headers["Vary"]
    assert DECODE[encoding](first.data) == SCRIPT.encode() and len(first.data) < len(SCRIPT) / 4
    assert assets.CACHE.compressions == before + 1
    second = client.get(url, headers={"Accept-Encoding": encoding})
    assert second.data == first.data and assets.CACHE.compressions == before + 1  # reused
    tag = first.headers["ETag"]
    assert tag == f'"{url.partition("?v=")[2]}.{encoding}"'  # strong: these very bytes
    unchanged = client.get(url, headers={"Accept-Encoding": encoding, "If-None-Match": tag})
    assert unchanged.status_code == 304 and unchanged.data == b""
    assert cache_control(unchanged) == IMMUTABLE
    # The plain file is another representation: another tag, and its own 304.
    plain = client.get(url, headers={"Accept-Encoding": "identity", "If-None-Match": tag})
    assert plain.status_code == 200 and plain.data == SCRIPT.encode()
    assert "Content-Encoding" not in plain.headers
    assert client.get(url, headers={"Accept-Encoding": "identity", "If-None-Match": plain.headers["ETag"]}
                      ).status_code == 304
    since = client.get(url, headers={"If-Modified-Since": plain.headers["Last-Modified"]})
    assert since.status_code == 304
    assert assets.CACHE.compressions == before + 1


def test_images_and_tiny_files_are_sent_as_they_are(small_app, folder):
    client = small_app.test_client()
    (folder / "icons" / "dot.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)))
    png = client.get(address(small_app, "icons/dot.png"), headers={"Accept-Encoding": "br"})
    assert "Content-Encoding" not in png.headers and png.mimetype == "image/png"
    # Compressing a few bytes makes them longer: the plain file, and flask-compress leaves it.
    (folder / "js" / "tiny.js").write_text("x")
    tiny = client.get(address(small_app, "js/tiny.js"), headers={"Accept-Encoding": "gzip"})
    assert "Content-Encoding" not in tiny.headers and tiny.data == b"x"


def test_the_app_serves_our_files_byte_for_byte(client):
    source = (ROOT / "static/js/dispatch.js").read_bytes()
    with client.application.test_request_context():
        url = url_for("static", filename="js/dispatch.js")
    for encoding, decode in DECODE.items():
        answer = client.get(url, headers={"Accept-Encoding": encoding})
        assert answer.headers["Content-Encoding"] == encoding and decode(answer.data) == source


class CountingServer:
    """The demo app over HTTP, noting the path of every request that reaches it."""

    def __init__(self, application):
        self.paths: list[str] = []

        def counted(environ, start_response):
            self.paths.append(environ["PATH_INFO"])
            return application(environ, start_response)
        self._server = make_server("127.0.0.1", 0, counted, threaded=True)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self.url = f"http://127.0.0.1:{self._server.server_port}"

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._server.shutdown()
        self._thread.join()


def visit(server: CountingServer, page, path: str, ready: str) -> list[str]:
    """The paths a visit of `path` asked the server for."""
    start = len(server.paths)
    page.goto(server.url + path)
    page.wait_for_selector(ready)
    page.wait_for_load_state("networkidle")
    return server.paths[start:]


def test_a_second_visit_asks_the_server_for_no_file(demo_app, browser):
    """The browser keeps what it fetched by its fingerprint: the pages again, with their data,
    and not one script, style or image."""
    files = ("/static/", "/vendor/")
    context = browser.new_context(viewport={"width": 1440, "height": 900}, locale="th-TH")
    page = context.new_page()
    with CountingServer(demo_app) as server:
        first = visit(server, page, "/", "#village-map[data-loaded='13']")
        assert sum(path.startswith(files) for path in first) >= 5
        second = visit(server, page, "/", "#village-map[data-loaded='13']")
        print(f"\nhome: {len(first)} requests, then {len(second)}: {second}")
        assert [path for path in second if path.startswith(files)] == []
        start = len(server.paths)
        page.goto(server.url + "/login?next=/dispatch/")
        page.fill("input[name=email]", "dispatcher@demo.mapdash.test")
        page.fill("input[name=password]", "demo-password")
        page.click("button[type=submit]")
        page.wait_for_url("**/dispatch/")
        page.locator(".case-row").first.wait_for()
        page.wait_for_load_state("networkidle")
        # Signed in (a new session cookie), the files the home page fetched are still kept.
        fetched_again = set(first) & set(server.paths[start:])
        assert {path for path in fetched_again if path.startswith(files)} == set()
        again = visit(server, page, "/dispatch/", ".case-row")
        print(f"dispatch, second visit: {len(again)} requests: {again}")
        assert [path for path in again if path.startswith(files)] == []
    context.close()
