"""Answers travel compressed as the browser accepts, and data the browser keeps is
revalidated: unchanged, it is a 304 with no body (mapdash/transfer.py, issue 15)."""
import gzip
import json
from pathlib import Path

import brotli
import pytest
from backports import zstd
from sqlalchemy import text

from mapdash.office.auth import create_user
from tests.factories import make_incident, make_org
from tests.support import login

PASSWORD = "correct horse battery"
DECODE = {"br": brotli.decompress, "gzip": gzip.decompress, "zstd": zstd.decompress}


@pytest.fixture
def org(session):
    organization = make_org(session)
    create_user(session, organization_id=organization.id, email="dispatcher@example.test",
                password=PASSWORD, role="dispatcher")
    for lon in (100.003, 100.004, 100.013):
        make_incident(session, lon=lon, description="ไฟดับหน้าบ้าน " * 20)
    session.commit()
    return organization


@pytest.mark.parametrize("accepted, chosen", [
    ("gzip, deflate, br, zstd", "br"), ("gzip", "gzip"), ("zstd", "zstd"), ("identity", None)])
def test_data_is_compressed_as_the_browser_accepts(client, org, accepted, chosen):
    plain = client.get("/api/villages.geojson")
    answer = client.get("/api/villages.geojson", headers={"Accept-Encoding": accepted})
    assert answer.status_code == 200 and "Accept-Encoding" in answer.headers["Vary"]
    assert answer.headers.get("Content-Encoding") == chosen
    body = DECODE[chosen](answer.data) if chosen else answer.data
    assert json.loads(body) == plain.get_json() and len(plain.get_json()["features"]) == 2
    if chosen:
        assert len(answer.data) < len(plain.data) / 2


def test_scripts_and_styles_are_compressed_but_pages_are_not(client, org):
    script = client.get("/static/js/dispatch.js", headers={"Accept-Encoding": "br"})
    assert script.headers["Content-Encoding"] == "br"
    source = Path(__file__).parents[1].joinpath("static/js/dispatch.js").read_bytes()
    assert brotli.decompress(script.data) == source
    style = client.get("/static/css/app.css", headers={"Accept-Encoding": "gzip, zstd"})
    assert style.headers["Content-Encoding"] == "zstd"
    # Asked without its fingerprint, kept a minute and asked again: unchanged, a 304.
    leaflet = client.get("/vendor/leaflet/leaflet.js", headers={"Accept-Encoding": "br"})
    assert leaflet.headers["Content-Encoding"] == "br"
    again = client.get("/vendor/leaflet/leaflet.js", headers={
        "Accept-Encoding": "br", "If-None-Match": leaflet.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""
    # A page holds the CSRF token beside what the reader typed: never compressed (BREACH).
    page = client.get("/report/streetlight", headers={"Accept-Encoding": "br, gzip"})
    assert page.status_code == 200 and "Content-Encoding" not in page.headers


def test_an_open_data_download_streams_compressed(client, org):
    plain = client.get("/api/opendata/cases.csv").data
    answer = client.get("/api/opendata/cases.csv", headers={"Accept-Encoding": "br"})
    assert answer.is_streamed and answer.headers["Content-Encoding"] == "br"
    assert brotli.decompress(answer.data) == plain and plain.count(b"\n") == 4


def test_an_unchanged_public_map_is_a_304(client, session, org):
    first = client.get("/api/villages.geojson", headers={"Accept-Encoding": "br"})
    tag = first.headers["ETag"]
    assert tag.startswith('W/"') and first.headers["Cache-Control"] == "no-cache"
    again = client.get("/api/villages.geojson", headers={"If-None-Match": tag,
                                                          "Accept-Encoding": "br"})
    assert again.status_code == 304 and again.data == b""
    session.execute(text("UPDATE villages SET name_th = 'บ้านใหม่' WHERE number = 1"))
    session.commit()
    changed = client.get("/api/villages.geojson", headers={"If-None-Match": tag})
    assert changed.status_code == 200 and changed.headers["ETag"] != tag
    assert "บ้านใหม่" in {f["properties"]["name_th"] for f in changed.get_json()["features"]}


def test_the_dispatchers_map_is_revalidated_and_never_shared(client, session, org):
    login(client, "dispatcher@example.test", PASSWORD)
    url = "/api/dispatch/cases.geojson?bbox=100.0,10.0,100.02,10.01"
    first = client.get(url)
    assert len(first.get_json()["features"]) == 3
    assert first.headers["Cache-Control"] == "private, no-cache"
    tag = first.headers["ETag"]
    assert client.get(url, headers={"If-None-Match": tag}).status_code == 304
    make_incident(session, lon=100.005)
    session.commit()
    after = client.get(url, headers={"If-None-Match": tag})
    assert after.status_code == 200 and len(after.get_json()["features"]) == 4
