"""Admins: village boundaries at /admin/villages: upload a file, see it on a map with each
bad feature listed, then confirm (office/village_uploads.py)."""
from typing import Annotated

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from pydantic import Field
from sqlalchemy import select

from mapdash import db
from mapdash.api.params import OneOf, Params, Refusal, Upload, parse
from mapdash.errors import UserError
from mapdash.i18n import _, _l
from mapdash.maps import geo, leaflet
from mapdash.models import Village
from mapdash.office import pending_uploads, village_uploads
from mapdash.office.auth import role_required

bp = Blueprint("admin_villages", __name__, url_prefix="/admin/villages")

# The coordinate systems of Thai village files that do not name theirs (a Shapefile without
# .prj): WGS 84, UTM 47N/48N on WGS 84 and on Indian 1975.
CRS_CHOICES = ("EPSG:4326", "EPSG:32647", "EPSG:32648", "EPSG:24047", "EPSG:24048")


class VillageFile(Params):
    file: Annotated[list[Upload], Field(min_length=1, max_length=1), Refusal(
        "village_file_required", _l("Choose a GeoJSON file or a zipped Shapefile"))]
    crs: Annotated[str | None, OneOf(CRS_CHOICES), Refusal(
        "bad_crs", _l("Choose one of the coordinate systems listed"))] = None


class Confirmation(Params):
    token: Annotated[str, Field(max_length=100), Refusal(
        "village_upload_gone", pending_uploads.GONE, status=410)]
    update_boundary: bool = False


def _villages() -> list[Village]:
    return list(db.session().scalars(select(Village).where(
        Village.organization_id == current_user.organization_id).order_by(Village.number)))


def _index_page(error: UserError | None = None, status: int = 200):
    return render_template("admin/villages.html", villages=_villages(), error=error,
                           crs_choices=CRS_CHOICES, crs=request.form.get("crs", ""),
                           max_mb=current_app.config["VILLAGE_UPLOAD_BYTES"] // 2**20), status


@bp.get("/")
@role_required("admin")
def index():
    return _index_page()


@bp.post("/check")
@role_required("admin")
def check():
    session = db.session()
    try:
        form = parse(VillageFile, request.form, request.files)
        upload = form.file[0]
        limit = current_app.config["VILLAGE_UPLOAD_BYTES"]
        checked = village_uploads.check_upload(session, current_user, upload.filename or "",
                                               upload.stream.read(limit + 1), form.crs, limit)
    except UserError as refused:
        return _index_page(refused, refused.status)
    org_id = current_user.organization_id
    preview_map = leaflet.embed(leaflet.build_map(geo.organization_center(session, org_id)))
    return render_template("admin/village_preview.html", checked=checked, map=preview_map,
                           existing={v.number for v in _villages()}), \
        400 if checked.problems else 200


@bp.post("/confirm")
@role_required("admin")
def confirm():
    form = parse(Confirmation, request.form)
    result = village_uploads.confirm(db.session(), current_user, form.token, form.update_boundary)
    flash(_("Villages stored: %(created)s new, %(updated)s changed; %(relocated)s cases placed "
            "in their village again", **result))
    return redirect(url_for(".index"), 303)
