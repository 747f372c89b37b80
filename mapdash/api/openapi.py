"""The OpenAPI 3.1 description of mapdash's JSON API, served at /api/openapi.json.

Each operation's query parameters and form body are those of the model its view declares
(`@accepts`, api/params.py); the answers' schemas are written by hand in openapi_schemas.py.
tests/test_openapi.py calls every operation listed here and checks the real answers against
the document, and fails when a route under /api/, a .json route of Open311 (/open311/v2/), a
JSON route of the crew's phone page (/crew/) or a .json route of the dispatchers' pages
(/dispatch/) is missing here; tests/test_params.py fails
when an operation's parameters are not those its view declares. Open311's shapes are those
of the GeoReport v2 specification.
"""
from pydantic import TypeAdapter

from mapdash.api.openapi_schemas import (
    BULK_SCHEMAS,
    CREW_SCHEMAS,
    INTEGER,
    OPEN311_SCHEMAS,
    SCHEMAS,
    STRING,
    record,
    ref,
)
from mapdash.api.params import BigintId, Params, form_body, header_parameters, query_parameters
from mapdash.field.fieldwork import ClosingForm
from mapdash.field.positions import PositionForm, StopForm
from mapdash.integrations.open311.requests import MAX_RESULTS, NewRequestForm, RequestQuery
from mapdash.integrations.open311.resends import ResendHeaders
from mapdash.integrations.open311.services import JurisdictionQuery, Open311Query
from mapdash.maps.map_filters import CasesQuery, ChangesQuery, GridQuery, MapFilters, TileQuery
from mapdash.maps.public_cases import PublicCasesQuery
from mapdash.views.api import OrgQuery
from mapdash.views.citizen_api import NearbyQuery, PointQuery
from mapdash.views.crew import PositionQuery
from mapdash.views.dispatch import BulkForm


def _content(schema: dict, description: str, media: str = "application/json") -> dict:
    return {"description": description, "content": {media: {"schema": schema}}}


def _error(description: str) -> dict:
    return _content(ref("Error"), description)


def _path(name: str, description: str, schema: dict = STRING) -> dict:
    return {"name": name, "in": "path", "required": True, "schema": schema,
            "description": description}


# Any request with a NUL byte in a parameter is refused before its view (views/errors.py).
NUL_REFUSED = _error("A parameter holds a character that is not allowed (NUL).")


def _get(summary: str, query: type[Params] | None, responses: dict, tag: str,
         path: tuple = (), **more) -> dict:
    parameters = [*path, *query_parameters(query)]
    if parameters:
        responses = {"400": NUL_REFUSED, **responses}
    return {"get": {"summary": summary, "tags": [tag], "parameters": parameters,
                    "responses": responses, **more}}


# --- public, open data, dispatch -----------------------------------------------------------

COARSENED = ("An emergency (EMS, fire, disaster) is placed at the centre of its grid cell of "
             "0.002 degrees (about 200 m), never at its own point (sql/014_public_location.sql).")

STAFF: list[dict[str, list]] = [{"sessionCookie": []}]
STAFF_ERRORS = {
    "400": _error("A filter or parameter is not valid."),
    "401": _error("Not signed in."),
    "403": _error("Signed in with a role that may not read the map (crew), or an officer "
                  "naming another department."),
}
DOWNLOAD_HEADERS = {"Content-Disposition": {
    "description": 'attachment; filename="<org>-cases-<YYYY-MM-DD>.<ext>" (Thai date).',
    "schema": STRING}}


def _download(media: str, schema: dict, what: str) -> dict:
    return _get(
        f"Every public case matching the filters, as {what}", PublicCasesQuery, {
            "200": {"description": f"{what}, streamed; newest first; every matching case.",
                    "headers": DOWNLOAD_HEADERS, "content": {media: {"schema": schema}}},
            "400": _error("A filter is not valid (unknown status, type or village)."),
            "404": _error("Unknown organization.")}, "open data",
        description="The same cases as the public page /cases: never a sensitive type, never "
                    "a reporter's contact or the details text. Times are ISO 8601 in Thai time "
                    f"(+07:00); `url` is the case's public status page. {COARSENED}")


