"""Open311 GeoReport v2 at /open311/v2/, as .xml (the spec's required format) or .json.

No CSRF token here: nothing is read from a session cookie, and filing a request needs the
api_key instead. Every refusal has the spec's shape, a list of {code, description}, with
400, 403 or 404, whatever was sent.
"""
from datetime import UTC, datetime

from flask import Blueprint, request, url_for
from werkzeug.exceptions import HTTPException

from mapdash import db
from mapdash.errors import UserError
from mapdash.extensions import csrf
from mapdash.i18n import _l
from mapdash.integrations.open311 import render, requests, services
from mapdash.office import apikeys

bp = Blueprint("open311", __name__, url_prefix="/open311/v2")
csrf.exempt(bp)

# Service definitions change only with a deployment (catalog.py, sql/): so does the changeset.
_CHANGESET = datetime.now(UTC).replace(microsecond=0)


class _BadFormat(UserError):
    def __init__(self):
        super().__init__("bad_format", _l("The format must be .xml or .json"))


def _format() -> str:
    fmt = (request.view_args or {}).get("fmt") or request.path.rsplit(".", 1)[-1]
    return fmt if fmt in render.FORMATS else "xml"


def _checked(fmt: str) -> str:
    if fmt not in render.FORMATS:
        raise _BadFormat()
    return fmt


@bp.errorhandler(UserError)
def _user_error(error: UserError):
    status = error.status if error.status in (403, 404) else 400
    return render.errors(_format(), status, [f"{error.message_en} / {error.message_th}"])


@bp.errorhandler(HTTPException)
def _http_error(error: HTTPException):
    status = error.code if error.code in (403, 404) else 400
    return render.errors(_format(), status, [error.description or error.name])


def _org():
    return services.jurisdiction(db.session(), request.values.get("jurisdiction_id"))


def _photo_url(photo_id: int) -> str:
    return url_for("photos.photo", photo_id=photo_id, _external=True)


@bp.get("/discovery.<fmt>")
def discovery(fmt):
    return render.respond(_checked(fmt), "discovery", services.discovery(
        db.session(), url_for(".discovery", fmt="xml", _external=True).rsplit("/", 1)[0],
        _CHANGESET))


@bp.get("/services.<fmt>")
def service_list(fmt):
    fmt = _checked(fmt)
    return render.respond(fmt, "services", services.service_list(db.session(), _org()))


@bp.get("/services/<code>.<fmt>")
def service_definition(code, fmt):
    fmt = _checked(fmt)
    category = services.find_service(db.session(), _org(), code)
    return render.respond(fmt, "service_definition", services.definition(category))


@bp.post("/requests.<fmt>")
def create_request(fmt):
    fmt = _checked(fmt)
    session = db.session()
    key = apikeys.valid_key(session, request.form.get("api_key"))
    if key is None:
        raise UserError("bad_api_key", _l("api_key is missing, invalid or revoked"), status=403)
    jurisdiction_id = request.form.get("jurisdiction_id") or key.organization.slug
    org = services.jurisdiction(session, jurisdiction_id)
    incident = requests.file_request(session, org, key, request.form)
    return render.respond(fmt, "service_requests", requests.filed(incident))


@bp.get("/requests.<fmt>")
def request_list(fmt):
    fmt = _checked(fmt)
    query = requests.RequestQuery.from_args(request.args, datetime.now(UTC))
    return render.respond(fmt, "service_requests",
                          requests.find_requests(db.session(), _org(), query, _photo_url))


@bp.get("/requests/<code>.<fmt>")
def request_detail(code, fmt):
    fmt = _checked(fmt)
    return render.respond(fmt, "service_requests",
                          requests.get_request(db.session(), _org(), code, _photo_url))


@bp.get("/tokens/<token>.<fmt>")
def token(token, fmt):
    fmt = _checked(fmt)
    return render.respond(fmt, "service_requests",
                          requests.token_request(db.session(), _org(), token))


@bp.route("/", defaults={"rest": ""}, methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
@bp.route("/<path:rest>", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
def unknown(rest):
    raise UserError("unknown_endpoint", _l("No such endpoint: see discovery.xml"), status=404)
