"""The OpenAPI 3.1 description of mapdash's JSON API, served at /api/openapi.json.

Written by hand next to the code it describes; tests/test_openapi.py calls every operation
listed here and checks the real answers against these schemas, and fails when a route under
/api/, a .json route of Open311 (/open311/v2/) or a JSON route of the crew's phone page
(/crew/) is missing here. Open311's shapes are those of the GeoReport v2 specification.
"""
from mapdash.cases import photos
from mapdash.cases.intake import MAX_DESCRIPTION
from mapdash.cases.questions import DATATYPES
from mapdash.field import fieldwork
from mapdash.integrations.open311.requests import MAX_LIST, MAX_RESULTS
from mapdash.maps.geo import CASE_LIMIT_DEFAULT, CASE_LIMIT_MAX
from mapdash.vocabulary import OPEN_STATUSES, STATUSES


def _nullable(schema: dict) -> dict:
    return {**schema, "type": [schema["type"], "null"]}


STRING, INTEGER, NUMBER, BOOLEAN = ({"type": t} for t in ("string", "integer", "number", "boolean"))
TIME = {"type": "string", "format": "date-time"}


def _object(properties: dict, required=None, **more) -> dict:
    """An object with exactly these properties (all required unless listed)."""
    return {"type": "object", "properties": properties,
            "required": list(properties if required is None else required),
            "additionalProperties": False, **more}


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _query(name: str, schema: dict, description: str, required: bool = False, **more) -> dict:
    return {"name": name, "in": "query", "required": required, "schema": schema,
            "description": description, **more}


def _content(schema: dict, description: str, media: str = "application/json") -> dict:
    return {"description": description, "content": {media: {"schema": schema}}}


def _error(description: str) -> dict:
    return _content(_ref("Error"), description)


def _collection(feature: str, **members) -> dict:
    return _object({"type": {"const": "FeatureCollection"},
                    "features": {"type": "array", "items": _ref(feature)}, **members})


def _feature(geometry: dict, properties: dict, with_id: bool = False) -> dict:
    members = {"type": {"const": "Feature"}, "geometry": geometry,
               "properties": _object(properties)}
    if with_id:
        members["id"] = INTEGER
    return _object(members)


POINT = _object({"type": {"const": "Point"},
                 "coordinates": {"type": "array", "items": NUMBER, "minItems": 2, "maxItems": 2}})
MULTIPOLYGON = _object({"type": {"const": "MultiPolygon"}, "coordinates": {"type": "array"}})
NULLABLE_POINT = {"oneOf": [POINT, {"type": "null"}]}

# --- parameters ---------------------------------------------------------------------------

ORG = _query("org", STRING, "Organization slug; default: the deployment's default organization.")
LON = _query("lon", {"type": "number", "minimum": -180, "maximum": 180},
             "Longitude, degrees (EPSG:4326).", required=True)
LAT = _query("lat", {"type": "number", "minimum": -90, "maximum": 90},
             "Latitude, degrees (EPSG:4326).", required=True)
PUBLIC_FILTERS = [
    ORG,
    _query("type", STRING, "Case type code (streetlight, water, road, ...)."),
    _query("village", {"type": "integer", "minimum": 0}, "Village number (mu)."),
    _query("status", {"enum": ["open", *STATUSES]},
           "`open` (every status not yet done) or one status."),
]


def _csv_list(name: str, items: dict, description: str) -> dict:
    return _query(name, {"type": "array", "items": items}, description, style="form",
                  explode=False)


DISPATCH_FILTERS = [
    _csv_list("type", STRING, "Case type codes, comma-separated or repeated."),
    _csv_list("status", {"enum": list(OPEN_STATUSES)}, "Open statuses only."),
    _csv_list("department", STRING, "Department codes; an officer may name only their own."),
    _csv_list("village", INTEGER, "Village numbers."),
    _query("from", {"type": "string", "format": "date"}, "First report date, Thai time."),
    _query("to", {"type": "string", "format": "date"}, "Last report date, Thai time (included)."),
    _query("overdue", STRING, "`1`, `true` or `on`: only cases past the limit of their step."),
]
BBOX = {"type": "string", "pattern": r"^[^,]+,[^,]+,[^,]+,[^,]+$",
        "description": "west,south,east,north in degrees; west < east, south < north."}

