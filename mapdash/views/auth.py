"""Staff sign-in and sign-out."""
from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user

from mapdash import db
from mapdash.i18n import _
from mapdash.office.auth import find_user, login_allowed, password_matches

bp = Blueprint("auth", __name__)

HOME_OF_ROLE = {"admin": "dispatch.index", "dispatcher": "dispatch.index",
                "officer": "dispatch.index", "crew": "crew.index"}


def _safe_next(target: str | None) -> str | None:
    """Only same-site paths: an open redirect after login is a phishing tool."""
    if not target:
        return None
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc and target.startswith("/") else None


@bp.route("/login", methods=["GET", "POST"])
def login():
    error = None
    if request.method == "POST":
        user = find_user(db.session(), request.form.get("email", ""))
        if user and password_matches(user, request.form.get("password", "")):
            if login_allowed(user):
                login_user(user)
                return redirect(_safe_next(request.args.get("next"))
                                or url_for(HOME_OF_ROLE[user.role]))
            error = (_("Demo accounts work only in development mode") if user.is_demo
                     else _("Wrong e-mail or password"))
        else:
            error = _("Wrong e-mail or password")
        return render_template("auth/login.html", error=error), 401
    if request.args.get("next") and not current_user.is_authenticated:
        error = _("Please sign in first")
    return render_template("auth/login.html", error=error)


@bp.post("/logout")
@login_required
def logout():
    logout_user()
    flash(_("You are signed out"))
    return redirect(url_for("public.home"))
