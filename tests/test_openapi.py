"""/api/openapi.json matches reality: a valid OpenAPI document; every /api/ route, every .json
route of Open311, every JSON route of the crew and every .json route of the dispatchers' pages
in it and nothing else; and the real answers
of every documented operation (each documented status) validate against their documented
schemas."""
import csv
import io
import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import mapbox_vector_tile
import pytest
from jsonschema import Draft202012Validator, FormatChecker
from openapi_spec_validator import validate
from sqlalchemy import select

from mapdash.api.openapi import openapi_document
from mapdash.cases import photos
from mapdash.field import fieldwork, positions
from mapdash.models import Open311Submission, Organization, User
from mapdash.office import apikeys
from tests.crew_support import assigned_case, jpeg, scene
from tests.factories import make_incident, make_org
from tests.support import csrf_token, login, make_app

DOC = openapi_document()
IGNORED_METHODS = {"HEAD", "OPTIONS"}
DISPATCHER, CREW = "dispatcher@demo.mapdash.test", "crew@demo.mapdash.test"
O311 = "/open311/v2"
TILE = "/api/dispatch/tiles/{z}/{x}/{y}.mvt"
# Files a Call's form may send as `photos`, by name.
UPLOADS = {"<jpeg>": lambda: jpeg(scene(7)), "<pdf>": lambda: b"%PDF-1.4 not a photo" * 50,
           "<huge>": lambda: b"\xff\xd8\xff\xe0" + bytes(photos.MAX_PHOTO_BYTES)}


@dataclass(frozen=True)
class Call:
    path: str                # as documented
    query: str = ""
    status: int = 200
    user: str | None = None
    method: str = "get"
    url: str = ""            # `path` with its parameters filled in, when it has any
    form: tuple = ()         # (name, value) pairs of a POSTed form
    csrf: bool = True        # send the X-CSRFToken header with a POST
    second_org: bool = False  # a second organization: Open311 then needs jurisdiction_id
    headers: tuple = ()      # (name, value) pairs of request headers
    # url, query, form and header values may name what `arranged` made: {api_key}, {mine}, ...

    def __str__(self):
        return (f"{self.method.upper()} {self.url or self.path}?{self.query} "
                f"as {self.user or 'anyone'} -> {self.status}")


