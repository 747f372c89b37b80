"""JSON for the citizens' pages: where a pin is, open cases nearby, the public map.

Public fields only: never a name, phone, LINE ID or case details text, never a sensitive case.
"""
from flask import Blueprint, current_app, jsonify, request, url_for

from mapdash import db
from mapdash.cases import intake
from mapdash.errors import UserError
from mapdash.i18n import _l, both, format_date
from mapdash.maps import public_cases
from mapdash.models import Organization, Village
from mapdash.office.orgs import find_organization

bp = Blueprint("citizen_api", __name__, url_prefix="/api")


def _point() -> tuple[float, float]:
    return (intake.parse_coordinate(request.args.get("lon"), "longitude", -180, 180),
            intake.parse_coordinate(request.args.get("lat"), "latitude", -90, 90))


@bp.get("/locate")
def locate():
    """?lon=&lat= → the organization and village (mu) covering the point, or outside."""
    session = db.session()
    found = intake.locate(session, *_point())
    if found is None:
        message_th, message_en = both(intake.OUTSIDE_AREA)
        return jsonify(inside=False, message_th=message_th, message_en=message_en)
    org, village = session.get(Organization, found[0]), found[1] and session.get(Village, found[1])
    return jsonify(
        inside=True,
        organization={"slug": org.slug, "name_th": org.name_th, "name_en": org.name_en},
        village={"number": village.number, "name_th": village.name_th,
                 "name_en": village.name_en} if village else None)


@bp.get("/nearby")
def nearby():
    """?type=CODE&lon=&lat= → open cases of that type within 100 m, for "already reported?"."""
    category = (request.args.get("type") or "").strip()
    if not category:
        raise UserError("missing_category", _l("Please choose the type of problem"), field="type")
    cases = intake.nearby_open_cases(db.session(), category, *_point())
    for case in cases:
        case["reported_th"] = format_date(case["created_at"], lang="th")
        case["reported_en"] = format_date(case["created_at"], lang="en")
        case["created_at"] = case["created_at"].isoformat()
        case["url"] = url_for("public.track", code=case["code"])
        photo_id = case.pop("photo_id")
        case["thumb_url"] = url_for("photos.thumb", photo_id=photo_id) if photo_id else None
    return jsonify(radius_m=intake.DUPLICATE_RADIUS_M, cases=cases)


@bp.get("/public/cases.geojson")
def public_cases_geojson():
    """?org=SLUG&type=&village=&status= → the public map's cases (newest 2,000)."""
    session = db.session()
    org = find_organization(session, request.args.get("org") or current_app.config["DEFAULT_ORG"])
    if org is None:
        raise UserError("unknown_org", _l("Unknown organization"), status=404)
    collection = public_cases.cases_geojson(session, org.id,
                                            public_cases.CaseFilter.from_args(request.args))
    response = jsonify(collection)
    response.mimetype = "application/geo+json"
    return response