# --- schemas ------------------------------------------------------------------------------

PUBLIC_CASE = {
    "code": STRING, "status": {"enum": list(STATUSES)}, "reported_at": TIME,
    "category": STRING, "category_th": STRING, "category_en": STRING,
    "color": {"type": "string", "pattern": "^#[0-9a-fA-F]{6}$"},
    "village_number": _nullable(INTEGER), "village_th": _nullable(STRING),
    "village_en": _nullable(STRING),
}
OPEN_DATA_CASE = {
    "code": STRING, "category": STRING, "category_th": STRING, "category_en": STRING,
    "status": {"enum": list(STATUSES)}, "status_th": STRING,
    "village_number": _nullable(INTEGER), "village_th": _nullable(STRING),
    "village_en": _nullable(STRING), "department": STRING, "department_th": STRING,
    "department_en": STRING, "reported_at": TIME, "updated_at": TIME,
    "closed_at": _nullable(TIME), "followers": INTEGER, "url": {"type": "string", "format": "uri"},
}
DISPATCH_CASE = {
    "id": INTEGER, "code": STRING, "status": {"enum": list(OPEN_STATUSES)},
    "category": STRING, "category_th": STRING, "category_en": STRING, "icon": STRING,
    "color": STRING, "emergency": BOOLEAN, "village": _nullable(INTEGER),
    "village_th": _nullable(STRING), "department": STRING, "assignee": _nullable(STRING),
    "summary": STRING, "followers": INTEGER, "created_at": TIME, "due_at": _nullable(TIME),
    "overdue": BOOLEAN,
}
ALERT = _object({
    "id": INTEGER, "code": STRING, "category_th": STRING, "category_en": STRING, "icon": STRING,
    "village": _nullable(INTEGER), "village_th": _nullable(STRING), "created_at": TIME,
    "lon": _nullable(NUMBER), "lat": _nullable(NUMBER)})
NEARBY_CASE = _object({
    "code": STRING, "status": {"enum": list(OPEN_STATUSES)}, "created_at": TIME,
    "reported_th": STRING, "reported_en": STRING, "followers_count": INTEGER,
    "distance_m": NUMBER, "village_number": _nullable(INTEGER),
    "village_th": _nullable(STRING), "village_en": _nullable(STRING), "url": STRING,
    "thumb_url": _nullable(STRING)})
NAMED = {"name_th": STRING, "name_en": STRING}
VILLAGE_NAMES = {"number": INTEGER, "name_th": STRING, "name_en": _nullable(STRING)}

SCHEMAS = {
    "Error": _object({
        "error": {"type": "string", "description": "A stable code, e.g. bad_filter."},
        "message_th": STRING, "message_en": STRING,
        "field": {"type": ["string", "null"], "description": "The parameter at fault."}},
        description="Every refusal (4xx) of every endpoint under /api/."),
    "Village": _feature(MULTIPOLYGON, {**VILLAGE_NAMES, "open_cases": INTEGER}, with_id=True),
    "Villages": _collection("Village"),
    "DispatchVillage": _feature(MULTIPOLYGON, {"id": INTEGER, **VILLAGE_NAMES,
                                               "open_cases": INTEGER}, with_id=True),
    "DispatchVillages": _collection("DispatchVillage", no_place=INTEGER, capped=BOOLEAN),
    "DispatchCase": _feature(NULLABLE_POINT, DISPATCH_CASE, with_id=True),
    "DispatchCases": _collection("DispatchCase", capped=BOOLEAN, limit=INTEGER),
    "GridCell": _feature(POINT, {"count": INTEGER, "new": INTEGER}),
    "GridCells": _collection("GridCell", capped=BOOLEAN, limit=INTEGER, cell_degrees=NUMBER),
    "Changes": _object({
        "now": TIME,
        "changed": {"type": "array", "items": _object(
            {"id": INTEGER, "status": {"enum": list(STATUSES)}, "updated_at": TIME})},
        "alerts": {"type": "array", "items": ALERT}}),
    "Location": {"oneOf": [
        _object({"inside": {"const": True},
                 "organization": _object({"slug": STRING, **NAMED}),
                 "village": {"oneOf": [_object(VILLAGE_NAMES), {"type": "null"}]}}),
        _object({"inside": {"const": False}, "message_th": STRING, "message_en": STRING})]},
    "Nearby": _object({"radius_m": NUMBER, "cases": {"type": "array", "items": NEARBY_CASE}}),
    "PublicCase": _feature(POINT, PUBLIC_CASE),
    "PublicCases": _collection("PublicCase", truncated=BOOLEAN),
    "OpenDataCase": _feature(NULLABLE_POINT, OPEN_DATA_CASE),
    "OpenDataCases": _collection("OpenDataCase"),
}

