"""Staff intake: a request received by phone, at the counter, by letter or from Facebook,
entered by the office for the citizen through the one intake (cases/intake.py), without the
citizens' rate limit; then a receipt to print for a walk-in citizen."""
import secrets
from datetime import UTC, datetime
from typing import Annotated

from flask import Blueprint, redirect, render_template, request, url_for
from flask import session as browser
from flask_login import current_user
from pydantic import BeforeValidator, Field
from sqlalchemy import select

from mapdash import db
from mapdash.api.params import OneOf, Params, Refusal, parse, whole_number
from mapdash.cases import intake, replies
from mapdash.cases.photos import MAX_PHOTO_BYTES, MAX_PHOTOS, receive_uploads
from mapdash.cases.questions import from_form, ordered
from mapdash.errors import UserError
from mapdash.i18n import _l
from mapdash.maps import geo, leaflet
from mapdash.models import INTEGER_MAX, Category, Incident
from mapdash.office.auth import role_required
from mapdash.vocabulary import CHANNEL_LABELS, OFFICE_ROLES, STAFF_CHANNELS

bp = Blueprint("staff_intake", __name__, url_prefix="/dispatch")
FIELDS = ("channel", "village", "lat", "lon", "description", "reporter_name", "reporter_phone",
          "reporter_line_id", "reporter_email")


class StaffIntakeForm(Params):
    """The request form staff fill in; the type's questions are read as on the citizens' form
    (attribute[CODE]) and the contact, place and text are checked by the intake itself."""
    channel: Annotated[str, OneOf(STAFF_CHANNELS), Field(description="How the request came."),
                       Refusal("bad_channel", _l("Choose how the request reached the office"))]
    village: Annotated[int | None, Field(ge=1, le=INTEGER_MAX, description="Village number."),
                       BeforeValidator(whole_number),
                       Refusal("bad_village", _l("Unknown village number"))] = None
    lat: str = ""
    lon: str = ""
    description: str = ""
    reporter_name: str = ""
    reporter_phone: str = ""
    reporter_line_id: str = ""
    reporter_email: str = ""
    idempotency_key: str = ""


def _categories() -> list[Category]:
    return list(db.session().scalars(select(Category).where(
        Category.organization_id == current_user.organization_id, Category.active)
        .order_by(Category.sort_order)))


@bp.get("/intake")
@role_required(*OFFICE_ROLES)
def choose():
    """Which type of request: the form asks that type's questions."""
    return render_template("office/intake_choose.html", categories=_categories())


@bp.route("/intake/<category_code>", methods=["GET", "POST"])
@role_required(*OFFICE_ROLES)
def enter(category_code):
    session = db.session()
    category = next((c for c in _categories() if c.code == category_code), None)
    if category is None:
        raise UserError("unknown_category", _l("This organization does not take this type of report"),
                        status=404)
    values = {name: request.form.get(name, "") for name in FIELDS}
    answers = from_form(request.form)
    key = request.form.get("idempotency_key") or secrets.token_urlsafe(24)
    error = None
    if request.method == "POST":
        try:
            incident = _create(session, category, answers)
        except UserError as refused:
            error = refused
        else:
            # A walk-in citizen without e-mail or LINE answers with the code on the receipt.
            replies.keep_reply_code(browser, "receipt_reply_codes", incident.tracking_code,
                                    replies.issue_reply_code(incident))
            return redirect(url_for(".receipt", code=incident.tracking_code), 303)
    org = current_user.organization
    place_map = leaflet.embed(leaflet.build_map(geo.organization_center(session, org.id), zoom=13))
    return render_template(
        "office/intake.html", category=category, values=values, answers=answers,
        questions=ordered(category.questions), error=error, idempotency_key=key,
        channels=[(channel, CHANNEL_LABELS[channel]) for channel in STAFF_CHANNELS],
        villages=geo.map_options(session, current_user)["villages"], place_map=place_map,
        bounds=geo.organization_bounds(session, org.id), max_photos=MAX_PHOTOS,
        max_photo_mb=MAX_PHOTO_BYTES // (1024 * 1024), max_description=intake.MAX_DESCRIPTION,
        photos_sent=any(f.filename for f in request.files.getlist("photos")),
    ), error.status if error else 200


def _create(session, category: Category, answers: dict) -> Incident:
    form = parse(StaffIntakeForm, request.form)
    processed = receive_uploads(request.files.getlist("photos"))
    incident = intake.create_incident(session, intake.Report(
        # As typed: the intake reads the coordinates (Thai digits too) and refuses them.
        category_code=category.code, lon=form.lon or None, lat=form.lat or None,  # type: ignore[arg-type]
        village_number=form.village,
        description=form.description, reporter_name=form.reporter_name,
        reporter_phone=form.reporter_phone, reporter_line_id=form.reporter_line_id,
        reporter_email=form.reporter_email, channel=form.channel,
        organization_slug=current_user.organization.slug, idempotency_key=form.idempotency_key,
        attributes=answers), actor_label=current_user.display_name, photos=processed)
    if incident.organization_id != current_user.organization_id:  # a pin in another's area
        raise UserError("outside_area", intake.OUTSIDE_AREA, field="location", status=422)
    return incident


@bp.get("/receipt/<code>")
@role_required(*OFFICE_ROLES)
def receipt(code):
    """The receipt a walk-in citizen takes home: print it (A5 or A4) from the browser."""
    incident = intake.find_by_code(db.session(), code)
    if incident is None or incident.organization_id != current_user.organization_id:
        raise UserError("unknown_case", _l("No case has this code"), status=404)
    return render_template(
        "office/receipt.html", case=incident, printed_at=datetime.now(UTC),
        channel=CHANNEL_LABELS[incident.channel],
        reply_code=browser.get("receipt_reply_codes", {}).get(incident.tracking_code),
        link=url_for("public.track", code=incident.tracking_code, _external=True))