CALLS = [
    Call("/healthz"),
    Call("/api/openapi.json"),
    Call("/api/villages.geojson"),
    Call("/api/villages.geojson", "org=demo-tambon"),
    Call("/api/villages.geojson", "org=no-such-org", 404),
    Call("/api/villages.geojson", "org=demo%00tambon", 400),  # a NUL byte: refused app-wide
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
    Call(TILE, "type=streetlight", user=DISPATCHER, url=TILE.format(z=14, x=12953, y=7390)),
    Call(TILE, "limit=0", 400, DISPATCHER, url=TILE.format(z=14, x=12953, y=7390)),
    Call(TILE, status=401, url=TILE.format(z=14, x=12953, y=7390)),
    Call(TILE, status=403, user=CREW, url=TILE.format(z=14, x=12953, y=7390)),
    Call(TILE, status=404, user=DISPATCHER, url=TILE.format(z=2, x=4, y=0)),
    Call("/api/dispatch/changes", "since=2020-01-01T00:00:00Z", user=DISPATCHER),
    Call("/api/dispatch/changes", "since=yesterday", 400, DISPATCHER),
    Call("/api/dispatch/changes", "since=2020-01-01T00:00:00Z", 401),
    Call("/api/dispatch/changes", "since=2020-01-01T00:00:00Z", 403, CREW),
    Call("/api/dispatch/stream", "since=yesterday", 400, DISPATCHER),
    Call("/api/dispatch/stream", "since=2020-01-01T00:00:00Z", 401),
    Call("/api/dispatch/stream", "since=2020-01-01T00:00:00Z", 403, CREW),
    Call("/api/dispatch/crews.geojson", user=DISPATCHER),
    Call("/api/dispatch/crews.geojson", status=401),
    Call("/api/dispatch/crews.geojson", status=403, user=CREW),

    Call(f"{O311}/discovery.json"),
    Call(f"{O311}/services.json", "lang=en"),
    Call(f"{O311}/services.json", "jurisdiction_id=nowhere", 404),
    Call(f"{O311}/services.json", status=400, second_org=True),
    Call(f"{O311}/services/{{service_code}}.json", "jurisdiction_id=demo-tambon",
         url=f"{O311}/services/water.json", second_org=True),
    Call(f"{O311}/services/{{service_code}}.json", url=f"{O311}/services/disaster.json"),
    Call(f"{O311}/services/{{service_code}}.json", status=404,
         url=f"{O311}/services/drug_tip.json"),
    Call(f"{O311}/services/{{service_code}}.json", status=400,
         url=f"{O311}/services/water.json", second_org=True),
    Call(f"{O311}/requests.json"),
    Call(f"{O311}/requests.json",
         "service_code=streetlight,ems&status=open&start_date={start}&end_date={end}"),
    Call(f"{O311}/requests.json", "service_request_id={code},NOPE-1&status=closed"),
    Call(f"{O311}/requests.json", "start_date=2020-01-01", 400),
    Call(f"{O311}/requests.json", "jurisdiction_id=nowhere", 404),
    Call(f"{O311}/requests.json", method="post", form=(
        ("api_key", "{api_key}"), ("service_code", "water"), ("lat", "17.35"),
        ("long", "104.62"), ("attribute[still_flowing]", "yes"), ("description", "ท่อแตก"),
        ("media_url", "https://example.org/pipe.jpg"), ("email", "a@example.org"),
        ("first_name", "สมชาย"), ("last_name", "ใจดี"), ("phone", "0812345678"))),
    Call(f"{O311}/requests.json", method="post", form=(
        ("api_key", "{api_key}"), ("jurisdiction_id", "demo-tambon"),
        ("service_code", "disaster"), ("address_string", "หมู่ 3"),
        ("attribute[hazards][]", "flood"), ("attribute[hazards][]", "storm"))),
    Call(f"{O311}/requests.json", method="post", headers=(("Idempotency-Key", "{new_key}"),),
         form=(("api_key", "{api_key}"), ("service_code", "road"), ("lat", "17.35"),
               ("long", "104.62"))),
    Call(f"{O311}/requests.json", status=409, method="post",
         headers=(("Idempotency-Key", "{used_key}"),), form=(
             ("api_key", "{api_key}"), ("service_code", "water"), ("lat", "17.35"),
             ("long", "104.62"))),
    Call(f"{O311}/requests.json", status=400, method="post", form=(
        ("api_key", "{api_key}"), ("service_code", "water"))),
    Call(f"{O311}/requests.json", status=403, method="post", form=(
        ("api_key", "md311_wrong"), ("service_code", "water"), ("lat", "17.35"),
        ("long", "104.62"))),
    Call(f"{O311}/requests.json", status=404, method="post", form=(
        ("api_key", "{api_key}"), ("service_code", "no_such_type"), ("lat", "17.35"),
        ("long", "104.62"))),
    Call(f"{O311}/requests/{{service_request_id}}.json", "lang=en",
         url=f"{O311}/requests/{{code}}.json"),
    Call(f"{O311}/requests/{{service_request_id}}.json", status=404,
         url=f"{O311}/requests/NOPE-1.json"),
    Call(f"{O311}/requests/{{service_request_id}}.json", status=400,
         url=f"{O311}/requests/{{code}}.json", second_org=True),
    Call(f"{O311}/tokens/{{token}}.json", url=f"{O311}/tokens/{{code}}.json"),
    Call(f"{O311}/tokens/{{token}}.json", status=404, url=f"{O311}/tokens/NOPE-1.json"),
    Call(f"{O311}/tokens/{{token}}.json", status=400, url=f"{O311}/tokens/{{code}}.json",
         second_org=True),

    Call("/crew/cases.json", user=CREW),
    Call("/crew/cases.json", "lat=17.35&lon=104.62", user=CREW),
    Call("/crew/cases.json", "lat=17.35&lon=east", 400, CREW),
    Call("/crew/cases.json", status=401),
    Call("/crew/cases.json", status=403, user=DISPATCHER),
    Call("/crew/map-pack.json", user=CREW),
    Call("/crew/map-pack.json", "lat=17.35&lon=104.62", user=CREW),
    Call("/crew/map-pack.json", "lat=north&lon=104.62", 400, CREW),
    Call("/crew/map-pack.json", status=401),
    Call("/crew/map-pack.json", status=403, user=DISPATCHER),
    Call("/crew/token.json", user=CREW),
    Call("/crew/token.json", status=401),
    Call("/crew/token.json", status=403, user=DISPATCHER),
    *(Call("/crew/cases/{incident_id}/start", status=status, user=user, method="post",
           url=f"/crew/cases/{{{case}}}/start", csrf=csrf)
      for case, status, user, csrf in [("mine", 200, CREW, True), ("mine", 400, CREW, False),
                                       ("mine", 401, None, True),
                                       ("mine", 403, DISPATCHER, True),
                                       ("other", 404, CREW, True), ("closed", 409, CREW, True)]),
    *(Call("/crew/cases/{incident_id}/close", status=status, user=user, method="post",
           url=f"/crew/cases/{{{case}}}/close", form=(
               ("idempotency_key", key), ("result", result), ("note", "เปลี่ยนหลอดแล้ว"),
               ("lat", "17.35"), ("lon", "104.62"), ("accuracy", "8"),
               ("closed_at", "{now}"), ("photos", photo)))
      for case, status, user, key, result, photo in [
          ("mine", 201, CREW, "{new_key}", "fixed", "<jpeg>"),
          ("closed", 200, CREW, "{closed_key}", "fixed", "<jpeg>"),
          ("mine", 400, CREW, "{new_key}", "maybe", "<jpeg>"),
          ("mine", 401, None, "{new_key}", "fixed", "<jpeg>"),
          ("mine", 403, DISPATCHER, "{new_key}", "fixed", "<jpeg>"),
          ("other", 404, CREW, "{new_key}", "fixed", "<jpeg>"),
          ("closed", 409, CREW, "{new_key}", "fixed", "<jpeg>"),
          ("mine", 413, CREW, "{new_key}", "fixed", "<huge>"),
          ("mine", 415, CREW, "{new_key}", "fixed", "<pdf>")]),
    # The key that closed it, with another note: the first closing, with a 409.
    Call("/crew/cases/{incident_id}/close", status=409, user=CREW, method="post",
         url="/crew/cases/{closed}/close", form=(
             ("idempotency_key", "{closed_key}"), ("result", "fixed"), ("note", "อีกเรื่อง"),
             ("photos", "<jpeg>"))),

    # Sharing the crew's position (issue 17).
    *(Call("/crew/position", status=status, user=user, method="post", csrf=csrf, form=(
        ("lat", lat), ("lon", "104.62"), ("accuracy", accuracy), ("recorded_at", at)))
      for status, user, csrf, lat, accuracy, at in [
          (201, CREW, True, "17.35", "12", "{now}"),
          (200, CREW, True, "17.35", "10", "{position_at}"),
          (400, CREW, True, "17.35", "5000", "{now}"),
          (400, CREW, False, "17.35", "12", "{now}"),
          (401, None, True, "17.35", "12", "{now}"),
          (403, DISPATCHER, True, "17.35", "12", "{now}"),
          (422, CREW, True, "13.75", "12", "{now}")]),
    *(Call("/crew/position/stop", status=status, user=user, method="post",
           form=(("stopped_at", at),))
      for status, user, at in [(200, CREW, "{now}"), (400, CREW, "noon"), (401, None, "{now}"),
                               (403, DISPATCHER, "{now}")]),

    # The case list's bulk actions (issue 19).
    Call("/dispatch/cases/actions.json", user=DISPATCHER, method="post",
         form=(("action", "accept"), ("ids", "{other},{public},{mine}"))),
    Call("/dispatch/cases/actions.json", status=400, user=DISPATCHER, method="post",
         form=(("action", "reject"), ("ids", "{other}"))),
    Call("/dispatch/cases/actions.json", status=401, method="post",
         form=(("action", "accept"), ("ids", "{other}"))),
    Call("/dispatch/cases/actions.json", status=403, user=CREW, method="post",
         form=(("action", "accept"), ("ids", "{other}"))),
]
# Only an unreachable database answers 503, and only a key's burst 429: see
# test_health_503_is_documented_too and test_open311_503_and_429_are_documented_too.
UNREACHABLE = {("/healthz", "get", "503"), (f"{O311}/requests.json", "post", "503"),
               (f"{O311}/requests.json", "post", "429"),
               # an open stream never ends here; tests/test_live_stream.py reads both
               ("/api/dispatch/stream", "get", "200"), ("/api/dispatch/stream", "get", "503")}