# --- operations ---------------------------------------------------------------------------

STAFF = [{"sessionCookie": []}]
STAFF_ERRORS = {
    "400": _error("A filter or parameter is not valid."),
    "401": _error("Not signed in."),
    "403": _error("Signed in with a role that may not read the map (crew), or an officer "
                  "naming another department."),
}
DOWNLOAD_HEADERS = {"Content-Disposition": {
    "description": 'attachment; filename="<org>-cases-<YYYY-MM-DD>.<ext>" (Thai date).',
    "schema": STRING}}


def _get(summary: str, parameters: list, responses: dict, tag: str, **more) -> dict:
    return {"get": {"summary": summary, "tags": [tag], "parameters": parameters,
                    "responses": responses, **more}}


def _download(media: str, schema: dict, what: str) -> dict:
    return _get(
        f"Every public case matching the filters, as {what}", PUBLIC_FILTERS, {
            "200": {"description": f"{what}, streamed; newest first; every matching case.",
                    "headers": DOWNLOAD_HEADERS, "content": {media: {"schema": schema}}},
            "400": _error("A filter is not valid (unknown status, type or village)."),
            "404": _error("Unknown organization.")}, "open data",
        description="The same cases as the public page /cases: never a sensitive type, never "
                    "a reporter's contact or the details text. Times are ISO 8601 in Thai time "
                    "(+07:00); `url` is the case's public status page.")


PATHS = {
    "/healthz": _get("Is the app up and the database reachable?", [], {
        "200": _content(_object({"status": {"const": "ok"}, "database": {"const": "up"}}), "Up."),
        "503": _content(_object({"status": {"const": "unavailable"},
                                 "database": {"const": "down"}}), "The database is down.")},
        "health"),
    "/api/villages.geojson": _get("The villages (mu) with their number of open cases", [
        _query("org", STRING, "Organization slug; default: the first organization.")], {
        "200": _content(_ref("Villages"), "Every village.", "application/geo+json"),
        "404": _error("Unknown organization.")}, "public"),
    "/api/locate": _get("The organization and village covering a point", [LON, LAT], {
        "200": _content(_ref("Location"), "Inside an area (with its village, if any) or not."),
        "400": _error("lon or lat missing, not a number or out of range.")}, "public"),
    "/api/nearby": _get("Open cases of a type within 100 m (\"already reported?\")", [
        _query("type", STRING, "Case type code.", required=True), LON, LAT], {
        "200": _content(_ref("Nearby"), "At most 5, nearest first; none for sensitive types."),
        "400": _error("type missing, or lon/lat not valid.")}, "public"),
    "/api/public/cases.geojson": _get("The public map: the newest 2,000 matching cases with a "
                                      "place", PUBLIC_FILTERS, {
        "200": _content(_ref("PublicCases"), "`truncated` is true when more matched.",
                        "application/geo+json"),
        "400": _error("A filter is not valid (village not a number, unknown status)."),
        "404": _error("Unknown organization.")}, "public"),
    "/api/opendata/cases.csv": _download("text/csv", {
        "type": "string", "description": "UTF-8 with a byte order mark (for Excel); a header "
        "row, then one row per case. Columns: code, category, category_th, category_en, "
        "status, status_th, village_number, village_th, village_en, department, "
        "department_th, department_en, reported_at, updated_at, closed_at, lon, lat, "
        "followers, url."}, "CSV"),
    "/api/opendata/cases.geojson": _download("application/geo+json", _ref("OpenDataCases"),
                                             "GeoJSON"),
    "/api/dispatch/villages.geojson": _get(
        "Villages with their number of open cases matching the filters", DISPATCH_FILTERS, {
            "200": _content(_ref("DispatchVillages"), "Every village; `no_place` counts the "
                            "matching cases without a place.", "application/geo+json"),
            **STAFF_ERRORS}, "dispatch", security=STAFF),
    "/api/dispatch/cases.geojson": _get("Open cases, newest first", [
        _query("bbox", BBOX, "Only cases in this box; without it, every case."),
        _query("place", {"enum": ["none"]}, "Only the cases with no place (not with bbox)."),
        _query("limit", {"type": "integer", "minimum": 1, "maximum": CASE_LIMIT_MAX,
                         "default": CASE_LIMIT_DEFAULT}, "At most this many features."),
        *DISPATCH_FILTERS], {
            "200": _content(_ref("DispatchCases"), "`capped` is true when more matched.",
                            "application/geo+json"),
            **STAFF_ERRORS}, "dispatch", security=STAFF),
    "/api/dispatch/grid.geojson": _get("Open cases counted per grid cell", [
        _query("bbox", BBOX, "The view.", required=True),
        _query("zoom", {"type": "integer", "minimum": 0, "maximum": 22, "default": 13},
               "Map zoom: cells are about 64 screen pixels wide."),
        *DISPATCH_FILTERS], {
            "200": _content(_ref("GridCells"), "Fullest cells first, at most 2,000.",
                            "application/geo+json"),
            **STAFF_ERRORS}, "dispatch", security=STAFF),
    "/api/dispatch/changes": _get("Cases changed since a time, and emergencies waiting", [
        _query("since", TIME, "ISO 8601 with its zone: the `now` of the previous answer.",
               required=True)], {
            "200": _content(_ref("Changes"), "At most 200 changes and 20 alerts."),
            **STAFF_ERRORS}, "dispatch", security=STAFF),
    "/api/openapi.json": _get("This document", [], {
        "200": _content({"type": "object", "required": ["openapi", "paths"]},
                        "OpenAPI 3.1.")}, "meta"),
}


