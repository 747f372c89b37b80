"""Every refusal answers in Thai and English with a 4xx; JSON for the API, a page otherwise.
A database outage answers the same way with 503 and Retry-After."""
from flask import Flask, current_app, g, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from mapdash import db
from mapdash.errors import (
    DATABASE_UNAVAILABLE,
    FORBIDDEN,
    FORM_EXPIRED,
    NOT_FOUND,
    TOO_LARGE,
    UserError,
)
from mapdash.extensions import login_manager
from mapdash.i18n import _l

# Seconds a client is asked to wait during a database outage: a PostgreSQL restart or
# failover takes seconds; a person pressing reload sooner loses nothing either.
OUTAGE_RETRY_AFTER = 30

_GENERIC = {
    400: _l("Bad request"),
    403: FORBIDDEN,
    404: NOT_FOUND,
    405: _l("Method not allowed"),
    413: TOO_LARGE,
    429: _l("Too many requests: wait a moment and try again"),
}


def _wants_json() -> bool:
    """The API, a JSON endpoint elsewhere (auth.json_role_required), or a client asking."""
    view = current_app.view_functions.get(request.endpoint or "")
    return (request.path.startswith("/api/") or getattr(view, "answers_json", False)
            or request.accept_mimetypes.best == "application/json")


def render_error(error: UserError):
    if _wants_json():
        response = jsonify(error.as_dict())
    else:
        response = current_app.make_response(render_template("error.html", error=error))
    response.status_code = error.status
    response.headers.update(error.headers())
    return response


def _http_error(exc: HTTPException):
    message = _GENERIC.get(exc.code or 500) or _l("Something went wrong")
    return render_error(UserError(exc.name.lower().replace(" ", "_"), message, status=exc.code))


def _csrf_error(exc: CSRFError):
    return render_error(UserError("csrf", FORM_EXPIRED, status=400))


def database_unavailable(error: Exception) -> UserError:
    """The answer to a database outage (503, try again shortly). Any other database error is
    a bug and stays a 500: it is raised again, to Flask's handling of a crash."""
    if not db.is_outage(error):
        raise error
    current_app.logger.warning("database unavailable: %s", str(error).splitlines()[0])
    return UserError("database_unavailable", DATABASE_UNAVAILABLE, status=503,
                     retry_after=OUTAGE_RETRY_AFTER)


def _database_error(error: Exception):
    refusal = database_unavailable(error)
    # The page must not ask the database who is signed in (the header shows it).
    g._login_user = login_manager.anonymous_user()
    return render_error(refusal)


def _refuse_malformed_fields():
    """Refuse here, as bad input, what would fail deeper with a 500: a NUL byte anywhere in the
    request's fields (PostgreSQL text cannot hold one), or a form part without a name (the
    CSRF check cannot read such a form)."""
    if None in request.form or None in request.files:
        raise UserError("bad_form", _l("The form is invalid: reload the page and try again"))
    fields = [*(request.view_args or {}).values()]
    for source in (request.args, request.form):  # the form only if it is a form body
        for name, value in source.items(multi=True):
            fields += (name, value)
    if any("\x00" in str(field) for field in fields):
        raise UserError("bad_character", _l("The request contains a character that is not allowed (NUL)"))


def init_app(app: Flask) -> None:
    # First of all, before CSRFProtect's check of the form.
    app.before_request_funcs.setdefault(None, []).insert(0, _refuse_malformed_fields)
    app.register_error_handler(UserError, render_error)
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(HTTPException, _http_error)
    for kind in db.DATABASE_ERRORS:
        app.register_error_handler(kind, _database_error)
