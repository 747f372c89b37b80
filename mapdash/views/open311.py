"""Open311 GeoReport v2 at /open311/v2/, as .xml (the spec's required format) or .json.

No CSRF token here: nothing is read from a session cookie, and filing a request needs the
api_key instead. Every refusal has the spec's shape, a list of {code, description}, with
400, 403 or 404, whatever was sent; 409 and 429 when a POST is refused for its key, and 503
(with Retry-After) while the database is down, so a client retries instead of dropping it.
"""
from datetime import UTC, datetime
from functools import wraps

from flask import Blueprint, current_app, request, url_for
from werkzeug.exceptions import HTTPException

from mapdash import db
from mapdash.api.params import accepts, parse
from mapdash.cases import ratelimit
from mapdash.errors import UserError
from mapdash.extensions import csrf
from mapdash.i18n import _l
from mapdash.integrations.open311 import render, requests, resends, services
from mapdash.office import apikeys
from mapdash.views import errors

bp = Blueprint("open311", __name__, url_prefix="/open311/v2")
# The statuses a refusal keeps; any other 4xx is answered as the spec's 400.
ANSWERED_STATUSES = (403, 404, 409, 429, 503)
csrf.exempt(bp)

# Service definitions change only with a deployment (catalog.py, sql/): so does the changeset.
_CHANGESET = datetime.now(UTC).replace(microsecond=0)


class _BadFormat(UserError):
    def __init__(self):
        super().__init__("bad_format", _l("The format must be .xml or .json"))


def _format() -> str:
    fmt = (request.view_args or {}).get("fmt") or request.path.rsplit(".", 1)[-1]
    return fmt if fmt in render.FORMATS else "xml"


@bp.errorhandler(UserError)
def _user_error(error: UserError):
    status = error.status if error.status in ANSWERED_STATUSES else 400
    response = render.errors(_format(), status, [f"{error.message_en} / {error.message_th}"])
    response.headers.update(error.headers())
    return response


@bp.errorhandler(HTTPException)
def _http_error(error: HTTPException):
    # A crash is a 500, never a 400: a client must not drop a request it should retry.
    code = error.code or 500
    status = code if code in ANSWERED_STATUSES or code >= 500 else 400
    return render.errors(_format(), status, [error.description or error.name])


def _database_error(error: Exception):
    return _user_error(errors.database_unavailable(error))


for _kind in db.DATABASE_ERRORS:
    bp.register_error_handler(_kind, _database_error)


@bp.url_value_preprocessor
def _check_format(endpoint, values):
    """.xml or .json, before anything else of the request is looked at."""
    if values and "fmt" in values and values["fmt"] not in render.FORMATS:
        raise _BadFormat()


def _org(query: services.JurisdictionQuery):
    return services.jurisdiction(db.session(), query.jurisdiction_id)


def _photo_url(photo_id: int) -> str:
    return url_for("photos.photo", photo_id=photo_id, _external=True)


def _with_api_key(view):
    """The api_key before the form: a client without a valid key learns nothing else (403);
    then the key's rate limit (429), before any other work."""
    @wraps(view)
    def wrapped(*args, **kwargs):
        sent = parse(requests.ApiKeyForm, request.form).api_key
        kwargs["key"] = apikeys.valid_key(db.session(), sent)
        if kwargs["key"] is None:
            raise requests.ApiKeyForm.refuse("api_key")
        ratelimit.hit_api_key(kwargs["key"].id)
        return view(*args, **kwargs)
    return wrapped


@bp.get("/discovery.<fmt>")
def discovery(fmt):
    return render.respond(fmt, "discovery", services.discovery(
        db.session(), url_for(".discovery", fmt="xml", _external=True).rsplit("/", 1)[0],
        _CHANGESET))


@bp.get("/services.<fmt>")
@accepts(query=services.Open311Query)
def service_list(fmt, query: services.Open311Query):
    return render.respond(fmt, "services", services.service_list(db.session(), _org(query)))


@bp.get("/services/<code>.<fmt>")
@accepts(query=services.Open311Query)
def service_definition(code, fmt, query: services.Open311Query):
    category = services.find_service(db.session(), _org(query), code)
    return render.respond(fmt, "service_definition", services.definition(category))


@bp.post("/requests.<fmt>")
@_with_api_key
@accepts(form=requests.NewRequestForm, headers=resends.ResendHeaders)
def create_request(fmt, key, form: requests.NewRequestForm, headers: resends.ResendHeaders):
    session = db.session()
    org = services.jurisdiction(session, form.jurisdiction_id) if form.jurisdiction_id \
        else key.organization
    claim = resends.claim(session, key, headers.idempotency_key,
                          resends.form_digest(request.form),
                          current_app.config["OPEN311_SAME_REQUEST_MINUTES"])
    if claim.earlier is not None:  # sent again: the first request's answer
        return render.respond(fmt, "service_requests", requests.filed(claim.earlier))
    incident = requests.file_request(session, org, key, form)
    resends.filed(session, claim, incident)
    return render.respond(fmt, "service_requests", requests.filed(incident))


@bp.get("/requests.<fmt>")
@accepts(query=requests.RequestQuery)
def request_list(fmt, query: requests.RequestQuery):
    return render.respond(fmt, "service_requests",
                          requests.find_requests(db.session(), _org(query), query, _photo_url))


@bp.get("/requests/<code>.<fmt>")
@accepts(query=services.Open311Query)
def request_detail(code, fmt, query: services.Open311Query):
    return render.respond(fmt, "service_requests",
                          requests.get_request(db.session(), _org(query), code, _photo_url))


@bp.get("/tokens/<token>.<fmt>")
@accepts(query=services.JurisdictionQuery)
def token(token, fmt, query: services.JurisdictionQuery):
    return render.respond(fmt, "service_requests",
                          requests.token_request(db.session(), _org(query), token))


@bp.route("/", defaults={"rest": ""}, methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
@bp.route("/<path:rest>", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
def unknown(rest):
    raise UserError("unknown_endpoint", _l("No such endpoint: see discovery.xml"), status=404)
