"""/api/openapi.json matches reality: a valid OpenAPI document, every /api/ route in it and
nothing else, and the real answers of every documented operation (each documented status)
validate against their documented schemas."""
import csv
import io
import re
from dataclasses import dataclass

import pytest
from jsonschema import Draft202012Validator, FormatChecker
from openapi_spec_validator import validate

from mapdash.openapi import openapi_document
from tests.factories import make_incident
from tests.support import login, make_app

DOC = openapi_document()
IGNORED_METHODS = {"HEAD", "OPTIONS"}
DISPATCHER, CREW = "dispatcher@demo.mapdash.test", "crew@demo.mapdash.test"


@dataclass(frozen=True)
class Call:
    path: str
    query: str = ""
    status: int = 200
    user: str | None = None

    def __str__(self):
        return f"{self.path}?{self.query} as {self.user or 'anyone'} -> {self.status}"


CALLS = [
    Call("/healthz"),
    Call("/api/openapi.json"),
    Call("/api/villages.geojson"),
    Call("/api/villages.geojson", "org=demo-tambon"),
    Call("/api/villages.geojson", "org=no-such-org", 404),
    Call("/api/locate", "lon=104.62&lat=17.35"),
    Call("/api/locate", "lon=100.5018&lat=13.7563"),
    Call("/api/locate", "lon=abc&lat=17.35", 400),
    Call("/api/nearby", "type=streetlight&lon=104.62&lat=17.35"),
    Call("/api/nearby", "lon=104.62&lat=17.35", 400),
    Call("/api/public/cases.geojson"),
    Call("/api/public/cases.geojson", "type=streetlight&village=1&status=open"),
    Call("/api/public/cases.geojson", "status=lost", 400),
    Call("/api/public/cases.geojson", "org=no-such-org", 404),
    Call("/api/opendata/cases.csv", "status=open"),
    Call("/api/opendata/cases.csv", "village=99", 400),
    Call("/api/opendata/cases.csv", "org=no-such-org", 404),
    Call("/api/opendata/cases.geojson", "type=streetlight&village=1"),
    Call("/api/opendata/cases.geojson", "type=drug_tip", 400),
    Call("/api/opendata/cases.geojson", "org=no-such-org", 404),
    Call("/api/dispatch/villages.geojson", "type=streetlight,water&overdue=1", user=DISPATCHER),
    Call("/api/dispatch/villages.geojson", "status=resolved", 400, DISPATCHER),
    Call("/api/dispatch/villages.geojson", status=401),
    Call("/api/dispatch/villages.geojson", status=403, user=CREW),
    Call("/api/dispatch/cases.geojson", "limit=5&from=2020-01-01", user=DISPATCHER),
    Call("/api/dispatch/cases.geojson", "bbox=104.5,17.2,104.8,17.5&status=new",
         user=DISPATCHER),
    Call("/api/dispatch/cases.geojson", "place=none", user=DISPATCHER),
    Call("/api/dispatch/cases.geojson", "limit=0", 400, DISPATCHER),
    Call("/api/dispatch/cases.geojson", status=401),
    Call("/api/dispatch/cases.geojson", status=403, user=CREW),
    Call("/api/dispatch/grid.geojson", "bbox=104.5,17.2,104.8,17.5&zoom=12", user=DISPATCHER),
    Call("/api/dispatch/grid.geojson", "zoom=12", 400, DISPATCHER),
    Call("/api/dispatch/grid.geojson", "bbox=104.5,17.2,104.8,17.5", 401),
    Call("/api/dispatch/grid.geojson", "bbox=104.5,17.2,104.8,17.5", 403, CREW),
    Call("/api/dispatch/changes", "since=2020-01-01T00:00:00Z", user=DISPATCHER),
    Call("/api/dispatch/changes", "since=yesterday", 400, DISPATCHER),
    Call("/api/dispatch/changes", "since=2020-01-01T00:00:00Z", 401),
    Call("/api/dispatch/changes", "since=2020-01-01T00:00:00Z", 403, CREW),
]
# Only an unreachable database answers 503: see test_health_503_is_documented_too.
UNREACHABLE = {("/healthz", "get", "503")}


