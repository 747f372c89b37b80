"""Security headers (issue 16, item 3): a strict Content-Security-Policy, no framing, the
Referrer- and Permissions-Policy, HSTS behind HTTPS; and the browser check that catches
anything the policy blocks."""
import re
from pathlib import Path

import pytest
from sqlalchemy import select

from mapdash.demo.load import DEMO_PASSWORD
from mapdash.models import Incident
from mapdash.security import tile_source
from tests.support import csrf_token, login, make_app

DISPATCHER = "dispatcher@demo.mapdash.test"
CREW = "crew@demo.mapdash.test"
ROOT = Path(__file__).resolve().parent.parent


def policy(response) -> dict[str, list[str]]:
    """The Content-Security-Policy as {directive: sources}."""
    header = response.headers["Content-Security-Policy"]
    directives = [part.split() for part in header.split(";")]
    return {name: sources for name, *sources in directives}


def assert_safe_headers(response, nonce=None):
    csp = policy(response)
    scripts = ["'self'", f"'nonce-{nonce}'"] if nonce else ["'self'"]
    assert csp["script-src"] == scripts and csp["style-src"] == scripts
    assert csp["default-src"] == ["'self'"]
    # the tests' TILE_URL (tests/support.py): map tiles from a host of their own, shown and
    # downloaded into the crew's offline map pack
    assert csp["img-src"] == ["'self'", "data:", "blob:", "http://127.0.0.1:9"]
    assert csp["connect-src"] == ["'self'", "http://127.0.0.1:9"]
    assert csp["worker-src"] == ["'self'"] and csp["manifest-src"] == ["'self'"]
    assert csp["object-src"] == ["'none'"] and csp["base-uri"] == ["'none'"]
    assert csp["form-action"] == ["'self'"] and csp["frame-ancestors"] == ["'none'"]
    assert "unsafe" not in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert "Strict-Transport-Security" not in response.headers  # plain HTTP


def permissions(response) -> dict[str, str]:
    return dict(item.split("=") for item in response.headers["Permissions-Policy"].split(", "))


def nonces(page: str) -> set[str]:
    return set(re.findall(r'<(?:script|style)\b[^>]* nonce="([^"]+)"', page))


def test_a_page_with_a_map_runs_only_its_own_nonced_inline_code(demo_client):
    response = demo_client.get("/")
    page = response.get_data(as_text=True)
    (nonce,) = nonces(page)  # one per request: folium's map set-up carries it
    assert_safe_headers(response, nonce)
    # every inline <script> and <style> carries the nonce; data blocks (JSON) run nothing
    for tag in re.findall(r"<(?:script|style)\b[^>]*>", page):
        assert f'nonce="{nonce}"' in tag or "src=" in tag or 'type="application/json"' in tag, tag
    assert nonce not in nonces(demo_client.get("/").get_data(as_text=True))  # a new one each time


def test_templates_hold_no_inline_script_handler_or_style():
    for template in (ROOT / "templates").rglob("*.html"):
        text = template.read_text()
        assert not re.search(r"<script(?![^>]*\b(src=|type=\"application/json\"))[^>]*>", text), template
        assert not re.search(r"\son[a-z]+\s*=|javascript:|<style|\sstyle=", text), template


@pytest.mark.parametrize("path", ["/api/public/cases.geojson", "/static/css/app.css",
                                  "/vendor/leaflet/leaflet.js", "/categories.css",
                                  "/no-such-page", "/login"])
def test_headers_on_json_static_files_and_errors(demo_client, path):
    response = demo_client.get(path)
    assert response.status_code in (200, 404)
    assert_safe_headers(response)  # no inline code on these: no nonce


def test_geolocation_only_on_the_report_form_and_the_crew_page(demo_app):
    anonymous = demo_app.test_client()
    report, home = anonymous.get("/report/streetlight"), anonymous.get("/")
    crew = demo_app.test_client()
    assert login(crew, CREW, DEMO_PASSWORD).status_code == 302
    dispatcher = demo_app.test_client()
    assert login(dispatcher, DISPATCHER, DEMO_PASSWORD).status_code == 302
    console = dispatcher.get("/dispatch/")
    pages = {"report": report, "home": home, "crew": crew.get("/crew/"), "dispatch": console,
             "json": dispatcher.get("/api/dispatch/cases.geojson")}
    assert {name: response.status_code for name, response in pages.items()} == dict.fromkeys(pages, 200)
    allowed = {name: {f for f, allow in permissions(response).items() if allow == "(self)"}
               for name, response in pages.items()}
    assert allowed == {"report": {"geolocation"}, "home": set(), "crew": {"geolocation"},
                       "dispatch": {"autoplay"}, "json": set()}
    # The crew's photo button is <input capture>: the phone's camera app, no permission needed.
    assert permissions(pages["crew"])["camera"] == "()"
    assert 'capture="environment"' in pages["crew"].get_data(as_text=True)
    for response in pages.values():
        assert set(permissions(response).values()) <= {"()", "(self)"}
    assert_safe_headers(console, nonces(console.get_data(as_text=True)).pop())


