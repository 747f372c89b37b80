"""Admins: the accounts that too many failed sign-ins locked, and unlocking them."""
from datetime import UTC, datetime

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user

from mapdash import db
from mapdash.i18n import _
from mapdash.office import sign_in_throttle
from mapdash.office.auth import role_required
from mapdash.vocabulary import ROLE_LABELS

bp = Blueprint("admin_sign_in", __name__, url_prefix="/admin/sign-in")


@bp.get("/")
@role_required("admin")
def index():
    locked = sign_in_throttle.locked_accounts(db.session(), current_user.organization_id,
                                              datetime.now(UTC))
    return render_template("admin/sign_in.html", locked=locked, role_labels=ROLE_LABELS)


@bp.post("/<integer_id:user_id>/unlock")
@role_required("admin")
def unlock(user_id: int):
    user = sign_in_throttle.unlock(db.session(), current_user, user_id)
    flash(_("%(email)s may sign in again", email=user.email))
    return redirect(url_for(".index"), 303)
