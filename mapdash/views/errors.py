"""Every refusal answers in Thai and English with a 4xx; JSON for the API, a page otherwise."""
from flask import Flask, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from mapdash.errors import FORBIDDEN, FORM_EXPIRED, NOT_FOUND, TOO_LARGE, UserError
from mapdash.i18n import _l

_GENERIC = {
    400: _l("Bad request"),
    403: FORBIDDEN,
    404: NOT_FOUND,
    405: _l("Method not allowed"),
    413: TOO_LARGE,
    429: _l("Too many requests: wait a moment and try again"),
}


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def render_error(error: UserError):
    if _wants_json():
        return jsonify(error.as_dict()), error.status
    return render_template("error.html", error=error), error.status


def _http_error(exc: HTTPException):
    message = _GENERIC.get(exc.code or 500) or _l("Something went wrong")
    return render_error(UserError(exc.name.lower().replace(" ", "_"), message, status=exc.code))


def _csrf_error(exc: CSRFError):
    return render_error(UserError("csrf", FORM_EXPIRED, status=400))


def _refuse_nul_bytes():
    """PostgreSQL text cannot hold a NUL byte: refuse one anywhere in the request's fields as
    bad input here, instead of failing deep in a query with a 500."""
    fields = [*(request.view_args or {}).values()]
    for source in (request.args, request.form):  # the form only if it is a form body
        for name, value in source.items(multi=True):
            fields += (name, value)
    if any("\x00" in str(field) for field in fields):
        raise UserError("bad_character", _l("The request contains a character that is not allowed (NUL)"))


def init_app(app: Flask) -> None:
    app.before_request(_refuse_nul_bytes)
    app.register_error_handler(UserError, render_error)
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(HTTPException, _http_error)