PATHS = {
    "/healthz": _get("Is the app up and the database reachable?", None, {
        "200": _content(record({"status": {"const": "ok"}, "database": {"const": "up"}}), "Up."),
        "503": _content(record({"status": {"const": "unavailable"},
                                "database": {"const": "down"}}), "The database is down.")},
        "health"),
    "/api/villages.geojson": _get("The villages (mu) with their number of open cases", OrgQuery, {
        "200": _content(ref("Villages"), "Every village.", "application/geo+json"),
        "404": _error("Unknown organization.")}, "public"),
    "/api/locate": _get("The organization and village covering a point", PointQuery, {
        "200": _content(ref("Location"), "Inside an area (with its village, if any) or not."),
        "400": _error("lon or lat missing, not a number or out of range.")}, "public"),
    "/api/nearby": _get("Open cases of a type within 100 m (\"already reported?\")", NearbyQuery, {
        "200": _content(ref("Nearby"), "At most 5, nearest first; none for sensitive types."),
        "400": _error("type missing, or lon/lat not valid.")}, "public",
        description=f"Distances are from the public point. {COARSENED}"),
    "/api/public/cases.geojson": _get("The public map: the newest 2,000 matching cases with a "
                                      "place", PublicCasesQuery, {
        "200": _content(ref("PublicCases"), "`truncated` is true when more matched.",
                        "application/geo+json"),
        "400": _error("A filter is not valid (village not a number, unknown status)."),
        "404": _error("Unknown organization.")}, "public", description=COARSENED),
    "/api/opendata/cases.csv": _download("text/csv", {
        "type": "string", "description": "UTF-8 with a byte order mark (for Excel); a header "
        "row, then one row per case. Columns: code, category, category_th, category_en, "
        "status, status_th, village_number, village_th, village_en, department, "
        "department_th, department_en, reported_at, updated_at, closed_at, lon, lat, "
        "followers, url."}, "CSV"),
    "/api/opendata/cases.geojson": _download("application/geo+json", ref("OpenDataCases"),
                                             "GeoJSON"),
    "/api/dispatch/villages.geojson": _get(
        "Villages with their number of open cases matching the filters", MapFilters, {
            "200": _content(ref("DispatchVillages"), "Every village; `no_place` counts the "
                            "matching cases without a place.", "application/geo+json"),
            **STAFF_ERRORS}, "dispatch", security=STAFF),
    "/api/dispatch/cases.geojson": _get("Open cases, newest first", CasesQuery, {
        "200": _content(ref("DispatchCases"), "`capped` is true when more matched.",
                        "application/geo+json"),
        **STAFF_ERRORS}, "dispatch", security=STAFF),
    "/api/dispatch/grid.geojson": _get("Open cases counted per grid cell", GridQuery, {
        "200": _content(ref("GridCells"), "Fullest cells first, at most 2,000.",
                        "application/geo+json"),
        **STAFF_ERRORS}, "dispatch", security=STAFF),
    "/api/dispatch/tiles/{z}/{x}/{y}.mvt": _get(
        "A vector tile of the open cases: each case, or per grid cell where more match",
        TileQuery, {
            "200": _content({"type": "string", "format": "binary"},
                            "Mapbox Vector Tile: layer `cases` (id, code, status, category, "
                            "color, emergency, overdue) when at most `limit` match in the tile, "
                            "else layer `cells` (count, new); at most 5,000 features.",
                            "application/vnd.mapbox-vector-tile"),
            **STAFF_ERRORS, "404": _error("No such tile (z above 22, x or y past 2^z - 1).")},
        "dispatch", security=STAFF, path=tuple(
            _path(name, description, INTEGER) for name, description in (
                ("z", "Zoom, 0..22."), ("x", "Column, 0..2^z - 1."),
                ("y", "Row from the north, 0..2^z - 1.")))),
    "/api/dispatch/crews.geojson": _get("Each crew member's last shared position and how old "
                                        "it is", None, {
        "200": _content(ref("DispatchCrews"), "Newest first; officers: their department's "
                        "crews. A crew who stopped sharing is not listed.",
                        "application/geo+json"),
        "401": STAFF_ERRORS["401"],
        "403": _error("Signed in with a role that may not read the map (crew).")},
        "dispatch", security=STAFF),
    "/api/dispatch/changes": _get("Cases changed since a time, and emergencies waiting",
                                  ChangesQuery, {
        "200": _content(ref("Changes"), "At most 200 changes and 20 alerts."),
        **STAFF_ERRORS}, "dispatch", security=STAFF),
    "/api/dispatch/stream": _get("The same answers, pushed as server-sent events", ChangesQuery, {
        "200": _content({
            "type": "object", "required": ["event", "data"],
            "properties": {"event": {"enum": ["changes", "heartbeat", "end"]},
                           "data": {"type": "string", "contentMediaType": "application/json"},
                           "retry": INTEGER},
            "description": (
                "Each event: `changes` whose data is a Changes answer (JSON), at once and each "
                "time the reader's cases change; `heartbeat` while nothing does; `end` before "
                "the server closes the stream (open a new one with the last `now` as `since`).")},
            "An open stream.", "text/event-stream"),
        **STAFF_ERRORS,
        "503": {**_error("Live updates are unavailable: poll /api/dispatch/changes."),
                "headers": {"Retry-After": {"description": "Seconds to wait before trying again.",
                                            "schema": INTEGER}}}}, "dispatch", security=STAFF),
    "/api/openapi.json": _get("This document", None, {
        "200": _content({"type": "object", "required": ["openapi", "paths"]},
                        "OpenAPI 3.1.")}, "meta"),
}


