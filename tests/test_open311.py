"""Open311 GeoReport v2 at /open311/v2/: every endpoint in XML and JSON, every filter of GET
requests, filing through the one intake, and the spec's element names."""
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from mapdash.cases import intake, photos, workflow
from mapdash.cases.time_limits import set_for
from mapdash.models import ApiKey, Category, Incident, IncidentEvent, Organization, User
from mapdash.office import apikeys
from tests import photo_samples as samples
from tests.factories import make_org

# The element names of GeoReport v2 (wiki.open311.org/GeoReport_v2 and /Service_Discovery).
SPEC = {
    "discovery": {"changeset", "contact", "key_service", "endpoints"},
    "endpoint": {"specification", "url", "changeset", "type", "formats"},
    "service": {"service_code", "service_name", "description", "metadata", "type", "keywords",
                "group"},
    "service_definition": {"service_code", "attributes"},
    "attribute": {"variable", "code", "datatype", "required", "datatype_description", "order",
                  "description", "values"},
    "value": {"key", "name"},
    "request": {"service_request_id", "status", "status_notes", "service_name", "service_code",
                "description", "agency_responsible", "service_notice", "requested_datetime",
                "updated_datetime", "expected_datetime", "address", "address_id", "zipcode",
                "lat", "long", "media_url", "token", "account_id"},
    "error": {"code", "description"},
}
CONTAINERS = {"services": "service", "service_requests": "request", "attributes": "attribute",
              "values": "value", "endpoints": "endpoint", "formats": "format", "errors": "error"}
ISO = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+07:00$"


def check_spec_names(element: ET.Element):
    """Every element is one the spec names, where the spec puts it."""
    if element.tag in CONTAINERS:
        for child in element:
            assert child.tag == CONTAINERS[element.tag], (element.tag, child.tag)
            check_spec_names(child)
    elif element.tag in SPEC:
        for child in element:
            assert child.tag in SPEC[element.tag], (element.tag, child.tag)
            check_spec_names(child)
    else:
        assert len(element) == 0, element.tag  # a leaf


def xml_of(response, root: str) -> ET.Element:
    assert response.headers["Content-Type"].startswith("text/xml")
    assert response.data.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    element = ET.fromstring(response.data)
    assert element.tag == root
    check_spec_names(element)
    return element


@pytest.fixture
def office(app, session):
    """A tambon of two villages, a key, and cases reported over the last 100 days."""
    org = make_org(session)
    _row, key = apikeys.create_key(session, "community app", org)
    now = datetime.now(UTC)

    def report(category="streetlight", days_ago=1, lon=100.005, **fields):
        return intake.create_incident(session, intake.Report(
            category_code=category, lon=lon, lat=10.005, **fields),
            created_at=now - timedelta(days=days_ago))

    with app.app_context():
        light = report(description="หลอดขาด โทร 0899999999", reporter_name="สมหญิง ใจดี",
                       reporter_phone="0899999999")
        photos.store_photo(session, light, photos.process_image(samples.jpeg()), "report")
        water = report("water", days_ago=10, lon=100.015, attributes={"still_flowing": "yes"})
        old = report("road", days_ago=100)
        tip = report("drug_tip", days_ago=2)
        closed = report("road", days_ago=5)
    dispatcher = User(organization_id=org.id, email="d@example.test", password_hash="x",
                      role="dispatcher")
    session.add(dispatcher)
    session.flush()
    workflow.perform(session, closed.id, "accept", dispatcher)
    workflow.perform(session, closed.id, "resolve", dispatcher, note="ซ่อมถนนแล้ว")
    session.commit()
    return {"org": org, "key": key, "light": light, "water": water, "old": old, "tip": tip,
            "closed": closed}


def ids(items) -> set[str]:
    return {item["service_request_id"] for item in items}


# --- discovery and services ---------------------------------------------------------------

def test_discovery_names_the_endpoint_and_its_formats(client, office):
    root = xml_of(client.get("/open311/v2/discovery.xml"), "discovery")
    endpoint = root.find("endpoints/endpoint")
    assert endpoint.findtext("specification") == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint.findtext("url") == "http://localhost/open311/v2"
    assert [f.text for f in endpoint.find("formats")] == ["text/xml", "application/json"]
    data = client.get("/open311/v2/discovery.json").get_json()
    assert data["endpoints"][0]["formats"] == ["text/xml", "application/json"]
    assert data["changeset"].endswith("+00:00")


