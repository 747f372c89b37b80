"""Photos of cases, by id: only the clean copies (no EXIF, no GPS); an upload the worker has
not cleaned yet (pending, cases/photo_processing.py) is never served.

Anyone may see the photos of a public case; photos of sensitive or rejected cases only staff
who may see the case. An organization's logo (its clean copy, office/organization.py) is
public."""
from flask import Blueprint, Response, abort, request, send_file
from flask_login import current_user

from mapdash import db
from mapdash.cases import photos
from mapdash.cases.workflow import can_see
from mapdash.models import Photo
from mapdash.office import organization

bp = Blueprint("photos", __name__, url_prefix="/photos")

_PUBLIC_MAX_AGE = 3600  # short: a case rejected later takes its photos down


def _serve(photo_id: int, thumb: bool):
    photo = db.session().get(Photo, photo_id)
    if photo is None or not photos.is_ready(photo):
        abort(404)  # a pending photo is the upload as it came, GPS and all: never served
    public = photos.is_public(photo)
    if not public and not (current_user.is_authenticated and can_see(current_user, photo.incident)):
        abort(404)  # not 403: whether such a photo exists is not for the public to learn
    response = send_file(photos.photo_path(photo, thumb=thumb), mimetype=photo.content_type,
                         max_age=_PUBLIC_MAX_AGE if public else 0, conditional=True)
    if not public:
        response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.get("/<bigint_id:photo_id>")
def photo(photo_id):
    return _serve(photo_id, thumb=False)


@bp.get("/<bigint_id:photo_id>/thumb")
def thumb(photo_id):
    return _serve(photo_id, thumb=True)


@bp.get("/logo/<integer_id:organization_id>")
def logo(organization_id):
    """Pages link it with ?v=<its SHA-256>: a new logo is a new address."""
    found = organization.logo(db.session(), organization_id)
    if found is None:
        abort(404)
    data, digest = found
    response = Response(data, mimetype=photos.STORED_TYPE)
    response.set_etag(digest)
    response.cache_control.public = True
    response.cache_control.max_age = _PUBLIC_MAX_AGE
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response.make_conditional(request)
