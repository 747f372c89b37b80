"""Open311 with the demo tambon: a request filed by an app reaches the dispatcher's map and
the citizen's status page; junk at every endpoint gets the spec's errors, never a 500."""
import itertools
import json
import xml.etree.ElementTree as ET

import pytest

from mapdash import db
from mapdash.office import apikeys
from mapdash.office.orgs import find_organization
from tests.support import login


@pytest.fixture
def key(demo_app):
    with db.new_session(demo_app, expire_on_commit=True) as session:
        _row, value = apikeys.create_key(session, "province app", find_organization(session))
        session.commit()
    return value


def test_a_request_from_an_app_reaches_the_dispatcher_and_the_status_page(demo_app, key):
    app_client, staff = demo_app.test_client(), demo_app.test_client()
    [filed] = app_client.post("/open311/v2/requests.json", data={
        "api_key": key, "service_code": "ems", "lat": "17.3515", "long": "104.6215",
        "description": "รถจักรยานยนต์ล้ม", "attribute[main_type]": "accident"}).get_json()
    code = filed["service_request_id"]

    login(staff, "dispatcher@demo.mapdash.test", "demo-password")
    cases = staff.get("/api/dispatch/cases.geojson").get_json()
    [feature] = [f for f in cases["features"] if f["properties"]["code"] == code]
    assert feature["properties"]["category"] == "ems"
    panel = staff.get(f"/dispatch/cases/{feature['id']}").get_data(as_text=True)
    assert "ประเภทเหตุ" in panel and "อุบัติเหตุ" in panel and "รถจักรยานยนต์ล้ม" in panel

    page = app_client.get(f"/track/{code}").get_data(as_text=True)
    assert "อุบัติเหตุ / ป่วยฉุกเฉิน" in page and "หมู่ 1" in page
    [listed] = app_client.get(f"/open311/v2/requests/{code}.json").get_json()
    assert listed["status"] == "open"
    assert listed["agency_responsible"] == "กองสาธารณสุขและสิ่งแวดล้อม"


JUNK = ["", "x", "yaml", "%00", "\u0e01\u0e02" * 300, "9" * 5000, "../../etc/passwd", "a,b,,c",
        "<x>&amp;", "1e999", "NaN", "-1", "2026-02-30T00:00:00Z", "\ud7ff"]
PATHS = ["discovery", "services", "services/{j}", "requests", "requests/{j}", "tokens/{j}",
         "{j}", "requests/{j}/{j}"]
FORMATS = ["xml", "json", "yaml", "", "XML"]
PARAMS = ["jurisdiction_id", "service_request_id", "service_code", "start_date", "end_date",
          "status", "lat", "long", "address_string", "api_key", "attribute[main_type]",
          "attribute[x][]", "media_url", "email", "description"]


def _check(response, what):
    assert response.status_code in (200, 400, 403, 404), (what, response.status_code)
    if response.status_code != 200:
        body = response.data
        if response.headers["Content-Type"].startswith("application/json"):
            [error] = json.loads(body)
            assert set(error) == {"code", "description"}, what
        else:
            root = ET.fromstring(body)
            assert root.tag == "errors" and root.find("error/description").text, what


def test_junk_at_every_endpoint_is_answered_in_the_spec_shape(demo_app, demo_client, key):
    demo_app.config["OPEN311_RATELIMIT_PER_MINUTE"] = 10_000  # hundreds of POSTs in seconds
    urls = {f"/open311/v2/{path.format(j=junk)}" + (f".{fmt}" if fmt else "")
            for path, junk, fmt in itertools.product(PATHS, JUNK[:8], FORMATS)}
    for url in sorted(urls):
        for method in ("GET", "POST", "PUT", "DELETE"):
            _check(demo_client.open(url, method=method), (method, url))
    for param, junk in itertools.product(PARAMS, JUNK):
        # Every parameter is checked whatever the others say; an unknown id beside the junk
        # keeps the answer short (listing all the demo's requests proves nothing more here).
        query = {"service_request_id": "none-such", param: junk}
        for fmt in ("xml", "json"):
            _check(demo_client.get(f"/open311/v2/requests.{fmt}", query_string=query),
                   (param, junk))
            _check(demo_client.get(f"/open311/v2/services/ems.{fmt}",
                                   query_string={param: junk}), (param, junk))
            form = {"api_key": key, "service_code": "road", "lat": "17.35", "long": "104.62",
                    param: junk}
            _check(demo_client.post(f"/open311/v2/requests.{fmt}", data=form), (param, junk))


def test_a_body_that_is_not_a_form_is_refused_cleanly(demo_client, key):
    for body, kind in ((b"\xff\xfe\x00garbage", "application/x-www-form-urlencoded"),
                       (b'{"api_key": "x"}', "application/json"),
                       (b"--b\r\nbroken", "multipart/form-data; boundary=b")):
        _check(demo_client.post("/open311/v2/requests.xml", data=body, content_type=kind),
               kind)
