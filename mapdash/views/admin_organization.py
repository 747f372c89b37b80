"""Admins: the organization's names, contact, emergency numbers and logo
(office/organization.py), each section a form of its own on one page."""
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from pydantic import create_model

from mapdash import db
from mapdash.api.params import Params, Upload, parse
from mapdash.cases.photos import process_upload
from mapdash.errors import UserError
from mapdash.field import positions
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


def _page(section: str | None = None, error: UserError | None = None, status: int = 200):
    """The page; after a refusal, the form of `section` shows the error and what was typed."""
    org = current_user.organization
    rows = organization.emergency_rows(org)
    if section == "emergency":
        rows = [{part: request.form.get(f"{part}_{row}", "")
                 for part in ("number", "label_th", "label_en")} for row in _ROWS]
    rows += [{}] * (organization.MAX_EMERGENCY_NUMBERS - len(rows))
    return render_template("admin/organization.html", org=org, rows=rows, section=section,
                           error=error, typed=request.form if error else {}), status


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
