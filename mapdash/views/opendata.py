"""Open data downloads of the public cases, and the OpenAPI document of the JSON API."""
from datetime import UTC, datetime

from flask import (
    Blueprint,
    Response,
    current_app,
    jsonify,
    stream_with_context,
    url_for,
)

from mapdash import db
from mapdash.api.openapi import openapi_document
from mapdash.api.params import accepts
from mapdash.cases import ratelimit
from mapdash.errors import UserError
from mapdash.i18n import LOCAL_TZ, _l
from mapdash.maps import opendata
from mapdash.maps.public_cases import PublicCasesQuery
from mapdash.office.orgs import find_organization

bp = Blueprint("opendata", __name__, url_prefix="/api")


def _download(query: PublicCasesQuery, chunks, extension: str, mimetype: str) -> Response:
    """Check the organization, the filters and the address's download slots first (a 4xx
    before any byte is sent), then stream every matching case as an attachment named after
    the organization and today's date."""
    session = db.session()
    org = find_organization(session, query.org or current_app.config["DEFAULT_ORG"])
    if org is None:
        raise UserError("unknown_org", _l("Unknown organization"), status=404)
    case_filter = opendata.checked_filter(session, org.id, query)
    track_url = url_for("public.track", code="-", _external=True)[:-1]
    filename = f"{org.slug}-cases-{datetime.now(UTC).astimezone(LOCAL_TZ):%Y-%m-%d}.{extension}"
    slots = current_app.config["OPENDATA_DOWNLOADS_PER_ADDRESS"]
    conn = opendata.open_download(db.engine(), ratelimit.address_bucket("download"), slots)
    if conn is None:
        raise UserError("too_many_downloads", _l(
            "%(n)s downloads from your address are still running: please wait until one "
            "ends", n=slots), status=429, retry_after=30)
    body = chunks(conn, org.id, case_filter, track_url)
    response = Response(stream_with_context(body), mimetype=mimetype, headers={
        "Content-Disposition": f'attachment; filename="{filename}"'})
    response.call_on_close(conn.close)  # also when the body is never read (a HEAD request)
    return response


@bp.get("/opendata/cases.csv")
@accepts(query=PublicCasesQuery)
def cases_csv(query: PublicCasesQuery):
    """Every public case matching ?org=&type=&village=&status= as CSV (UTF-8 with a BOM)."""
    return _download(query, opendata.csv_chunks, "csv", "text/csv")


@bp.get("/opendata/cases.geojson")
@accepts(query=PublicCasesQuery)
def cases_geojson(query: PublicCasesQuery):
    """The same cases as a GeoJSON FeatureCollection."""
    return _download(query, opendata.geojson_chunks, "geojson", "application/geo+json")


@bp.get("/openapi.json")
def openapi():
    return jsonify(openapi_document())