# --- Open311 GeoReport v2 (http://wiki.open311.org/GeoReport_v2) ---------------------------
# Every path below also exists as .xml (the spec's required format) with the same parameters
# and the same content as XML elements; only the .json twins are described here.

OPEN311 = "Open311 GeoReport v2"
OPEN311_PREFIX = "/open311/v2"
XML_TWIN = ("The same endpoint ending in `.xml` takes the same parameters and answers the same "
            "content as the specification's XML elements (text/xml).")
LANG = _query("lang", {"enum": ["th", "en"]},
              "Language of names and descriptions; default Thai (or the `lang` cookie).")
JURISDICTION = _query("jurisdiction_id", STRING,
                      "Organization slug; needed only where the server hosts several.")
OPEN311_CSV = {"style": "form", "explode": False}


def _open311_list(name: str, items: dict, description: str) -> dict:
    return _query(name, {"type": "array", "items": items, "maxItems": MAX_LIST},
                  f"{description} Comma-separated, or the parameter repeated.", **OPEN311_CSV)


def _open311_errors(descriptions: dict[int, str]) -> dict:
    return {str(status): _content(_ref("Open311Errors"), description)
            for status, description in descriptions.items()}


def _open311_get(summary: str, parameters: list, schema: str, errors: dict,
                 description: str = "") -> dict:
    return _get(summary, parameters, {"200": _content(_ref(schema), "Success."), **errors},
                OPEN311, description=f"{description} {XML_TWIN}".strip())