def test_services_list_every_type_but_the_sensitive_ones(client, office):
    root = xml_of(client.get("/open311/v2/services.xml"), "services")
    codes = [s.findtext("service_code") for s in root]
    assert "streetlight" in codes and "ems" in codes and "drug_tip" not in codes
    light = next(s for s in root if s.findtext("service_code") == "streetlight")
    assert light.findtext("service_name") == "ไฟฟ้าส่องสว่างดับ"
    assert light.findtext("group") == "กองช่าง"
    assert light.findtext("metadata") == "true" and light.findtext("type") == "realtime"
    assert "Streetlight out" in light.findtext("keywords")
    data = client.get("/open311/v2/services.json?lang=en").get_json()
    assert isinstance(data, list) and len(data) == len(codes)
    road = next(s for s in data if s["service_code"] == "road")
    assert road["metadata"] is False and road["group"] == "Engineering Division"
    assert road["service_name"] == "Damaged road"


def test_a_service_definition_lists_its_questions(client, office):
    root = xml_of(client.get("/open311/v2/services/ems.xml"), "service_definition")
    [attribute] = root.find("attributes")
    assert attribute.findtext("code") == "main_type"
    assert attribute.findtext("datatype") == "singlevaluelist"
    assert attribute.findtext("required") == "false" and attribute.findtext("order") == "1"
    assert [(v.findtext("key"), v.findtext("name")) for v in attribute.find("values")] == [
        ("accident", "อุบัติเหตุ"), ("illness", "ป่วยฉุกเฉิน")]
    data = client.get("/open311/v2/services/streetlight.json?lang=en").get_json()
    assert data["service_code"] == "streetlight"
    assert [a["code"] for a in data["attributes"]] == ["pole_number", "lights_out"]
    assert data["attributes"][1]["datatype"] == "number" and data["attributes"][1]["values"] == []
    road = client.get("/open311/v2/services/road.json").get_json()
    assert road == {"service_code": "road", "attributes": []}


def test_a_sensitive_or_unknown_service_is_not_found(client, office):
    for code in ("drug_tip", "nope"):
        for fmt in ("xml", "json"):
            response = client.get(f"/open311/v2/services/{code}.{fmt}")
            assert response.status_code == 404
    assert client.get("/open311/v2/services/nope.json").get_json()[0]["code"] == 404


# --- GET requests -------------------------------------------------------------------------

def test_requests_default_to_the_last_90_days_newest_first(client, office):
    data = client.get("/open311/v2/requests.json").get_json()
    assert [r["service_request_id"] for r in data] == [
        office[name].tracking_code for name in ("light", "closed", "water")]
    root = xml_of(client.get("/open311/v2/requests.xml"), "service_requests")
    assert [r.findtext("service_request_id") for r in root] == [r["service_request_id"]
                                                               for r in data]


def test_a_request_shows_public_fields_only(client, office):
    light = office["light"]
    [data] = client.get(f"/open311/v2/requests/{light.tracking_code}.json").get_json()
    assert data["status"] == "open" and data["service_code"] == "streetlight"
    assert data["agency_responsible"] == "กองช่าง" and data["address"] == "หมู่ 1 บ้านตะวันตก"
    assert data["lat"] == pytest.approx(10.005) and data["long"] == pytest.approx(100.005)
    assert data["media_url"] == f"http://localhost/photos/{light.photos[0].id}"
    assert data["description"] is None and data["status_notes"] is None
    for field in ("requested_datetime", "updated_datetime", "expected_datetime"):
        assert data[field].endswith("+07:00"), field
    due = datetime.fromisoformat(data["expected_datetime"])
    assert due - datetime.fromisoformat(data["requested_datetime"]) == timedelta(
        minutes=5 + 5 + 5 + 5 + 10 + 7 * 24 * 60 + 30)  # tracking.expected_completion
    body = client.get(f"/open311/v2/requests/{light.tracking_code}.xml").data.decode()
    assert "0899999999" not in body and "สมหญิง" not in body and "หลอดขาด" not in body
    request = xml_of(client.get(f"/open311/v2/requests/{light.tracking_code}.xml"),
                     "service_requests").find("request")
    assert request.findtext("requested_datetime") == data["requested_datetime"]