def openapi_path(rule: str) -> str:
    """Flask's /x/<int:id> as OpenAPI's /x/{id}; an Open311 route's .<fmt> as its .json."""
    return re.sub(r"<(?:[^<>:]+:)?([^<>]+)>", r"{\1}", rule.replace(".<fmt>", ".json"))


def shape(path: str) -> str:
    """The path without the names of its parameters (Flask's and the spec's names differ)."""
    return re.sub(r"\{[^{}]+\}", "{}", path)


def is_documented_kind(rule) -> bool:
    """/api/, Open311's .json answers (not the catch-all naming unknown endpoints), the
    crew page's JSON (its .json routes and its POSTs) and the dispatchers' .json routes."""
    path = rule.rule
    return (path.startswith("/api/") or path == "/healthz"
            or (path.startswith(f"{O311}/") and path.endswith(".<fmt>"))
            or (path.startswith("/crew/") and (path.endswith(".json") or "POST" in rule.methods))
            or (path.startswith("/dispatch/") and path.endswith(".json")))


def validator(schema: dict) -> Draft202012Validator:
    """Validates against `schema`, resolving #/components/... in this document."""
    return Draft202012Validator({**schema, "components": DOC["components"]},
                                format_checker=FormatChecker())


def test_the_document_is_valid_openapi_3_1_and_served(client):
    validate(DOC)
    assert DOC["openapi"].startswith("3.1")
    assert client.get("/api/openapi.json").get_json() == DOC