OPEN311_JURISDICTION_ERRORS = {
    400: "jurisdiction_id missing where the server hosts several, or a bad parameter.",
    404: "Unknown jurisdiction_id.",
}
OPEN311_REQUEST = {
    "service_request_id": {"type": "string", "description": "The case's tracking code."},
    "status": {"enum": ["open", "closed"]},
    "status_notes": {"type": ["string", "null"],
                     "description": "The note of the latest public event."},
    "service_name": STRING, "service_code": STRING,
    "description": {"type": "null", "description": "Always null: a citizen's own words may "
                    "name people, and mapdash never publishes them."},
    "agency_responsible": {"type": "string", "description": "The department."},
    "service_notice": _nullable(STRING),
    "requested_datetime": TIME,
    "updated_datetime": {**TIME, "description": "For a closed request, when it was closed."},
    "expected_datetime": {**TIME, "description": "The report time plus the type's time "
                          "limits."},
    "address": {"type": ["string", "null"], "description": "The village, when known."},
    "lat": _nullable(NUMBER), "long": _nullable(NUMBER),
    "media_url": {"type": ["string", "null"], "format": "uri",
                  "description": "A public photo of the report, if any."},
}
OPEN311_SCHEMAS = {
    "Open311Errors": {
        "type": "array", "minItems": 1, "description": "Every refusal (400, 403, 404) of "
        "every Open311 endpoint, in the specification's shape; `description` is English / Thai.",
        "items": _object({"code": {"enum": [400, 403, 404],
                                   "description": "The HTTP status."},
                          "description": STRING})},
    "Discovery": _object({
        "changeset": TIME, "contact": _nullable(STRING), "key_service": STRING,
        "endpoints": {"type": "array", "items": _object({
            "specification": {"const": "http://wiki.open311.org/GeoReport_v2"},
            "url": {"type": "string", "format": "uri"}, "changeset": TIME,
            "type": {"const": "production"},
            "formats": {"type": "array", "items": {"enum": ["text/xml", "application/json"]}}})}}),
    "Services": {"type": "array", "items": _object({
        "service_code": STRING, "service_name": STRING, "description": STRING,
        "metadata": {"type": "boolean", "description": "True: the type asks extra questions, "
                     "see its service definition."},
        "type": {"const": "realtime", "description": "Always realtime: a request gets its "
                 "service_request_id at once."},
        "keywords": {"type": "string", "description": "Comma-separated."},
        "group": {"type": "string", "description": "The department."}})},
    "ServiceDefinition": _object({
        "service_code": STRING,
        "attributes": {"type": "array", "items": _object({
            "variable": {"const": True}, "code": STRING, "datatype": {"enum": list(DATATYPES)},
            "required": BOOLEAN, "datatype_description": _nullable(STRING),
            "order": INTEGER, "description": STRING,
            "values": {"type": "array", "items": _object({"key": STRING, "name": STRING}),
                       "description": "The choices of a singlevaluelist or multivaluelist."}})}}),
    "ServiceRequests": {"type": "array", "items": _object(OPEN311_REQUEST),
                        "description": "Newest first; a list even of one."},
    "FiledRequest": {"type": "array", "minItems": 1, "maxItems": 1, "items": _object({
        "service_request_id": STRING, "service_notice": _nullable(STRING),
        "account_id": {"type": "null"}})},
    "Token": {"type": "array", "minItems": 1, "maxItems": 1,
              "items": _object({"service_request_id": STRING, "token": STRING})},
}
NEW_REQUEST = {
    "type": "object", "required": ["api_key", "service_code"],
    "properties": {
        "api_key": {"type": "string", "description": "The client's key (`open311ApiKey`): a "
                    "form field, as the specification has it; in the query string it is not "
                    "read."},
        "jurisdiction_id": {"type": "string", "description": "Default: the key's organization."},
        "service_code": STRING,
        "lat": {"type": "number", "minimum": -90, "maximum": 90},
        "long": {"type": "number", "minimum": -180, "maximum": 180},
        "address_string": {"type": "string", "description": "Used when lat and long are not "
                           "sent: names one village, by number (\"mu 3\" in Thai script or "
                           "abbreviated, \"Moo 3\") or name."},
        "attribute": {
            "type": "object", "description": "The answers to the service definition's "
            "attributes, sent as `attribute[CODE]=value`; a multivaluelist as "
            "`attribute[CODE][]=value`, once per value.",
            "additionalProperties": {"oneOf": [STRING, {"type": "array", "items": STRING}]}},
        "description": {"type": "string", "maxLength": MAX_DESCRIPTION,
                        "description": "Staff see it; never published."},
        "media_url": {"type": "string", "format": "uri", "maxLength": 1000,
                      "description": "http(s) address of a photo: kept as a note for staff, "
                                     "never fetched by the server."},
        "email": STRING, "first_name": STRING, "last_name": STRING, "phone": STRING,
    },
}
OPEN311_PATHS = {
    "/discovery.json": _open311_get(
        "Service discovery: the endpoint, its formats and how to get an API key", [],
        "Discovery", {}),
    "/services.json": _open311_get(
        "The services (case types) of the jurisdiction", [JURISDICTION, LANG], "Services",
        _open311_errors(OPEN311_JURISDICTION_ERRORS),
        "Every active type but the sensitive ones (drug tips: reported on the web form only)."),
    "/services/{service_code}.json": _open311_get(
        "A service definition: the extra questions (attributes) of a type", [
            {"name": "service_code", "in": "path", "required": True, "schema": STRING,
             "description": "From services.json."}, JURISDICTION, LANG],
        "ServiceDefinition", _open311_errors({
            400: "jurisdiction_id missing where the server hosts several.",
            404: "Unknown (or sensitive) service_code, or unknown jurisdiction_id."})),
    "/requests.json": {
        **_open311_get("Service requests (public cases) matching the filters", [
            _open311_list("service_request_id", STRING,
                          "Tracking codes; when given, every other filter is ignored."),
            _open311_list("service_code", STRING, "Service codes."),
            _query("start_date", TIME, "ISO 8601 with its zone. Default: 90 days before "
                   "end_date."),
            _query("end_date", TIME, "ISO 8601 with its zone. Default: 90 days after "
                   "start_date, or now when neither is given. At most 90 days apart."),
            _open311_list("status", {"enum": ["open", "closed"]}, "open, closed, or both."),
            JURISDICTION, LANG],
            "ServiceRequests", _open311_errors({
                400: "A filter is not valid (a date without its zone, a span over 90 days, an "
                     "unknown status, over 1,000 codes) or jurisdiction_id is missing.",
                404: "Unknown jurisdiction_id."}),
            f"At most {MAX_RESULTS:,}, newest first. Never a sensitive type, never a "
            "reporter's contact or words."),
        "post": {
            "summary": "File a service request, through the same intake as the web form",
            "tags": [OPEN311],
            "description": "Form-encoded. `api_key` is a field of the body (see the "
                           "`open311ApiKey` scheme). A place is required: lat and long, or an "
                           f"address_string naming a village. {XML_TWIN}",
            "requestBody": {"required": True, "content": {"application/x-www-form-urlencoded": {
                "schema": NEW_REQUEST,
                "encoding": {"attribute": {"style": "deepObject", "explode": True}}}}},
            "responses": {
                "200": _content(_ref("FiledRequest"), "Filed: its service_request_id at once "
                                "(so no token)."),
                **_open311_errors({
                    400: "A field is not valid: no place, a place outside the jurisdiction, a "
                         "bad attribute answer, no service_code, a bad media_url.",
                    403: "api_key missing, unknown or revoked, or issued for another "
                         "jurisdiction.",
                    404: "Unknown service_code or jurisdiction_id."})}},
    },
    "/requests/{service_request_id}.json": _open311_get(
        "One service request", [
            {"name": "service_request_id", "in": "path", "required": True, "schema": STRING,
             "description": "The tracking code."}, JURISDICTION, LANG],
        "ServiceRequests", _open311_errors({
            400: "jurisdiction_id missing where the server hosts several.",
            404: "No such public request in this jurisdiction."}), "A list of one."),
    "/tokens/{token}.json": _open311_get(
        "The service_request_id of a token", [
            {"name": "token", "in": "path", "required": True, "schema": STRING,
             "description": "Every service is realtime: the token is the request id itself."},
            JURISDICTION],
        "Token", _open311_errors({
            400: "jurisdiction_id missing where the server hosts several.",
            404: "No such token in this jurisdiction."})),
}