def test_status_notes_come_from_the_latest_public_event(client, session, office):
    closed = office["closed"]
    [data] = client.get(f"/open311/v2/requests/{closed.tracking_code}.json").get_json()
    assert data["status"] == "closed" and data["status_notes"] == "ซ่อมถนนแล้ว"
    session.add(IncidentEvent(incident_id=closed.id, action="comment", note="ภายในเท่านั้น",
                              public=False, created_at=datetime.now(UTC) + timedelta(minutes=1)))
    session.commit()
    [data] = client.get(f"/open311/v2/requests/{closed.tracking_code}.json").get_json()
    assert data["status_notes"] == "ซ่อมถนนแล้ว"


def test_status_notes_never_show_the_citizens_own_answer(client, session, office):
    water = office["water"]
    dispatcher = session.scalars(select(User).where(User.role == "dispatcher")).one()
    workflow.perform(session, water.id, "request_info", dispatcher, note="ท่อแตกตรงไหนครับ")
    workflow.perform(session, water.id, "reply", None, note="หน้าบ้านนายสมชาย โทร 0811111111")
    session.commit()
    [data] = client.get(f"/open311/v2/requests/{water.tracking_code}.json").get_json()
    assert data["status_notes"] == "ท่อแตกตรงไหนครับ"
    assert "0811111111" not in client.get("/open311/v2/requests.xml?service_code=water").data.decode()


def test_a_closed_request_was_updated_when_it_was_closed(client, session, office):
    """The spec: "For requests with status=closed, this will be the date the request was
    closed", even when staff touch the case afterwards."""
    closed = session.get(Incident, office["closed"].id)
    closed.updated_at = closed.closed_at + timedelta(days=2)
    session.commit()
    [data] = client.get(f"/open311/v2/requests/{closed.tracking_code}.json").get_json()
    assert datetime.fromisoformat(data["updated_datetime"]) == closed.closed_at.replace(
        microsecond=0)
    [open_one] = client.get(f"/open311/v2/requests/{office['light'].tracking_code}.json"
                            ).get_json()
    assert open_one["updated_datetime"] == open_one["requested_datetime"]


def test_a_rejected_case_shows_no_photo(client, session, office):
    light = office["light"]
    dispatcher = session.scalars(select(User)).first()
    workflow.perform(session, light.id, "reject", dispatcher, note="ซ้ำซ้อน")
    session.commit()
    [data] = client.get(f"/open311/v2/requests/{light.tracking_code}.json").get_json()
    assert data["media_url"] is None and data["status"] == "closed"


def test_sensitive_cases_are_never_returned(client, office):
    tip = office["tip"].tracking_code
    assert tip not in ids(client.get("/open311/v2/requests.json").get_json())
    assert client.get(f"/open311/v2/requests.json?service_request_id={tip}").get_json() == []
    assert client.get(f"/open311/v2/requests/{tip}.json").status_code == 404
    assert client.get(f"/open311/v2/tokens/{tip}.json").status_code == 404
    assert client.get("/open311/v2/requests.json?service_code=drug_tip").get_json() == []


def test_service_request_id_list_overrides_the_other_filters(client, office):
    codes = f"{office['old'].tracking_code},{office['light'].tracking_code.lower()}"
    data = client.get(f"/open311/v2/requests.json?service_request_id={codes}"
                      "&service_code=water&status=closed").get_json()
    assert ids(data) == {office["old"].tracking_code, office["light"].tracking_code}
    repeated = client.get("/open311/v2/requests.json", query_string=[
        ("service_request_id", office["old"].tracking_code),
        ("service_request_id", office["light"].tracking_code)]).get_json()
    assert ids(repeated) == ids(data)