def test_every_api_route_is_documented_and_every_documented_path_exists(app):
    served = {(shape(openapi_path(rule.rule)), method.lower())
              for rule in app.url_map.iter_rules() if is_documented_kind(rule)
              for method in rule.methods - IGNORED_METHODS}
    documented = {(shape(path), method) for path, operations in DOC["paths"].items()
                  for method in operations}
    assert served - documented == set(), "routes missing from mapdash/openapi.py"
    assert documented - served == set(), "documented routes that do not exist"
    assert {path for path, _ in served} >= {f"{O311}/requests.json", "/crew/cases.json"}


def test_every_documented_answer_is_called_for_real_below():
    documented = {(path, method, status) for path, operations in DOC["paths"].items()
                  for method, operation in operations.items()
                  for status in operation["responses"]}
    called = {(call.path, call.method, str(call.status)) for call in CALLS}
    assert documented - UNREACHABLE == called


@pytest.fixture
def arranged(demo_app, demo_session):
    """Something for every list to hold: a case near the point asked about, an emergency
    waiting to be accepted, a case without a place; an Open311 key; cases of the demo crew:
    one assigned, one it closed, one not its own. Returns what the calls' placeholders name."""
    public = make_incident(demo_session, lon=104.62, lat=17.35)
    make_incident(demo_session, category="ems", lon=104.621, lat=17.351)
    make_incident(demo_session, category="info_request", lon=None, lat=None)
    org = demo_session.scalars(select(Organization).where(Organization.slug == "demo-tambon")).one()
    _row, key = apikeys.create_key(demo_session, "openapi test", org)
    used_key = uuid.uuid4().hex
    demo_session.add(Open311Submission(api_key_id=_row.id, idempotency_key=used_key,
                                       form_sha256="0" * 64, incident_id=public.id))
    users = {user.email: user for user in demo_session.scalars(select(User))}
    crew, dispatcher = users[CREW], users[DISPATCHER]
    mine = assigned_case(demo_session, dispatcher, crew, lon=104.62, lat=17.35)
    closed = assigned_case(demo_session, dispatcher, crew, lon=104.62, lat=17.35)
    closed_key = uuid.uuid4().hex
    with demo_app.app_context():
        fieldwork.close_case(demo_session, closed.id, crew, fieldwork.ClosingForm(
            idempotency_key=closed_key, result="fixed", note="เปลี่ยนหลอดแล้ว",
            photos=[io.BytesIO(jpeg(scene(8)))]))
    other = make_incident(demo_session, lon=104.62, lat=17.35)
    now = datetime.now(UTC)
    position_at = (now - timedelta(minutes=1)).replace(microsecond=0)
    positions.record(demo_session, crew, positions.PositionForm(
        lat=17.35, lon=104.62, accuracy=10, recorded_at=position_at))
    demo_session.commit()
    return {"code": public.tracking_code, "public": public.id, "api_key": key, "mine": mine.id,
            "closed": closed.id, "other": other.id, "closed_key": closed_key, "new_key": uuid.uuid4().hex,
            "used_key": used_key,
            "start": (now - timedelta(days=30)).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "end": (now + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "now": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "position_at": position_at.strftime("%Y-%m-%dT%H:%M:%SZ")}


def _typed(schema: dict, raw: str):
    """A query or form value as the type its schema names."""
    kind = schema.get("type")
    if kind == "array":
        items = schema["items"].get("type")
        return [int(v) if items == "integer" else v for v in raw.split(",")]
    return {"integer": int, "number": float}.get(kind, str)(raw)


def _check_parameters(operation: dict, call: Call, url: str, query: str,
                      headers: dict) -> None:
    """Every parameter sent is documented; on success its value fits the documented schema."""
    parameters = {p["name"]: p for p in operation.get("parameters", [])}
    template = re.escape(call.path).replace(r"\{", "{").replace(r"\}", "}")
    path_values = re.fullmatch(re.sub(r"\{([^{}]+)\}", r"(?P<\1>[^/]+?)", template), url)
    assert path_values, f"{url} is not {call.path}"
    sent = {**dict(part.split("=", 1) for part in query.split("&") if part),
            **path_values.groupdict(), **headers}
    assert set(sent) <= set(parameters), f"undocumented parameters in {call}"
    assert {n for n, p in parameters.items() if p["required"]} <= set(sent) or call.status >= 400
    if call.status >= 400:
        return
    for name, raw in sent.items():
        validator(parameters[name]["schema"]).validate(_typed(parameters[name]["schema"], raw))


def _check_form(operation: dict, call: Call, form: list[tuple[str, str]]) -> None:
    """Every field sent is documented (attribute[CODE] as `attribute`); on success the
    fields fit the documented body."""
    media, = operation["requestBody"]["content"].values()
    schema = media["schema"]
    names = [re.sub(r"^attribute\[.*", "attribute", name) for name, _ in form]
    assert set(names) <= set(schema["properties"]), f"undocumented fields in {call}"
    if call.status >= 400:
        return
    body = {}
    for (name, raw), field in zip(form, names, strict=True):
        if field == "attribute":
            code = re.match(r"^attribute\[([^\[\]]+)\]", name).group(1)
            body.setdefault("attribute", {}).setdefault(code, []).append(raw)
        elif field == "photos":
            body.setdefault("photos", []).append(raw)
        else:
            body[field] = _typed(schema["properties"][field], raw)
    validator(schema).validate(body)


def _request(client, call: Call, arranged: dict):
    url = (call.url or call.path).format(**arranged)
    query = call.query.format(**arranged)
    operation = DOC["paths"][call.path][call.method]
    sent_headers = {name: value.format(**arranged) for name, value in call.headers}
    _check_parameters(operation, call, url, query, sent_headers)
    headers = {"Accept": "application/json", **sent_headers}
    if call.method == "get":
        if call.user:
            assert login(client, call.user, "demo-password").status_code == 302
        return operation, client.get(f"{url}?{query}", headers=headers)
    form = [(name, value.format(**arranged)) for name, value in call.form]
    if "requestBody" in operation:
        _check_form(operation, call, form)
    if call.csrf and url.startswith(("/crew/", "/dispatch/")):
        headers["X-CSRFToken"] = csrf_token(client, "/login")  # the session keeps it
    if call.user:
        assert login(client, call.user, "demo-password").status_code == 302
    data = {}
    for name, value in form:
        if value in UPLOADS:
            value = (io.BytesIO(UPLOADS[value]()), "photo.jpg")
        data.setdefault(name, []).append(value)
    multipart = "multipart/form-data" in operation.get("requestBody", {}).get("content", {})
    return operation, client.post(url, data=data, headers=headers, content_type=(
        "multipart/form-data" if multipart else "application/x-www-form-urlencoded"))


@pytest.mark.parametrize("call", CALLS, ids=str)
def test_real_answers_match_the_documented_schema(demo_client, demo_session, arranged, call):
    if call.second_org:
        make_org(demo_session)
        demo_session.commit()
    operation, response = _request(demo_client, call, arranged)
    assert response.status_code == call.status, response.get_data(as_text=True)[:300]
    documented = operation["responses"][str(call.status)]
    for header in documented.get("headers", {}):
        assert header in response.headers
    if "content" not in documented:  # a redirect
        return
    media = documented["content"][response.mimetype]  # KeyError: an undocumented media type
    if response.mimetype == "application/vnd.mapbox-vector-tile":
        assert mapbox_vector_tile.decode(response.get_data())["cases"]["features"]
    elif response.mimetype == "text/csv":
        body = response.get_data(as_text=True)
        validator(media["schema"]).validate(body)
        header = next(csv.reader(io.StringIO(body.lstrip("\ufeff"))))
        assert ", ".join(header) in media["schema"]["description"]  # the documented columns
    else:
        validator(media["schema"]).validate(response.get_json(force=True))


def _check_documented(response, path: str, method: str) -> None:
    documented = DOC["paths"][path][method]["responses"][str(response.status_code)]
    for header in documented.get("headers", {}):
        assert header in response.headers
    validator(documented["content"][response.mimetype]["schema"]).validate(response.get_json())


def test_open311_503_and_429_are_documented_too(tmp_path, demo_app, arranged):
    form = {"api_key": arranged["api_key"], "service_code": "road", "lat": "17.35",
            "long": "104.62"}
    down = make_app("postgresql+psycopg://nobody@127.0.0.1:9/gone", tmp_path)
    response = down.test_client().post(f"{O311}/requests.json", data=form)
    assert response.status_code == 503
    _check_documented(response, f"{O311}/requests.json", "post")
    down.extensions["db_engine"].dispose()
    demo_app.config["OPEN311_RATELIMIT_PER_MINUTE"] = 1
    client = demo_app.test_client()
    assert client.post(f"{O311}/requests.json", data=form).status_code == 200
    response = client.post(f"{O311}/requests.json", data=form)
    assert response.status_code == 429
    _check_documented(response, f"{O311}/requests.json", "post")


def test_health_503_is_documented_too(tmp_path):
    down = make_app("postgresql+psycopg://nobody@127.0.0.1:9/gone", tmp_path)
    response = down.test_client().get("/healthz")
    assert response.status_code == 503
    schema = DOC["paths"]["/healthz"]["get"]["responses"]["503"]["content"]["application/json"]
    validator(schema["schema"]).validate(response.get_json())
    down.extensions["db_engine"].dispose()
