"""The answers of the JSON API in /api/openapi.json: JSON schemas written by hand, as
PostgreSQL (or the view) builds the JSON they describe. tests/test_openapi.py checks real
answers against them. The parameters are not here: they come from each endpoint's model
(api/params.py)."""
from mapdash.cases.questions import DATATYPES
from mapdash.field import fieldwork
from mapdash.vocabulary import CHANNELS, OPEN_STATUSES, PRIORITIES, STATUSES


def nullable(schema: dict) -> dict:
    return {**schema, "type": [schema["type"], "null"]}


STRING, INTEGER, NUMBER, BOOLEAN = ({"type": t} for t in ("string", "integer", "number", "boolean"))
TIME = {"type": "string", "format": "date-time"}


def record(properties: dict, required=None, **more) -> dict:
    """An object with exactly these properties (all required unless listed)."""
    return {"type": "object", "properties": properties,
            "required": list(properties if required is None else required),
            "additionalProperties": False, **more}


def ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _collection(item: str, **members) -> dict:
    return record({"type": {"const": "FeatureCollection"},
                   "features": {"type": "array", "items": ref(item)}, **members})


def _feature(geometry: dict, properties: dict, with_id: bool = False) -> dict:
    members = {"type": {"const": "Feature"}, "geometry": geometry,
               "properties": record(properties)}
    if with_id:
        members["id"] = INTEGER
    return record(members)


POINT = record({"type": {"const": "Point"},
                "coordinates": {"type": "array", "items": NUMBER, "minItems": 2, "maxItems": 2}})
MULTIPOLYGON = record({"type": {"const": "MultiPolygon"}, "coordinates": {"type": "array"}})
NULLABLE_POINT = {"oneOf": [POINT, {"type": "null"}]}


# --- public, open data, dispatch -----------------------------------------------------------

PUBLIC_CASE = {
    "code": STRING, "status": {"enum": list(STATUSES)}, "reported_at": TIME,
    "category": STRING, "category_th": STRING, "category_en": STRING,
    "color": {"type": "string", "pattern": "^#[0-9a-fA-F]{6}$"},
    "village_number": nullable(INTEGER), "village_th": nullable(STRING),
    "village_en": nullable(STRING),
}
OPEN_DATA_CASE = {
    "code": STRING, "category": STRING, "category_th": STRING, "category_en": STRING,
    "status": {"enum": list(STATUSES)}, "status_th": STRING,
    "village_number": nullable(INTEGER), "village_th": nullable(STRING),
    "village_en": nullable(STRING), "department": STRING, "department_th": STRING,
    "department_en": STRING, "reported_at": TIME, "updated_at": TIME,
    "closed_at": nullable(TIME), "followers": INTEGER, "url": {"type": "string", "format": "uri"},
}
DISPATCH_CASE = {
    "id": INTEGER, "code": STRING, "status": {"enum": list(OPEN_STATUSES)},
    "category": STRING, "category_th": STRING, "category_en": STRING, "icon": STRING,
    "color": STRING, "emergency": BOOLEAN, "village": nullable(INTEGER),
    "village_th": nullable(STRING), "department": STRING, "assignee": nullable(STRING),
    "summary": STRING, "followers": INTEGER, "created_at": TIME, "due_at": nullable(TIME),
    "overdue": BOOLEAN, "priority": {"enum": list(PRIORITIES)}, "channel": {"enum": list(CHANNELS)},
}
ALERT = record({
    "id": INTEGER, "code": STRING, "category_th": STRING, "category_en": STRING, "icon": STRING,
    "village": nullable(INTEGER), "village_th": nullable(STRING), "created_at": TIME,
    "lon": nullable(NUMBER), "lat": nullable(NUMBER)})
NEARBY_CASE = record({
    "code": STRING, "status": {"enum": list(OPEN_STATUSES)}, "created_at": TIME,
    "reported_th": STRING, "reported_en": STRING, "followers_count": INTEGER,
    "distance_m": NUMBER, "village_number": nullable(INTEGER),
    "village_th": nullable(STRING), "village_en": nullable(STRING), "url": STRING,
    "thumb_url": nullable(STRING)})
NAMED = {"name_th": STRING, "name_en": STRING}
VILLAGE_NAMES = {"number": INTEGER, "name_th": STRING, "name_en": nullable(STRING)}

