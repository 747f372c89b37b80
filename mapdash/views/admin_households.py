"""Admins: households at /admin/households: upload a survey file (CSV or GeoJSON), see it on
a map with every bad row listed, then confirm (households/uploads.py); print the QR sticker
sheets of a village (households/stickers.py)."""
from typing import Annotated

from flask import Blueprint, Response, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from pydantic import BeforeValidator, Field
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from mapdash import db
from mapdash.api.params import Params, Refusal, Upload, parse, whole_number
from mapdash.errors import UserError
from mapdash.households import stickers, uploads
from mapdash.i18n import _, _l
from mapdash.maps import geo, leaflet
from mapdash.models import Household, Village
from mapdash.office import pending_uploads
from mapdash.office.auth import role_required

bp = Blueprint("admin_households", __name__, url_prefix="/admin/households")


class HouseholdFile(Params):
    file: Annotated[list[Upload], Field(min_length=1, max_length=1), Refusal(
        "household_file_required", _l("Choose a CSV or GeoJSON file"))]


class Confirmation(Params):
    token: Annotated[str, Field(max_length=100), Refusal(
        "household_upload_gone", pending_uploads.GONE, status=410)]


class StickerQuery(Params):
    village: Annotated[int | None, BeforeValidator(whole_number), Field(ge=1, le=2**31 - 1),
                       Refusal("bad_village", _l("Choose a village"))] = None


def _villages() -> list[tuple[Village, int]]:
    """The organization's villages with their number of households."""
    counts = (select(Household.village_id, func.count().label("n"))
              .group_by(Household.village_id).subquery())
    return [(village, n or 0) for village, n in db.session().execute(
        select(Village, counts.c.n).outerjoin(counts, counts.c.village_id == Village.id)
        .where(Village.organization_id == current_user.organization_id)
        .order_by(Village.number))]


def _index_page(error: UserError | None = None, status: int = 200):
    return render_template("admin/households.html", villages=_villages(), error=error,
                           max_mb=uploads.MAX_BYTES // 2**20), status


@bp.get("/")
@role_required("admin")
def index():
    return _index_page()


@bp.post("/check")
@role_required("admin")
def check():
    session = db.session()
    try:
        form = parse(HouseholdFile, request.form, request.files)
        upload = form.file[0]
        checked = uploads.check_upload(session, current_user, upload.filename or "",
                                       upload.stream.read(uploads.MAX_BYTES + 1))
    except UserError as refused:
        return _index_page(refused, refused.status)
    org_id = current_user.organization_id
    preview_map = leaflet.embed(leaflet.build_map(geo.organization_center(session, org_id)))
    villages = {village.id: village for village, _count in _villages()}
    points = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [h.lon, h.lat]},
         "properties": {"house_number": h.house_number, "village": villages[h.village_id].number}}
        for h in checked.households]}
    return render_template("admin/household_preview.html", checked=checked, map=preview_map,
                           points=points, villages=villages,
                           villages_url=url_for("api.villages_geojson",
                                                org=current_user.organization.slug),
                           bounds=geo.organization_bounds(session, org_id)), \
        400 if checked.problems else 200


@bp.post("/confirm")
@role_required("admin")
def confirm():
    form = parse(Confirmation, request.form)
    stored = uploads.confirm(db.session(), current_user, form.token)
    flash(_("Households stored: %(n)s. Print their QR stickers below.", n=stored))
    return redirect(url_for(".index"), 303)


@bp.get("/stickers.pdf")
@role_required("admin")
def sticker_pdf():
    """A4 sheets of QR stickers: one village's (?village=NUMBER) or every village's."""
    session = db.session()
    query = parse(StickerQuery, request.args)
    statement = select(Household).options(joinedload(Household.village)).join(
        Household.village).where(Household.organization_id == current_user.organization_id)
    if query.village is not None:
        statement = statement.where(Village.number == query.village)
    households = list(session.scalars(statement))
    base = current_app.config.get("PUBLIC_BASE_URL") or request.host_url.rstrip("/")

    def link(qr_key: str) -> str:
        # Printed stickers last for years: the public address, not the one the admin used.
        return base + url_for("households.scan", qr_key=qr_key)

    pdf = stickers.sticker_sheets(current_user.organization, households, link)
    name = f"stickers-village-{query.village}.pdf" if query.village else "stickers.pdf"
    return Response(pdf, mimetype="application/pdf", headers={
        "Content-Disposition": f'inline; filename="{name}"', "Cache-Control": "private, no-store"})
