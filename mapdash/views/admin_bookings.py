"""Admins: the bookable resources and the closed days of appointments and bookings
(office/booking_setup.py)."""
from datetime import UTC, datetime

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from mapdash import db
from mapdash.errors import UserError
from mapdash.i18n import _, _l
from mapdash.office import booking_setup
from mapdash.office.auth import role_required
from mapdash.services import slots

bp = Blueprint("admin_bookings", __name__, url_prefix="/admin")


def _resources_page(status: int = 200, error: UserError | None = None,
                    failed: int | str | None = None):
    session = db.session()
    org_id = current_user.organization_id
    return render_template(
        "admin/booking_resources.html", WEEKDAY_NAMES=[str(n) for n in slots.WEEKDAYS_LONG],
        resources=booking_setup.resources(session, org_id),
        types=booking_setup.appointment_types(session, org_id),
        offered=booking_setup.offered_by(session, org_id), error=error, failed=failed,
        typed=request.form if error else {}, typed_types=request.form.getlist("types") if error
        else []), status


def _type_ids() -> list[int]:
    raw = request.form.getlist("types")
    if any(not value.isdecimal() or len(value) > 9 for value in raw):
        raise UserError("bad_type", _l("Choose case types of the kind \"appointment\""),
                        field="types")
    return [int(value) for value in raw]


@bp.get("/bookings/")
@role_required("admin")
def resources():
    return _resources_page()


@bp.post("/bookings/new")
@bp.post("/bookings/<integer_id:resource_id>")
@role_required("admin")
def save_resource(resource_id: int | None = None):
    session = db.session()
    try:
        resource = booking_setup.save_resource(session, current_user, resource_id,
                                               request.form.to_dict(), _type_ids())
    except UserError as error:
        if error.status == 404:
            raise
        session.rollback()
        return _resources_page(error.status, error, resource_id or "new")
    flash(_("Resource saved"))
    return redirect(url_for(".resources") + f"#resource-{resource.id}", 303)


def _closed_page(status: int = 200, error: UserError | None = None):
    session = db.session()
    since = slots.today(datetime.now(UTC))
    return render_template(
        "admin/closed_days.html",
        days=booking_setup.closed_days(session, current_user.organization_id, since),
        error=error, typed=request.form.get("days", "") if error else ""), status


@bp.get("/closed-days/")
@role_required("admin")
def closed_days():
    return _closed_page()


@bp.post("/closed-days/")
@role_required("admin")
def add_closed_days():
    session = db.session()
    try:
        added = booking_setup.add_closed_days(session, current_user, request.form.get("days", ""))
    except UserError as error:
        session.rollback()
        return _closed_page(error.status, error)
    flash(_("%(n)s closed day(s) saved", n=len(added)))
    return redirect(url_for(".closed_days"), 303)


@bp.post("/closed-days/<integer_id:closed_id>/remove")
@role_required("admin")
def remove_closed_day(closed_id: int):
    booking_setup.remove_closed_day(db.session(), current_user, closed_id)
    flash(_("Closed day removed"))
    return redirect(url_for(".closed_days"), 303)