SCHEMAS = {
    "Error": record({
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
    "DispatchCrew": _feature(POINT, {
        "name": STRING, "department_th": nullable(STRING), "department_en": nullable(STRING),
        "accuracy_m": INTEGER, "recorded_at": TIME, "age_s": INTEGER,
        "freshness": {"enum": ["fresh", "stale", "offline"],
                      "description": "fresh: at most 5 min old; stale: at most 30 min; "
                                     "offline: older."},
        "open_cases": INTEGER}, with_id=True),
    "DispatchCrews": _collection("DispatchCrew", now=TIME),
    "GridCells": _collection("GridCell", capped=BOOLEAN, limit=INTEGER, cell_degrees=NUMBER),
    "Changes": record({
        "now": TIME,
        "lsn": {"type": "string", "pattern": "^[0-9A-F]{1,8}/[0-9A-F]{1,8}$",
                "description": "The database's write position: `fresh` of the map reads."},
        "changed": {"type": "array", "items": record(
            {"id": INTEGER, "status": {"enum": list(STATUSES)}, "updated_at": TIME,
             "created_at": TIME})},
        "alerts": {"type": "array", "items": ALERT}}),
    "Location": {"oneOf": [
        record({"inside": {"const": True},
                "organization": record({"slug": STRING, **NAMED}),
                "village": {"oneOf": [record(VILLAGE_NAMES), {"type": "null"}]}}),
        record({"inside": {"const": False}, "message_th": STRING, "message_en": STRING})]},
    "Nearby": record({"radius_m": NUMBER, "cases": {"type": "array", "items": NEARBY_CASE}}),
    "PublicCase": _feature(POINT, PUBLIC_CASE),
    "PublicCases": _collection("PublicCase", truncated=BOOLEAN),
    "OpenDataCase": _feature(NULLABLE_POINT, OPEN_DATA_CASE),
    "OpenDataCases": _collection("OpenDataCase"),
}


# --- Open311 GeoReport v2: the specification's shapes ----------------------------------------

OPEN311_REQUEST = {
    "service_request_id": {"type": "string", "description": "The case's tracking code."},
    "status": {"enum": ["open", "closed"]},
    "status_notes": {"type": ["string", "null"],
                     "description": "The note of the latest public event."},
    "service_name": STRING, "service_code": STRING,
    "description": {"type": "null", "description": "Always null: a citizen's own words may "
                    "name people, and mapdash never publishes them."},
    "agency_responsible": {"type": "string", "description": "The department."},
    "service_notice": nullable(STRING),
    "requested_datetime": TIME,
    "updated_datetime": {**TIME, "description": "For a closed request, when it was closed."},
    "expected_datetime": {**TIME, "description": "The report time plus the type's time "
                          "limits."},
    "address": {"type": ["string", "null"], "description": "The village, when known."},
    "lat": nullable(NUMBER), "long": nullable(NUMBER),
    "media_url": {"type": ["string", "null"], "format": "uri",
                  "description": "A public photo of the report, if any."},
}
OPEN311_SCHEMAS = {
    "Open311Errors": {
        "type": "array", "minItems": 1, "description": "Every refusal (400, 403, 404; 409 "
        "and 429 of a POST; 503 while the database is unreachable) of every Open311 endpoint, "
        "in the specification's shape; `description` is English / Thai.",
        "items": record({"code": {"enum": [400, 403, 404, 409, 429, 503],
                                  "description": "The HTTP status."},
                         "description": STRING})},
    "Discovery": record({
        "changeset": TIME, "contact": nullable(STRING), "key_service": STRING,
        "endpoints": {"type": "array", "items": record({
            "specification": {"const": "http://wiki.open311.org/GeoReport_v2"},
            "url": {"type": "string", "format": "uri"}, "changeset": TIME,
            "type": {"const": "production"},
            "formats": {"type": "array", "items": {"enum": ["text/xml", "application/json"]}}})}}),
    "Services": {"type": "array", "items": record({
        "service_code": STRING, "service_name": STRING, "description": STRING,
        "metadata": {"type": "boolean", "description": "True: the type asks extra questions, "
                     "see its service definition."},
        "type": {"const": "realtime", "description": "Always realtime: a request gets its "
                 "service_request_id at once."},
        "keywords": {"type": "string", "description": "Comma-separated."},
        "group": {"type": "string", "description": "The department."}})},
    "ServiceDefinition": record({
        "service_code": STRING,
        "attributes": {"type": "array", "items": record({
            "variable": {"const": True}, "code": STRING, "datatype": {"enum": list(DATATYPES)},
            "required": BOOLEAN, "datatype_description": nullable(STRING),
            "order": INTEGER, "description": STRING,
            "values": {"type": "array", "items": record({"key": STRING, "name": STRING}),
                       "description": "The choices of a singlevaluelist or multivaluelist."}})}}),
    "ServiceRequests": {"type": "array", "items": record(OPEN311_REQUEST),
                        "description": "Newest first; a list even of one."},
    "FiledRequest": {"type": "array", "minItems": 1, "maxItems": 1, "items": record({
        "service_request_id": STRING, "service_notice": nullable(STRING),
        "account_id": {"type": "null"}})},
    "Token": {"type": "array", "minItems": 1, "maxItems": 1,
              "items": record({"service_request_id": STRING, "token": STRING})},
}

# --- the case list's bulk actions (/dispatch/cases/actions.json) ----------------------------

BULK_SCHEMAS = {
    "BulkResult": record({
        "action": STRING,
        "done": {"type": "array", "description": "One event written per case.",
                 "items": record({"id": INTEGER, "code": STRING,
                                  "status": {"enum": list(STATUSES)}})},
        "refused": {"type": "array", "description": "Cases left as they were, with why (a "
                    "case not the reader's to see is `not_found`).",
                    "items": record({"id": INTEGER, "error": STRING, "message_th": STRING,
                                     "message_en": STRING, "field": nullable(STRING)})}}),
}


# --- the crew's phone page -------------------------------------------------------------------

CREW_CASE = _feature(NULLABLE_POINT, {
    "code": STRING, "status": {"enum": [*OPEN_STATUSES, "resolved"], "description": "resolved: "
                                 "closed by me, its evidence under review (evidence_review)."},
    "mine": {"type": "boolean", "description": "Assigned to me."},
    "category_th": STRING, "category_en": STRING, "icon": STRING, "color": STRING,
    "village_number": nullable(INTEGER), "village_th": nullable(STRING),
    "village_en": nullable(STRING), "description": nullable(STRING), "reported_at": TIME,
    "distance_m": {"type": ["number", "null"], "description": "From the position sent."},
    "can_start": BOOLEAN, "can_close": BOOLEAN,
    "evidence_review": {"enum": [None, "needs_review", "accepted", "sent_back"]},
    "sent_back_note": nullable(STRING),
    "photos": {"type": "array", "items": INTEGER,
               "description": "Report photos: /photos/{id} and /photos/{id}/thumb."}},
    with_id=True)
CHECK = record({
    "check": {"enum": ["real_image", "not_reused", "taken_after_report", "near_case"]},
    "photo": {"type": ["integer", "null"], "description": "1-based; null: not of one photo."},
    "ok": {"type": ["boolean", "null"], "description": "null: could not tell."},
    "detail": {"type": "object"}})
CREW_SCHEMAS = {
    "CrewCase": CREW_CASE,
    "MapPack": record({
        "max_zoom": {"type": "integer", "description": "The most detailed zoom in the pack."},
        "max_bytes": {"type": "integer", "description": "The organization's cap: the phone "
                      "stops downloading there, counting the tiles' real sizes."},
        "estimated_bytes": INTEGER,
        "complete": {"type": "boolean", "description": "False: the cap left tiles out."},
        "tiles": {"type": "array", "description": "In order of use: the tambon to zoom 14, "
                  "around my cases, around cases near me, the rest of the tambon.",
                  "items": {"type": "array", "items": {"type": ["integer", "string"]},
                            "minItems": 4, "maxItems": 4,
                            "description": "[z, x, y, the tile's URL on TILE_URL's server]"}}}),
    "CrewCases": _collection("CrewCase"),
    "CsrfToken": record({"csrf_token": STRING}),
    "Started": record({"case": STRING, "status": {"const": "in_progress"}}),
    "PositionShared": record({
        "stored": {"type": "boolean", "description": "False: this position was already stored."},
        "latest": {"type": "boolean", "description": "It is now my last known position (not "
                   "when a newer one was sent before, or I stopped sharing after it)."}}),
    "SharingStopped": record({"sharing": {"const": False}}),
    "Closed": record({
        "closing": INTEGER, "case": STRING,
        "status": {"enum": list(STATUSES), "description": "resolved (a replay: the case's "
                   "status now)."},
        "result": {"enum": list(fieldwork.RESULTS)},
        "needs_review": {"type": "boolean", "description": "A check failed: a dispatcher "
                         "looks at the evidence."},
        "failed_checks": {"type": "array", "items": CHECK},
        "replayed": {"type": "boolean", "description": "True: this idempotency_key had "
                     "already closed the case; nothing new was stored."}}),
    "ClosingConflict": record({
        **SCHEMAS["Error"]["properties"],
        "first_closing": record({
            "closing": INTEGER, "case": STRING, "result": {"enum": list(fieldwork.RESULTS)},
            "reason": {"enum": [*fieldwork.REASONS, None]}, "note": STRING,
            "photos": {"type": "integer", "description": "How many evidence photos."}})},
        description="closing_conflict: this idempotency_key already closed the case with "
                    "another result, reason, note or number of photos. The first closing "
                    "stands; nothing of this request was stored."),
}
