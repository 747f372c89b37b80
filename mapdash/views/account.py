"""A staff member chooses their password with the one-time link an administrator made
(office/password_links.py); then they sign in as usual."""
from datetime import UTC, datetime
from typing import Annotated

from flask import Blueprint, flash, redirect, render_template, request, url_for

from mapdash import db
from mapdash.api.params import Params, Refusal, parse
from mapdash.errors import UserError
from mapdash.i18n import _, _l
from mapdash.office import password_links
from mapdash.office.auth import MIN_PASSWORD_LENGTH

bp = Blueprint("account", __name__, url_prefix="/account")
# The link is a secret: never cached (other sites never see it: security.py's Referrer-Policy).
PRIVATE = {"Cache-Control": "no-store"}
MAX_TOKEN = 300  # far longer than any link made here


class PasswordForm(Params):
    password: Annotated[str, Refusal("weak_password", _l("Choose a password"))]
    password_again: Annotated[str, Refusal("passwords_differ", _l("Type the same password twice"))]


def _link(token: str):
    if len(token) > MAX_TOKEN:
        raise UserError("dead_password_link", password_links.DEAD_LINK, status=410)
    return password_links.open_link(db.session(), token, datetime.now(UTC))


@bp.get("/set-password/<token>")
def set_password(token: str):
    """Opening the link shows the form and changes nothing (link previews open it too)."""
    link = _link(token)
    return render_template("account/set_password.html", user=link.user,
                           expires_at=link.expires_at, min_length=MIN_PASSWORD_LENGTH), 200, PRIVATE


@bp.post("/set-password/<token>")
def choose_password(token: str):
    session = db.session()
    link = _link(token)
    try:
        form = parse(PasswordForm, request.form)
        if form.password != form.password_again:
            raise UserError("passwords_differ", _l("Type the same password twice"),
                            field="password_again")
        user = password_links.use(session, token, form.password, datetime.now(UTC))
    except UserError as error:
        if error.status == 410:
            raise
        session.rollback()
        return render_template("account/set_password.html", user=link.user, error=error,
                               expires_at=link.expires_at, min_length=MIN_PASSWORD_LENGTH), \
            error.status, PRIVATE
    flash(_("Your password is set: sign in with it now"))
    return redirect(url_for("auth.login", email=user.email), 303)