# --- the crew's phone page (/crew/) ---------------------------------------------------------

CREW_TAG = "crew"
TAG_DESCRIPTIONS = {
    OPEN311: f"http://wiki.open311.org/GeoReport_v2 at {OPEN311_PREFIX}/. {XML_TWIN}",
    CREW_TAG: "What the crew's phone page (/crew/) calls, signed in as a crew. A refusal is an "
              "`Error` in JSON when asked with `Accept: application/json` (otherwise an error "
              "page).",
}
CREW = [{"sessionCookie": []}]
CREW_WRITE = [{"sessionCookie": [], "csrfToken": []}]
CREW_ERRORS = {
    "302": {"description": "Not signed in: a redirect to /login.",
            "headers": {"Location": {"schema": STRING}}},
    "403": _error("Signed in, but not as a crew."),
}
CASE_ID = {"name": "incident_id", "in": "path", "required": True, "schema": INTEGER,
           "description": "The case's `id` in cases.json."}
CREW_CASE = _feature(NULLABLE_POINT, {
    "code": STRING, "status": {"enum": list(OPEN_STATUSES)},
    "mine": {"type": "boolean", "description": "Assigned to me."},
    "category_th": STRING, "category_en": STRING, "icon": STRING, "color": STRING,
    "village_number": _nullable(INTEGER), "village_th": _nullable(STRING),
    "village_en": _nullable(STRING), "description": _nullable(STRING), "reported_at": TIME,
    "distance_m": {"type": ["number", "null"], "description": "From the position sent."},
    "can_start": BOOLEAN, "can_close": BOOLEAN,
    "evidence_review": {"enum": [None, "needs_review", "accepted", "sent_back"]},
    "sent_back_note": _nullable(STRING),
    "photos": {"type": "array", "items": INTEGER,
               "description": "Report photos: /photos/{id} and /photos/{id}/thumb."}},
    with_id=True)
