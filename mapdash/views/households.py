"""Households: the sticker's link /h/<qr_key> that presets the citizen's household, and the
staff's household map (add, move, renumber, delete) with the GeoJSON layer the dispatcher's
map shows too. Import and sticker sheets are the admin's: views/admin_households.py."""
from typing import Annotated

from flask import Blueprint, current_app, jsonify, redirect, render_template, request, url_for
from flask_login import current_user
from pydantic import BeforeValidator, Field

from mapdash import db
from mapdash.api.params import Latitude, Longitude, Params, Refusal, parse, whole_number
from mapdash.errors import UserError
from mapdash.households import layer, preset, register
from mapdash.i18n import _l
from mapdash.maps import geo, leaflet
from mapdash.maps.map_filters import BBox
from mapdash.models import Household, Organization
from mapdash.office.auth import json_role_required, role_required
from mapdash.vocabulary import OFFICE_ROLES

bp = Blueprint("households", __name__)

# Who keeps the household register on the map; every office role sees the layer.
EDITOR_ROLES = ("admin", "dispatcher")


def _home(organization: Organization):
    org = None if organization.slug == current_app.config["DEFAULT_ORG"] else organization.slug
    return url_for("public.home", org=org)


@bp.get("/h/<qr_key>")
def scan(qr_key):
    """A scanned sticker: remember its household in this browser, open the home page."""
    household = preset.find_by_key(db.session(), qr_key)
    if household is None:
        raise UserError("unknown_household_code", _l(
            "This QR code is not known here: the sticker may have been replaced. Choose a "
            "service on the home page; staff can print you a new sticker"), status=404)
    preset.remember(household)
    organization = db.session().get(Organization, household.organization_id)
    assert organization is not None
    return redirect(_home(organization), 303)


@bp.post("/h/clear")
def clear():
    """"Not my house": forget the scanned household; back to the page it was cleared on."""
    preset.forget()
    back = request.form.get("next") or ""
    # Only a path of this site: never an open redirect.
    return redirect(back if back.startswith("/") and not back.startswith("//") else
                    url_for("public.home"), 303)


class LayerQuery(Params):
    bbox: BBox | None = None
    village: Annotated[int | None, BeforeValidator(whole_number), Field(ge=1, le=2**31 - 1), Refusal(
        "bad_village", _l("'village' must be a village number"))] = None


class HouseholdForm(Params):
    house_number: Annotated[str | None, Field(max_length=200)] = None
    lon: Longitude | None = None
    lat: Latitude | None = None


@bp.get("/households/layer.geojson")
@json_role_required(*OFFICE_ROLES)
def layer_geojson():
    """The organization's households within bbox=WEST,SOUTH,EAST,NORTH (optional), or of
    one village (village=NUMBER): at most layer.MAX_FEATURES, `capped` when more matched."""
    query = parse(LayerQuery, request.args)
    response = jsonify(layer.households_geojson(db.session(), current_user.organization_id,
                                                query.bbox, query.village))
    response.mimetype = "application/geo+json"
    response.headers["Cache-Control"] = "private, no-cache"
    return response


@bp.get("/households/")
@role_required(*EDITOR_ROLES)
def editor():
    session = db.session()
    org_id = current_user.organization_id
    fmap = leaflet.build_map(geo.organization_center(session, org_id), zoom=13)
    urls = {"layer": url_for(".layer_geojson"), "add": url_for(".add"),
            "villages": url_for("api.villages_geojson", org=current_user.organization.slug),
            "change": url_for(".change", household_id=0), "delete": url_for(".delete", household_id=0)}
    return render_template("households/editor.html", map=leaflet.embed(fmap),
                           bounds=geo.organization_bounds(session, org_id), urls=urls,
                           count=session.query(Household).filter_by(organization_id=org_id).count())


def _feature(household: Household) -> dict:
    lon, lat = register.coordinates(household)
    village = household.village
    return {"type": "Feature", "id": household.id,
            "geometry": {"type": "Point", "coordinates": [lon, lat]},
            "properties": {"house_number": household.house_number, "village": village.number,
                           "village_th": village.name_th, "village_en": village.name_en}}


def _form() -> HouseholdForm:
    return parse(HouseholdForm, request.form)


@bp.post("/households/")
@json_role_required(*EDITOR_ROLES)
def add():
    form = _form()
    if form.lon is None or form.lat is None:
        raise UserError("location_missing", _l("Place the house on the map"), field="location")
    household = register.add(db.session(), current_user, form.house_number or "", form.lon,
                             form.lat)
    return jsonify(_feature(household)), 201


@bp.post("/households/<integer_id:household_id>")
@json_role_required(*EDITOR_ROLES)
def change(household_id):
    form = _form()
    household = register.change(db.session(), current_user, household_id,
                                house_number=form.house_number, lon=form.lon, lat=form.lat)
    return jsonify(_feature(household))


@bp.post("/households/<integer_id:household_id>/delete")
@json_role_required(*EDITOR_ROLES)
def delete(household_id):
    register.delete(db.session(), current_user, household_id)
    return jsonify({"deleted": household_id})


def preset_for_page(organization_id: int | None = None) -> Household | None:
    """preset_household(org.id) in templates: the scanned household, for a form to start from
    (the problem report's pin; a fee payment's household)."""
    return preset.preset_household(db.session(), organization_id)