def openapi_path(rule: str) -> str:
    """Flask's /x/<int:id> as OpenAPI's /x/{id}."""
    return re.sub(r"<(?:[^<>:]+:)?([^<>]+)>", r"{\1}", rule)


def validator(schema: dict) -> Draft202012Validator:
    """Validates against `schema`, resolving #/components/... in this document."""
    return Draft202012Validator({**schema, "components": DOC["components"]},
                                format_checker=FormatChecker())


def test_the_document_is_valid_openapi_3_1_and_served(client):
    validate(DOC)
    assert DOC["openapi"].startswith("3.1")
    assert client.get("/api/openapi.json").get_json() == DOC


def test_every_api_route_is_documented_and_every_documented_path_exists(app):
    served = {(openapi_path(rule.rule), method.lower())
              for rule in app.url_map.iter_rules()
              if rule.rule.startswith("/api/") or rule.rule == "/healthz"
              for method in rule.methods - IGNORED_METHODS}
    documented = {(path, method) for path, operations in DOC["paths"].items()
                  for method in operations}
    assert served - documented == set(), "routes missing from mapdash/openapi.py"
    assert documented - served == set(), "documented routes that do not exist"


def test_every_documented_answer_is_called_for_real_below():
    documented = {(path, method, status) for path, operations in DOC["paths"].items()
                  for method, operation in operations.items()
                  for status in operation["responses"]}
    called = {(call.path, "get", str(call.status)) for call in CALLS}
    assert documented - UNREACHABLE == called


@pytest.fixture
def arranged(demo_session):
    """Something for every list to hold: a case near the point asked about, an emergency
    waiting to be accepted, a case without a place."""
    make_incident(demo_session, lon=104.62, lat=17.35)
    make_incident(demo_session, category="ems", lon=104.621, lat=17.351)
    make_incident(demo_session, category="info_request", lon=None, lat=None)
    demo_session.commit()


def _check_parameters(operation: dict, call: Call) -> None:
    """Every parameter sent is documented; on success its value fits the documented schema."""
    parameters = {p["name"]: p for p in operation.get("parameters", [])}
    sent = dict(part.split("=", 1) for part in call.query.split("&") if part)
    assert set(sent) <= set(parameters), f"undocumented parameters in {call}"
    assert {n for n, p in parameters.items() if p["required"]} <= set(sent) or call.status >= 400
    if call.status >= 400:
        return
    for name, raw in sent.items():
        schema = parameters[name]["schema"]
        kind = schema.get("type")
        value = {"array": lambda v: v.split(","), "integer": int, "number": float}.get(
            kind, str)(raw)
        if kind == "array" and schema["items"].get("type") == "integer":
            value = [int(v) for v in value]
        validator(schema).validate(value)


@pytest.mark.parametrize("call", CALLS, ids=str)
def test_real_answers_match_the_documented_schema(demo_client, arranged, call):
    operation = DOC["paths"][call.path]["get"]
    _check_parameters(operation, call)
    if call.user:
        assert login(demo_client, call.user, "demo-password").status_code == 302
    response = demo_client.get(f"{call.path}?{call.query}")
    assert response.status_code == call.status, response.get_data(as_text=True)[:300]
    documented = operation["responses"][str(call.status)]
    media = documented["content"][response.mimetype]  # KeyError: an undocumented media type
    for header in documented.get("headers", {}):
        assert header in response.headers
    if response.mimetype == "text/csv":
        body = response.get_data(as_text=True)
        validator(media["schema"]).validate(body)
        header = next(csv.reader(io.StringIO(body.lstrip("\ufeff"))))
        assert ", ".join(header) in media["schema"]["description"]  # the documented columns
    else:
        validator(media["schema"]).validate(response.get_json(force=True))


def test_health_503_is_documented_too(tmp_path):
    down = make_app("postgresql+psycopg://nobody@127.0.0.1:9/gone", tmp_path)
    response = down.test_client().get("/healthz")
    assert response.status_code == 503
    schema = DOC["paths"]["/healthz"]["get"]["responses"]["503"]["content"]["application/json"]
    validator(schema["schema"]).validate(response.get_json())
    down.extensions["db_engine"].dispose()
