"""Admins: the organization's names, contact, emergency numbers, logo, "not fixed" window,
information requests' time limit and the crews' offline map pack (office/organization.py),
each section a form of its own on one page."""
from typing import Annotated, Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from pydantic import BeforeValidator, Field, create_model

from mapdash import db
from mapdash.api.params import OUT_OF_RANGE, Params, Refusal, Upload, parse, whole_number
from mapdash.cases.photos import process_upload
from mapdash.errors import UserError
from mapdash.field import map_pack, positions
from mapdash.i18n import _, _l
from mapdash.office import organization
from mapdash.office.auth import role_required

bp = Blueprint("admin_organization", __name__, url_prefix="/admin/organization")


class DetailsForm(Params):
    name_th: str | None = None
    name_en: str | None = None
    phone: str | None = None
    email: str | None = None
    address: str | None = None
    office_hours: str | None = None


# number_1, label_th_1, label_en_1 ... one row per emergency number (organization.py checks them).
_ROWS = range(1, organization.MAX_EMERGENCY_NUMBERS + 1)
_ROW_FIELDS: dict[str, Any] = {f"{part}_{row}": (str | None, None)
                               for row in _ROWS for part in ("number", "label_th", "label_en")}
EmergencyForm = create_model("EmergencyForm", __base__=Params, **_ROW_FIELDS)


class LogoForm(Params):
    logo: list[Upload] = []


class NotFixedForm(Params):
    not_fixed_days: Annotated[int, BeforeValidator(whole_number), Refusal(
        "bad_not_fixed_days", _l("Give a number of days from 1 to 365"))] | None = None


class InformationDaysForm(Params):
    information_days: Annotated[int, BeforeValidator(whole_number), Refusal(
        "bad_information_days", _l("Give a number of days from 1 to 90"),
        field="information_days")] | None = None


_ZOOM, _MB = map_pack.ZOOM_RANGE, map_pack.MB_RANGE


class MapPackForm(Params):
    max_zoom: Annotated[int, Field(ge=_ZOOM[0], le=_ZOOM[1]), BeforeValidator(whole_number),
                        Refusal("bad_zoom", _l("The zoom must be a whole number from %(low)s to "
                                               "%(high)s", low=_ZOOM[0], high=_ZOOM[1]))]
    max_mb: Annotated[int, Field(ge=_MB[0], le=_MB[1]), BeforeValidator(whole_number),
                      Refusal("bad_size", _l("The size must be a whole number of megabytes"),
                              field="max_mb"),
                      Refusal("bad_size", _l("The size must be from %(low)s to %(high)s MB",
                                             low=_MB[0], high=_MB[1]), when=OUT_OF_RANGE)]


def _page(section: str | None = None, error: UserError | None = None, status: int = 200):
    """The page; after a refusal, the form of `section` shows the error and what was typed."""
    org = current_user.organization
    rows = organization.emergency_rows(org)
    if section == "emergency":
        rows = [{part: request.form.get(f"{part}_{row}", "")
                 for part in ("number", "label_th", "label_en")} for row in _ROWS]
    rows += [{}] * (organization.MAX_EMERGENCY_NUMBERS - len(rows))
    return render_template("admin/organization.html", org=org, rows=rows, section=section,
                           error=error, typed=request.form if error else {},
                           pack_ranges={"zoom": _ZOOM, "mb": _MB}), status


def _refused(section: str, error: UserError):
    db.session().rollback()
    return _page(section, error, error.status)


@bp.get("/")
@role_required("admin")
def index():
    return _page()


@bp.post("/")
@role_required("admin")
def details():
    try:
        form = parse(DetailsForm, request.form)
        organization.update_details(db.session(), current_user, form.model_dump())
    except UserError as error:
        return _refused("details", error)
    flash(_("Saved"))
    return redirect(url_for(".index"), 303)


@bp.post("/emergency-numbers")
@role_required("admin")
def emergency_numbers():
    try:
        form = parse(EmergencyForm, request.form)
        values = form.model_dump()
        organization.set_emergency_numbers(db.session(), current_user, [
            {part: values[f"{part}_{row}"] for part in ("number", "label_th", "label_en")}
            for row in _ROWS])
    except UserError as error:
        return _refused("emergency", error)
    flash(_("Emergency numbers saved"))
    return redirect(url_for(".index") + "#emergency", 303)


@bp.post("/logo")
@role_required("admin")
def logo():
    try:
        form = parse(LogoForm, request.form, request.files)
        if not form.logo:
            raise UserError("no_logo", _l("Choose an image file"), field="logo")
        organization.set_logo(db.session(), current_user, process_upload(form.logo[0]))
    except UserError as error:
        return _refused("logo", error)
    flash(_("Logo saved"))
    return redirect(url_for(".index") + "#logo", 303)


@bp.post("/not-fixed-days")
@role_required("admin")
def not_fixed_days():
    try:
        form = parse(NotFixedForm, request.form)
        organization.set_not_fixed_days(db.session(), current_user, form.not_fixed_days)
    except UserError as error:
        return _refused("not_fixed", error)
    flash(_("Saved"))
    return redirect(url_for(".index") + "#not-fixed", 303)


@bp.post("/information-days")
@role_required("admin")
def information_days():
    """Within how many days information requests are answered (cases/information.py)."""
    try:
        form = parse(InformationDaysForm, request.form)
        organization.set_information_days(db.session(), current_user, form.information_days)
    except UserError as error:
        return _refused("information_days", error)
    flash(_("Saved"))
    return redirect(url_for(".index") + "#information-days", 303)


@bp.post("/crew-positions")
@role_required("admin")
def crew_positions():
    """For how many days crews' shared positions are kept (field/positions.py)."""
    try:
        form = parse(positions.RetentionForm, request.form)
        positions.set_retention(db.session(), current_user, form.crew_position_days)
    except UserError as error:
        return _refused("crew_positions", error)
    flash(_("Saved"))
    return redirect(url_for(".index") + "#crew-positions", 303)


@bp.post("/logo/remove")
@role_required("admin")
def remove_logo():
    organization.set_logo(db.session(), current_user, None)
    flash(_("Logo removed"))
    return redirect(url_for(".index") + "#logo", 303)


@bp.post("/map-pack")
@role_required("admin")
def map_pack_settings():
    try:
        form = parse(MapPackForm, request.form)
        organization.set_map_pack(db.session(), current_user, form.max_zoom, form.max_mb)
    except UserError as error:
        return _refused("map_pack", error)
    flash(_("Offline map settings saved"))
    return redirect(url_for(".index") + "#map-pack", 303)
