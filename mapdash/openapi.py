"""The OpenAPI 3.1 description of mapdash's JSON API, served at /api/openapi.json.

Written by hand next to the code it describes; tests/test_openapi.py calls every operation
listed here and checks the real answers against these schemas, and fails when a route under
/api/ is missing here. Open311 (/open311/v2/) follows the GeoReport v2 specification instead.
"""
from .geo import CASE_LIMIT_DEFAULT, CASE_LIMIT_MAX
from .models import OPEN_STATUSES, STATUSES


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
    _query("village", {"type": "integer", "minimum": 0}, "Village number (หมู่)."),
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
    "/api/villages.geojson": _get("The villages (หมู่) with their number of open cases", [
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


def openapi_document() -> dict:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "mapdash API", "version": "1",
            "description": "Citizens' reports of local problems for Thai local governments. "
                           "Every refusal is a 4xx with an `Error` in Thai and English. "
                           "Open311 GeoReport v2 is served apart, at /open311/v2/.",
        },
        "tags": [{"name": name} for name in ("public", "open data", "dispatch", "health", "meta")],
        "paths": PATHS,
        "components": {
            "schemas": SCHEMAS,
            "securitySchemes": {
                "sessionCookie": {
                    "type": "apiKey", "in": "cookie", "name": "session",
                    "description": "The session of a staff sign-in at /login (admin, "
                                   "dispatcher or officer; officers see their department only)."},
                "csrfToken": {
                    "type": "apiKey", "in": "header", "name": "X-CSRFToken",
                    "description": "Required with the session cookie on every POST: the "
                                   "csrf_token of a page of the same session."},
            },
        },
    }