def test_service_code_and_status_filters(client, office):
    def found(query):
        return ids(client.get(f"/open311/v2/requests.json?{query}").get_json())
    assert found("service_code=road") == {office["closed"].tracking_code}
    assert found("service_code=road,water") == {office["closed"].tracking_code,
                                                office["water"].tracking_code}
    assert found("status=closed") == {office["closed"].tracking_code}
    assert found("status=open") == {office["light"].tracking_code, office["water"].tracking_code}
    assert found("status=open,closed") == found("")
    assert found("service_code=road&status=open") == set()
    # "can be declared multiple times, comma delimited"
    assert found("service_code=road&service_code=water") == found("service_code=road,water")
    assert found("status=open&status=closed") == found("")


def test_date_filters_and_the_90_day_window(client, office):
    def found(query):
        response = client.get(f"/open311/v2/requests.json?{query}")
        assert response.status_code == 200, response.get_json()
        return ids(response.get_json())
    now = datetime.now(UTC)

    def iso(days):
        return (now - timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%S") + "%2B07:00"
    assert found(f"start_date={iso(120)}") == {office["old"].tracking_code}  # +90 days
    assert found(f"start_date={iso(7)}") == {office["light"].tracking_code,
                                             office["closed"].tracking_code}
    assert found(f"end_date={iso(3)}") == {office["closed"].tracking_code,
                                           office["water"].tracking_code}
    utc = (now - timedelta(days=11)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert found(f"start_date={utc}&end_date={iso(9)}") == {office["water"].tracking_code}


@pytest.mark.parametrize("query", [
    "start_date=2026-01-01", "start_date=2026-13-01T00:00:00Z", "end_date=yesterday",
    "start_date=2026-01-01T00:00:00",
    "start_date=2026-01-01T00:00:00Z&end_date=2026-06-01T00:00:00Z",
    "start_date=2026-02-01T00:00:00Z&end_date=2026-01-01T00:00:00Z", "status=pending",
    "status=open,maybe", "service_request_id=" + ",".join(str(n) for n in range(1001)),
    "start_date=9999-12-31T23:59:59Z", "end_date=0001-01-01T00:00:00Z",
    "end_date=0001-01-01T00:00:00%2B14:00", "start_date=9999-12-31T23:59:59-12:00",
])
def test_bad_filters_are_400_in_the_spec_shape(client, office, query):
    response = client.get(f"/open311/v2/requests.json?{query}")
    assert response.status_code == 400
    [error] = response.get_json()
    assert error["code"] == 400 and error["description"]
    root = xml_of(client.get(f"/open311/v2/requests.xml?{query}"), "errors")
    assert root.find("error/code").text == "400"


def test_results_are_capped_at_1000(client, session, office):
    from mapdash.integrations.open311 import requests
    assert requests.MAX_RESULTS == 1000
    org, light = office["org"], session.get(Category, office["light"].category_id)
    limits = set_for(session, light.sla_minutes).id  # the time limits a case keeps (sql/017)
    now = datetime.now(UTC)
    session.execute(Incident.__table__.insert(), [
        {"tracking_code": f"ZZ{n:02d}-{n:04d}"[:9], "organization_id": org.id,
         "category_id": light.id, "department_id": light.department_id, "status": "new",
         "location": "SRID=4326;POINT(100.005 10.005)", "created_at": now - timedelta(hours=1),
         "updated_at": now, "time_limits_id": limits} for n in range(1001)])
    session.commit()
    assert len(client.get("/open311/v2/requests.json").get_json()) == 1000


# --- POST requests and tokens -------------------------------------------------------------

def post(client, fmt="json", **form):
    return client.post(f"/open311/v2/requests.{fmt}", data=form)


def test_a_posted_request_goes_through_the_one_intake(client, session, office):
    response = post(client, api_key=office["key"], service_code="water", lat="10.005",
                    long="100.015", description="ท่อแตกหน้าวัด", first_name="สมศักดิ์",
                    last_name="รักดี", phone="0812345678", email="somsak@example.org",
                    device_id="x", account_id="y", **{"attribute[still_flowing]": "no"})
    assert response.status_code == 200, response.get_json()
    [answer] = response.get_json()
    # The spec: service_request_id "should not be returned if token is returned", and back.
    assert set(answer) == {"service_request_id", "service_notice", "account_id"}
    incident = session.scalars(select(Incident).where(
        Incident.tracking_code == answer["service_request_id"])).one()
    assert incident.channel == "open311" and incident.village.number == 2
    assert incident.department.code == "engineering" and incident.status == "new"
    assert incident.reporter_name == "สมศักดิ์ รักดี" and incident.reporter_phone == "0812345678"
    assert incident.reporter_email == "somsak@example.org"
    assert incident.attributes == {"still_flowing": "no"}
    [event] = incident.events
    assert event.action == "report" and event.public
    assert event.actor_label == "Open311: community app"
    assert session.scalars(select(ApiKey)).one().last_used_at is not None


def test_a_description_of_up_to_4000_characters_is_taken(client, session, office):
    """The spec's limit for description; one more is a 400 in the spec's error shape."""
    place = {"api_key": office["key"], "service_code": "road", "lat": "10.005", "long": "100.005"}
    taken = post(client, description="ถ" * 4000, **place)
    assert taken.status_code == 200, taken.get_json()
    [answer] = taken.get_json()
    stored = session.scalars(select(Incident).where(
        Incident.tracking_code == answer["service_request_id"])).one()
    assert len(stored.description) == 4000
    refused = post(client, description="ถ" * 4001, **place)
    assert refused.status_code == 400
    [error] = refused.get_json()
    assert set(error) == {"code", "description"} and "4,000" in error["description"]


def test_a_post_answers_in_xml_with_a_notice_for_emergencies(client, office):
    root = xml_of(post(client, "xml", api_key=office["key"], service_code="ems", lat="10.005",
                       long="100.005", **{"attribute[main_type]": "accident"}), "service_requests")
    request = root.find("request")
    assert request.findtext("service_request_id") and "1669" in request.findtext("service_notice")


def test_tokens_resolve_to_the_request_id(client, office):
    """No POST answers with a token (every id is given at once), but a client that asks
    tokens/ with the id it got is answered: the token is the tracking code."""
    [answer] = post(client, api_key=office["key"], service_code="road", lat="10.005",
                    long="100.005").get_json()
    code = answer["service_request_id"]
    [token] = client.get(f"/open311/v2/tokens/{code}.json").get_json()
    assert token == {"service_request_id": code, "token": code}
    root = xml_of(client.get(f"/open311/v2/tokens/{code}.xml"), "service_requests")
    assert root.findtext("request/service_request_id") == code
    assert client.get("/open311/v2/tokens/NOPE-NOPE.json").status_code == 404


def test_an_address_string_places_the_case_in_its_village(client, session, office):
    for address, number in (("หมู่ 2", 2), ("ม.1", 1), ("2", 2), ("บ้านตะวันออก ใกล้วัด", 2),
                            ("หมู่ที่ ๑ บ้านตะวันตก", 1),
                            # most specific first (the spec): a house number is not a village
                            ("2 ม.1", 1), ("99/1 หมู่ที่ 2 ต.ตัวอย่าง", 2),
                            ("12 ถนนหลัก บ้านตะวันตก", 1), ("7 Moo 2", 2)):
        [answer] = post(client, api_key=office["key"], service_code="road",
                        address_string=address).get_json()
        incident = session.scalars(select(Incident).where(
            Incident.tracking_code == answer["service_request_id"])).one()
        assert incident.village.number == number, address
        assert incident.address == address and incident.location is not None
    for address in ("หมู่ 9", "หมู่ 1 หมู่ 2", "12/3", "5 ถนนหลัก", "²", "1" * 5000):
        response = post(client, api_key=office["key"], service_code="road",
                        address_string=address)
        assert response.status_code == 400, address
        assert "address_string" in response.get_json()[0]["description"]


def test_media_url_is_kept_as_a_staff_note_and_never_fetched(client, session, office):
    url = "http://169.254.169.254/latest/meta-data"
    [answer] = post(client, api_key=office["key"], service_code="road", lat="10.005",
                    long="100.005", media_url=url).get_json()
    incident = session.scalars(select(Incident).where(
        Incident.tracking_code == answer["service_request_id"])).one()
    note = next(e for e in incident.events if e.action == "comment")
    assert url in note.note and not note.public and incident.photos == []
    assert post(client, api_key=office["key"], service_code="road", lat="10.005",
                long="100.005", media_url="file:///etc/passwd").status_code == 400


@pytest.mark.parametrize("form, status", [
    ({}, 403),
    ({"api_key": "md311_not-a-key"}, 403),
    ({"service_code": "nope"}, 404),
    ({"service_code": "drug_tip"}, 404),
    ({"service_code": ""}, 400),
    ({"service_code": "road"}, 400),                                   # no place
    ({"service_code": "road", "lat": "10.005"}, 400),
    ({"service_code": "road", "lat": "abc", "long": "100"}, 400),
    ({"service_code": "road", "lat": "13.75", "long": "100.5"}, 400),  # outside the area
    ({"service_code": "ems", "lat": "10.005", "long": "100.005", "attribute[main_type]": "fire"},
     400),
    ({"service_code": "road", "lat": "10.005", "long": "100.005", "attribute[colour]": "red"},
     400),
    ({"service_code": "road", "lat": "10.005", "long": "100.005", "email": "not an address"},
     400),
    ({"service_code": "road", "lat": "10.005", "long": "100.005", "jurisdiction_id": "elsewhere"},
     404),
])
def test_refused_posts_store_nothing(client, session, office, form, status):
    if form:
        form = {"api_key": office["key"], **form}
    before = session.query(Incident).count()
    response = post(client, "json", **form)
    assert response.status_code == status, response.data
    [error] = response.get_json()
    assert error["code"] == status and " / " in error["description"]  # English / Thai
    response = post(client, "xml", **form)
    assert response.status_code == status
    assert xml_of(response, "errors").findtext("error/code") == str(status)
    assert session.query(Incident).count() == before


def test_a_revoked_key_is_refused(client, session, office):
    apikeys.revoke_key(session, "community app")
    session.commit()
    response = post(client, api_key=office["key"], service_code="road", lat="10.005",
                    long="100.005")
    assert response.status_code == 403
    assert "api_key" in response.get_json()[0]["description"]


def test_a_key_works_for_its_own_jurisdiction_only(client, session, office):
    from shapely.geometry import box
    other = make_org(session, slug="other",
                     villages=((1, "บ้านอื่น", box(101, 10, 101.01, 10.01)),))
    session.commit()
    response = post(client, api_key=office["key"], service_code="road", lat="10.005",
                    long="101.005", jurisdiction_id="other")
    assert response.status_code == 403
    # Several jurisdictions: reads must say which one.
    assert client.get("/open311/v2/services.json").status_code == 400
    services = client.get("/open311/v2/services.json?jurisdiction_id=other").get_json()
    assert services and other.slug == "other"
    assert client.get("/open311/v2/services.json?jurisdiction_id=nowhere").status_code == 404
    assert session.scalars(select(Organization)).all()


def test_a_post_without_jurisdiction_uses_the_keys(client, session, office):
    from shapely.geometry import box
    make_org(session, slug="other", villages=((1, "บ้านอื่น", box(101, 10, 101.01, 10.01)),))
    session.commit()
    response = post(client, api_key=office["key"], service_code="road", lat="10.005",
                    long="100.005")
    assert response.status_code == 200
    # A point in the other organization's area is not this key's to file.
    response = post(client, api_key=office["key"], service_code="road", lat="10.005",
                    long="101.005")
    assert response.status_code == 400


def test_a_key_used_again_within_the_minute_is_not_written_again(session, office):
    """Every report of an app uses its one key: noting each use would queue them all on the
    key's row. Its last use is noted at most once a minute."""
    [row] = session.scalars(select(ApiKey)).all()
    now = datetime.now(UTC)
    for last_used, noted in ((None, True), (now - timedelta(seconds=20), False),
                             (now - timedelta(minutes=5), True)):
        row.last_used_at = last_used
        session.commit()
        assert apikeys.valid_key(session, office["key"]) == row
        session.commit()
        session.refresh(row)
        assert (row.last_used_at != last_used) is noted, last_used
        assert row.last_used_at >= now - timedelta(minutes=1)