# The case list's bulk actions: a page of the dispatchers' office calls it (its .json routes
# are documented here).
STAFF_WRITE: list[dict[str, list]] = [{"sessionCookie": [], "csrfToken": []}]
DISPATCH_PATHS = {
    "/dispatch/cases/actions.json": {"post": {
        "summary": "One action on many cases: accept, assign, mark as duplicate, set the "
                   "priority", "tags": ["dispatch"], "security": STAFF_WRITE,
        "description": "Form-encoded. Each case is taken on its own, with its own audit event; "
                       "a case that cannot take the action (another status, not the reader's "
                       "to see) is listed under `refused` and changes nothing, the others are "
                       "done. The inputs are those of the action (assignee_id, "
                       "duplicate_code, priority, note).",
        "requestBody": form_body(BulkForm, "application/x-www-form-urlencoded"),
        "responses": {
            "200": _content(ref("BulkResult"), "What was done and what was refused, by case."),
            "400": _error("The action, the ids or an input is not valid (an unknown crew "
                          "member or duplicate code), or the X-CSRFToken header is missing."),
            "401": _error("Not signed in."),
            "403": _error("Signed in with a role that does not work cases at the office "
                          "(crew).")}}},
}


# --- Open311 GeoReport v2 (http://wiki.open311.org/GeoReport_v2) ---------------------------
# Every path below also exists as .xml (the spec's required format) with the same parameters
# and the same content as XML elements; only the .json twins are described here.

OPEN311 = "Open311 GeoReport v2"
OPEN311_PREFIX = "/open311/v2"
XML_TWIN = ("The same endpoint ending in `.xml` takes the same parameters and answers the same "
            "content as the specification's XML elements (text/xml).")


RETRY_AFTER = {"Retry-After": {"description": "Seconds to wait before trying again.",
                               "schema": INTEGER}}


def _open311_errors(descriptions: dict[int, str]) -> dict:
    """The spec's error list for each status; 429 and 503 say when to try again."""
    return {str(status): {**_content(ref("Open311Errors"), description),
                          **({"headers": RETRY_AFTER} if status in (429, 503) else {})}
            for status, description in descriptions.items()}


def _open311_get(summary: str, query: type[Params] | None, schema: str, errors: dict,
                 description: str = "", path: tuple = ()) -> dict:
    return _get(summary, query, {"200": _content(ref(schema), "Success."), **errors},
                OPEN311, path, description=f"{description} {XML_TWIN}".strip())