CHECK = _object({
    "check": {"enum": ["real_image", "not_reused", "taken_after_report", "near_case"]},
    "photo": {"type": ["integer", "null"], "description": "1-based; null: not of one photo."},
    "ok": {"type": ["boolean", "null"], "description": "null: could not tell."},
    "detail": {"type": "object"}})
CREW_SCHEMAS = {
    "CrewCase": CREW_CASE,
    "CrewCases": _collection("CrewCase"),
    "CsrfToken": _object({"csrf_token": STRING}),
    "Started": _object({"case": STRING, "status": {"const": "in_progress"}}),
    "Closed": _object({
        "closing": INTEGER, "case": STRING,
        "status": {"enum": list(STATUSES), "description": "resolved (a replay: the case's "
                   "status now)."},
        "result": {"enum": list(fieldwork.RESULTS)},
        "needs_review": {"type": "boolean", "description": "A check failed: a dispatcher "
                         "looks at the evidence."},
        "failed_checks": {"type": "array", "items": CHECK},
        "replayed": {"type": "boolean", "description": "True: this idempotency_key had "
                     "already closed the case; nothing new was stored."}}),
}
CLOSING_FORM = _object({
    "idempotency_key": {"type": "string", "pattern": "^[A-Za-z0-9_-]{16,64}$",
                        "description": "Made by the phone once per closing: sent again after a "
                                       "lost answer, the first closing is returned."},
    "result": {"enum": list(fieldwork.RESULTS)},
    "reason": {"enum": list(fieldwork.REASONS), "description": "Required with cannot_fix."},
    "note": {"type": "string", "minLength": 1, "description": "What was done."},
    "lat": {"type": "number", "minimum": -90, "maximum": 90},
    "lon": {"type": "number", "minimum": -180, "maximum": 180},
    "accuracy": {"type": "number", "minimum": 0, "description": "Metres."},
    "closed_at": {**TIME, "description": "When the crew closed it (an outbox may send it "
                  "hours later); default and outside [report, now]: the time received."},
    "photos": {"type": "array", "minItems": 1, "maxItems": photos.MAX_PHOTOS,
               "items": {"type": "string", "format": "binary",
                         "description": "JPEG, PNG or WebP, at most "
                                        f"{photos.MAX_PHOTO_BYTES // 2**20} MB."}}},
    required=["idempotency_key", "result", "note", "photos"])