def test_the_printed_form_keeps_what_chromes_pdf_viewer_needs(demo_app, demo_session):
    """Chrome draws a PDF in a page of its own, with an <embed> and inline styles: a PDF gets
    only frame-ancestors (it runs none of our code), and every other header."""
    incident = demo_session.scalars(select(Incident).order_by(Incident.id)).first()
    client = demo_app.test_client()
    assert login(client, DISPATCHER, DEMO_PASSWORD).status_code == 302
    token = csrf_token(client, "/dispatch/")
    response = client.post(f"/dispatch/cases/{incident.id}/form.pdf", data={"csrf_token": token})
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Security-Policy"] == "frame-ancestors 'none'"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_hsts_only_over_https_seen_through_a_trusted_proxy(demo_database_url, tmp_path):
    direct = make_app(demo_database_url, tmp_path).test_client()
    proxied = make_app(demo_database_url, tmp_path, PROXY_COUNT=1).test_client()
    hsts = "Strict-Transport-Security"
    assert direct.get("/login", base_url="https://localhost").headers[hsts].startswith("max-age=")
    assert hsts not in direct.get("/login").headers
    # X-Forwarded-Proto counts only from the proxies PROXY_COUNT says are there
    forwarded = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"}
    assert hsts not in direct.get("/login", headers=forwarded).headers
    assert proxied.get("/login", headers=forwarded).headers[hsts] == \
        "max-age=31536000; includeSubDomains"
    assert hsts not in proxied.get("/login").headers


def test_tile_hosts_become_image_sources():
    assert tile_source("https://tile.openstreetmap.org/{z}/{x}/{y}.png") == \
        "https://tile.openstreetmap.org"
    assert tile_source("https://{s}.tile.example.org:8443/{z}/{x}/{y}.png") == \
        "https://*.tile.example.org:8443"
    assert tile_source("https://tiles-{s}.example.org/{z}/{x}/{y}.png") == "https://*.example.org"
    assert tile_source("/tiles/{z}/{x}/{y}.png") == ""  # served by this app: 'self'


def test_category_colours_come_from_a_stylesheet(demo_client):
    css = demo_client.get("/categories.css")
    assert css.mimetype == "text/css" and css.headers["Cache-Control"] == "no-cache"
    assert re.search(r"\.type-color-\d+ \{ --type-color: #dc2626; \}", css.get_data(as_text=True))
    assert demo_client.get("/categories.css", headers={"If-None-Match": css.headers["ETag"]}
                           ).status_code == 304


def test_the_browser_check_catches_what_the_policy_blocks(live_server, desktop, browser):
    desktop.goto(live_server + "/")
    desktop.wait_for_selector(".leaflet-container")
    assert browser.violations == []  # the map and its nonced set-up ran
    ran = desktop.evaluate("""() => new Promise((resolve) => {
        const seen = new Set();  // Chromium may report one attribute twice
        document.addEventListener("securitypolicyviolation", (event) => {
            seen.add(event.violatedDirective);
            if (seen.size === 3) resolve(window.injected);
        });
        document.body.insertAdjacentHTML("beforeend",
            '<p style="color: red">x</p><img src="/static/icons/pin.svg" onload="window.injected = 1">');
        const script = document.createElement("script");
        script.textContent = "window.injected = 2";
        document.body.append(script);
    })""")
    assert ran is None  # neither the handler nor the script without the nonce ran
    desktop.wait_for_function("() => true")  # lets the page's reports reach the test
    directives = {v.split(": ", 1)[1].split()[0] for v in browser.violations}
    assert directives == {"script-src-attr", "script-src-elem", "style-src-attr"}, browser.violations
    browser.violations.clear()


def test_the_login_page_and_the_dispatch_console_cannot_be_framed(live_server, desktop, browser):
    # signed in first: the console itself, not only its sign-in page, is refused to the frame
    desktop.goto(live_server + "/login")
    desktop.fill("input[name=email]", DISPATCHER)
    desktop.fill("input[name=password]", DEMO_PASSWORD)
    desktop.click("button[type=submit]")
    desktop.wait_for_url("**/dispatch/")
    for path in ("/login", "/dispatch/"):
        desktop.set_content(f'<iframe src="{live_server}{path}" width="800" height="600"></iframe>')
        frame = desktop.frame_locator("iframe")
        desktop.wait_for_load_state("load")
        assert frame.locator("input[name=email], #dispatch").count() == 0, path
    assert browser.violations == []
