"""JSON for the citizens' pages: where a pin is, open cases nearby, the public map.

Public fields only: never a name, phone, LINE ID or case details text, never a sensitive case.
"""
from typing import Annotated

from flask import Blueprint, current_app, jsonify, url_for
from pydantic import Field

from mapdash import db
from mapdash.api.params import Latitude, Longitude, Params, Refusal, accepts
from mapdash.cases import intake
from mapdash.errors import UserError
from mapdash.i18n import _l, both, format_date
from mapdash.maps import public_cases
from mapdash.maps.public_cases import PublicCasesQuery
from mapdash.models import Organization, Village
from mapdash.office.orgs import find_organization

bp = Blueprint("citizen_api", __name__, url_prefix="/api")


class PointQuery(Params):
    lon: Longitude
    lat: Latitude


class NearbyQuery(Params):
    category: Annotated[str, Field(alias="type", description="Case type code."),
                        Refusal("missing_category", _l("Please choose the type of problem"))]
    lon: Longitude
    lat: Latitude


@bp.get("/locate")
@accepts(query=PointQuery)
def locate(query: PointQuery):
    """?lon=&lat= → the organization and village (mu) covering the point, or outside."""
    session = db.session()
    found = intake.locate(session, query.lon, query.lat)
    if found is None:
        message_th, message_en = both(intake.OUTSIDE_AREA)
        return jsonify(inside=False, message_th=message_th, message_en=message_en)
    org = session.get_one(Organization, found[0])
    village = session.get(Village, found[1]) if found[1] else None
    return jsonify(
        inside=True,
        organization={"slug": org.slug, "name_th": org.name_th, "name_en": org.name_en},
        village={"number": village.number, "name_th": village.name_th,
                 "name_en": village.name_en} if village else None)


@bp.get("/nearby")
@accepts(query=NearbyQuery)
def nearby(query: NearbyQuery):
    """?type=CODE&lon=&lat= → open cases of that type within 100 m, for "already reported?"."""
    cases = intake.nearby_open_cases(db.session(), query.category, query.lon, query.lat)
    for case in cases:
        case["reported_th"] = format_date(case["created_at"], lang="th")
        case["reported_en"] = format_date(case["created_at"], lang="en")
        case["created_at"] = case["created_at"].isoformat()
        case["url"] = url_for("public.track", code=case["code"])
        photo_id = case.pop("photo_id")
        case["thumb_url"] = url_for("photos.thumb", photo_id=photo_id) if photo_id else None
    return jsonify(radius_m=intake.DUPLICATE_RADIUS_M, cases=cases)


@bp.get("/public/cases.geojson")
@accepts(query=PublicCasesQuery)
def public_cases_geojson(query: PublicCasesQuery):
    """?org=SLUG&type=&village=&status= → the public map's cases (newest 2,000)."""
    session = db.read_session()  # a standby's, when there is one
    org = find_organization(session, query.org or current_app.config["DEFAULT_ORG"])
    if org is None:
        raise UserError("unknown_org", _l("Unknown organization"), status=404)
    collection = public_cases.cases_geojson(session, org.id, query)
    response = jsonify(collection)
    response.mimetype = "application/geo+json"
    return response