CREW_PATHS = {
    "/crew/cases.json": _get("My open cases, and open cases of my department near me", [
        _query("lat", {"type": "number", "minimum": -90, "maximum": 90},
               "My latitude (with lon): adds open cases nearby, nearest first."),
        _query("lon", {"type": "number", "minimum": -180, "maximum": 180}, "My longitude.")], {
        "200": _content(_ref("CrewCases"), "GeoJSON; never cached."),
        "400": _error("lat or lon missing, not a number or out of range."),
        **CREW_ERRORS}, CREW_TAG, security=CREW),
    "/crew/token.json": _get("A fresh CSRF token for the X-CSRFToken header", [], {
        "200": _content(_ref("CsrfToken"), "Closings kept offline for hours outlive the token "
                        "of the page."), **CREW_ERRORS}, CREW_TAG, security=CREW),
    "/crew/cases/{incident_id}/start": {"post": {
        "summary": "Start work on my case (on the way or on site)", "tags": [CREW_TAG],
        "security": CREW_WRITE, "parameters": [CASE_ID],
        "description": "No body. Sent again once started, it changes nothing.",
        "responses": {
            "200": _content(_ref("Started"), "In progress."),
            "400": _error("The X-CSRFToken header is missing or not valid."),
            **CREW_ERRORS,
            "404": _error("No such case, or not assigned to me."),
            "409": _error("The case is in a step that cannot be started (e.g. resolved).")}}},
    "/crew/cases/{incident_id}/close": {"post": {
        "summary": "Close my case with photo evidence", "tags": [CREW_TAG],
        "security": CREW_WRITE, "parameters": [CASE_ID],
        "description": "One transaction: the resolve step, the photos and the evidence checks; "
                       "nothing is kept of a refused closing.",
        "requestBody": {"required": True, "content": {"multipart/form-data": {
            "schema": CLOSING_FORM,
            "encoding": {"photos": {"contentType": "image/jpeg, image/png, image/webp"}}}}},
        "responses": {
            "201": _content(_ref("Closed"), "Closed now."),
            "200": _content(_ref("Closed"), "This idempotency_key had already closed it: the "
                            "first closing."),
            "400": _error("A field is not valid or missing, or the X-CSRFToken header is."),
            **CREW_ERRORS,
            "404": _error("No such case, or not assigned to me."),
            "409": _error("Already resolved, or the idempotency_key belongs to another "
                          "closing."),
            "413": _error("A photo is over 10 MB or has too many pixels."),
            "415": _error("A file is not a JPEG, PNG or WebP image.")}}},
}


def openapi_document() -> dict:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "mapdash API", "version": "1",
            "description": "Citizens' reports of local problems for Thai local governments. "
                           "Every refusal is a 4xx with an `Error` in Thai and English, but "
                           "Open311 GeoReport v2 (/open311/v2/) answers the specification's "
                           "shapes, its errors included (`Open311Errors`).",
        },
        "tags": [{"name": name, **({"description": TAG_DESCRIPTIONS[name]}
                                   if name in TAG_DESCRIPTIONS else {})}
                 for name in ("public", "open data", "dispatch", OPEN311, CREW_TAG, "health",
                              "meta")],
        "paths": {**PATHS, **{OPEN311_PREFIX + path: item for path, item in OPEN311_PATHS.items()},
                  **CREW_PATHS},
        "components": {
            "schemas": {**SCHEMAS, **OPEN311_SCHEMAS, **CREW_SCHEMAS},
            "securitySchemes": {
                "sessionCookie": {
                    "type": "apiKey", "in": "cookie", "name": "session",
                    "description": "The session of a staff sign-in at /login: admin, "
                                   "dispatcher or officer for /api/dispatch (officers see their "
                                   "department only), crew for /crew/."},
                "csrfToken": {
                    "type": "apiKey", "in": "header", "name": "X-CSRFToken",
                    "description": "Required with the session cookie on every POST: the "
                                   "csrf_token of a page of the same session (a crew: "
                                   "/crew/token.json)."},
                "open311ApiKey": {
                    "type": "apiKey", "in": "query", "name": "api_key",
                    "description": "Open311 POST requests.json only, and sent as the "
                                   "form field `api_key` of the body, as GeoReport v2 has it: "
                                   "OpenAPI has no form location for a key, and a key in the "
                                   "query string is not read, so no operation lists this "
                                   "scheme under `security`; the body's schema has the field. "
                                   "`mapdash apikeys create NAME` or /admin/api-keys makes "
                                   "one."},
            },
        },
    }