OPEN311_JURISDICTION_ERRORS = {
    400: "jurisdiction_id missing where the server hosts several, or a bad parameter.",
    404: "Unknown jurisdiction_id.",
}
OPEN311_PATHS = {
    "/discovery.json": _open311_get(
        "Service discovery: the endpoint, its formats and how to get an API key", None,
        "Discovery", {}),
    "/services.json": _open311_get(
        "The services (case types) of the jurisdiction", Open311Query, "Services",
        _open311_errors(OPEN311_JURISDICTION_ERRORS),
        "Every active type but the sensitive ones (drug tips: reported on the web form only)."),
    "/services/{service_code}.json": _open311_get(
        "A service definition: the extra questions (attributes) of a type", Open311Query,
        "ServiceDefinition", _open311_errors({
            400: "jurisdiction_id missing where the server hosts several.",
            404: "Unknown (or sensitive) service_code, or unknown jurisdiction_id."}),
        path=(_path("service_code", "From services.json."),)),
    "/requests.json": {
        **_open311_get("Service requests (public cases) matching the filters", RequestQuery,
            "ServiceRequests", _open311_errors({
                400: "A filter is not valid (a date without its zone, a span over 90 days, an "
                     "unknown status, over 1,000 codes) or jurisdiction_id is missing.",
                404: "Unknown jurisdiction_id."}),
            f"At most {MAX_RESULTS:,}, newest first. Never a sensitive type, never a "
            f"reporter's contact or words. {COARSENED}"),
        "post": {
            "summary": "File a service request, through the same intake as the web form",
            "tags": [OPEN311],
            "description": "Form-encoded. `api_key` is a field of the body (see the "
                           "`open311ApiKey` scheme). A place is required: lat and long, or an "
                           "address_string naming a village. A request sent again (the same "
                           "Idempotency-Key, or without one the same form within 10 minutes) "
                           "is answered with the first one's service_request_id and files "
                           f"nothing. {XML_TWIN}",
            "parameters": header_parameters(ResendHeaders),
            "requestBody": form_body(NewRequestForm, "application/x-www-form-urlencoded"),
            "responses": {
                "200": _content(ref("FiledRequest"), "Filed: its service_request_id at once "
                                "(so no token); or the first one's, for a request sent again."),
                **_open311_errors({
                    400: "A field is not valid: no place, a place outside the jurisdiction, a "
                         "bad attribute answer, no service_code, a bad media_url, a bad "
                         "Idempotency-Key.",
                    403: "api_key missing, unknown or revoked, or issued for another "
                         "jurisdiction.",
                    404: "Unknown service_code or jurisdiction_id.",
                    409: "This Idempotency-Key came with a different form before.",
                    429: "Too many requests with this api_key (per minute): try again after "
                         "Retry-After seconds.",
                    503: "The database is unreachable: try again after Retry-After seconds."})}},
    },
    "/requests/{service_request_id}.json": _open311_get(
        "One service request", Open311Query, "ServiceRequests", _open311_errors({
            400: "jurisdiction_id missing where the server hosts several.",
            404: "No such public request in this jurisdiction."}), "A list of one.",
        path=(_path("service_request_id", "The tracking code."),)),
    "/tokens/{token}.json": _open311_get(
        "The service_request_id of a token", JurisdictionQuery, "Token", _open311_errors({
            400: "jurisdiction_id missing where the server hosts several.",
            404: "No such token in this jurisdiction."}),
        path=(_path("token", "Every service is realtime: the token is the request id itself."),)),
}

# --- the crew's phone page (/crew/) ---------------------------------------------------------

CREW_TAG = "crew"
TAG_DESCRIPTIONS = {
    OPEN311: f"http://wiki.open311.org/GeoReport_v2 at {OPEN311_PREFIX}/. {XML_TWIN}",
    CREW_TAG: "What the crew's phone page (/crew/) calls, signed in as a crew. A refusal is an "
              "`Error` in JSON when asked with `Accept: application/json` (otherwise an error "
              "page).",
}
CREW: list[dict[str, list]] = [{"sessionCookie": []}]
CREW_WRITE: list[dict[str, list]] = [{"sessionCookie": [], "csrfToken": []}]
CREW_ERRORS = {
    "401": _error("Not signed in, or the session ended: the page asks to sign in again."),
    "403": _error("Signed in, but not as a crew."),
}
CASE_ID = _path("incident_id", "The case's `id` in cases.json; another number is a 404.",
                TypeAdapter(BigintId).json_schema())
