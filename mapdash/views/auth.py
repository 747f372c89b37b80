"""Staff sign-in (throttled) and sign-out (of every session of the account)."""
from datetime import UTC, datetime
from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from mapdash import db
from mapdash.errors import UserError
from mapdash.i18n import _
from mapdash.office.auth import begin_session, check_sign_in, sign_out

bp = Blueprint("auth", __name__)

HOME_OF_ROLE = {"admin": "dispatch.index", "dispatcher": "dispatch.index",
                "officer": "dispatch.index", "crew": "crew.index",
                "executive": "stats.index"}


def _safe_next(target: str | None) -> str | None:
    """Only same-site paths: an open redirect after login is a phishing tool."""
    if not target:
        return None
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc and target.startswith("/") else None


@bp.route("/login", methods=["GET", "POST"])
def login():
    if request.method == "POST":
        now = datetime.now(UTC)
        try:
            user = check_sign_in(db.session(), request.form.get("email", ""),
                                 request.form.get("password", ""), request.remote_addr or "unknown",
                                 now)
        except UserError as refused:
            page = render_template("auth/login.html", error=refused)
            return page, refused.status, refused.headers()
        begin_session(user, now)
        return redirect(_safe_next(request.args.get("next")) or url_for(HOME_OF_ROLE[user.role]))
    notice = _("Please sign in first") if request.args.get("next") and \
        not current_user.is_authenticated else None
    return render_template("auth/login.html", notice=notice)


@bp.post("/logout")
@login_required
def logout():
    sign_out()
    flash(_("You are signed out"))
    return redirect(url_for("public.home"))