CREW_PATHS = {
    "/crew/cases.json": _get("My open cases, and open cases of my department near me",
                             PositionQuery, {
        "200": _content(ref("CrewCases"), "GeoJSON; never cached."),
        "400": _error("lat or lon missing, not a number or out of range."),
        **CREW_ERRORS}, CREW_TAG, security=CREW),
    "/crew/map-pack.json": _get("The map tiles my phone keeps for use without signal",
                                PositionQuery, {
        "200": _content(ref("MapPack"), "Never cached."),
        "400": _error("lat or lon missing, not a number or out of range."),
        **CREW_ERRORS}, CREW_TAG, security=CREW),
    "/crew/token.json": _get("A fresh CSRF token for the X-CSRFToken header", None, {
        "200": _content(ref("CsrfToken"), "Closings kept offline for hours outlive the token "
                        "of the page."), **CREW_ERRORS}, CREW_TAG, security=CREW),
    "/crew/cases/{incident_id}/start": {"post": {
        "summary": "Start work on my case (on the way or on site)", "tags": [CREW_TAG],
        "security": CREW_WRITE, "parameters": [CASE_ID],
        "description": "No body. Sent again once started, it changes nothing.",
        "responses": {
            "200": _content(ref("Started"), "In progress."),
            "400": _error("The X-CSRFToken header is missing or not valid."),
            **CREW_ERRORS,
            "404": _error("No such case, or not assigned to me."),
            "409": _error("The case is in a step that cannot be started (e.g. resolved).")}}},
    "/crew/cases/{incident_id}/close": {"post": {
        "summary": "Close my case with photo evidence", "tags": [CREW_TAG],
        "security": CREW_WRITE, "parameters": [CASE_ID],
        "description": "One transaction: the resolve step, the photos and the evidence checks; "
                       "nothing is kept of a refused closing.",
        "requestBody": form_body(ClosingForm, "multipart/form-data"),
        "responses": {
            "201": _content(ref("Closed"), "Closed now."),
            "200": _content(ref("Closed"), "This idempotency_key had already closed it with "
                            "the same result, reason, note and number of photos: the first "
                            "closing."),
            "400": _error("A field is not valid or missing, or the X-CSRFToken header is."),
            **CREW_ERRORS,
            "404": _error("No such case, or not assigned to me."),
            "409": _content({"oneOf": [ref("Error"), ref("ClosingConflict")]},
                            "Already resolved, or the idempotency_key belongs to another "
                            "closing (Error); or it closed this case with other content "
                            "(ClosingConflict, with the first closing)."),
            "413": _error("A photo is over 10 MB or has too many pixels."),
            "415": _error("A file is not a JPEG, PNG or WebP image.")}}},
    "/crew/position": {"post": {
        "summary": "Share my position (while sharing is on)", "tags": [CREW_TAG],
        "security": CREW_WRITE,
        "description": "The crew member is the signed-in user. Kept by the phone's clock: a "
                       "position queued without signal and sent after a newer one joins the "
                       "track but is not my last position.",
        "requestBody": form_body(PositionForm, "application/x-www-form-urlencoded"),
        "responses": {
            "201": _content(ref("PositionShared"), "Stored."),
            "200": _content(ref("PositionShared"), "Already stored (sent again)."),
            "400": _error("A field is missing or not valid (accuracy worse than 1 km: "
                          "too_inaccurate), or the X-CSRFToken header is."),
            **CREW_ERRORS,
            "422": _error("Outside the organization's area (position_outside) or later than "
                          "now by more than 5 minutes (position_in_future).")}}},
    "/crew/position/stop": {"post": {
        "summary": "Stop sharing my position", "tags": [CREW_TAG], "security": CREW_WRITE,
        "description": "My last position leaves the dispatchers' map until a newer one comes.",
        "requestBody": form_body(StopForm, "application/x-www-form-urlencoded"),
        "responses": {
            "200": _content(ref("SharingStopped"), "Stopped."),
            "400": _error("stopped_at is not valid, or the X-CSRFToken header is."),
            **CREW_ERRORS}}},
}


def openapi_document() -> dict:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "mapdash API", "version": "1",
            "description": "Citizens' reports of local problems for Thai local governments. "
                           "Every refusal is a 4xx with an `Error` in Thai and English, but "
                           "Open311 GeoReport v2 (/open311/v2/) answers the specification's "
                           "shapes, its errors included (`Open311Errors`). While the database "
                           "is unreachable any operation answers 503 with a Retry-After "
                           "header, in the same shapes: try again then.",
        },
        "tags": [{"name": name, **({"description": TAG_DESCRIPTIONS[name]}
                                   if name in TAG_DESCRIPTIONS else {})}
                 for name in ("public", "open data", "dispatch", OPEN311, CREW_TAG, "health",
                              "meta")],
        "paths": {**PATHS, **{OPEN311_PREFIX + path: item for path, item in OPEN311_PATHS.items()},
                  **CREW_PATHS, **DISPATCH_PATHS},
        "components": {
            "schemas": {**SCHEMAS, **OPEN311_SCHEMAS, **CREW_SCHEMAS, **BULK_SCHEMAS},
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
