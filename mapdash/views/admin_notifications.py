"""Admins: notifications that failed, are failing or wait too long, a retry for each, what is
not set up (e-mail, LINE), and where every department's staff alerts go (set on the
departments page, admin_departments.py)."""
from flask import Blueprint, current_app, flash, redirect, render_template, url_for
from flask_login import current_user

from mapdash import db
from mapdash.i18n import _
from mapdash.integrations.notify import admin
from mapdash.office import departments
from mapdash.office.auth import role_required

bp = Blueprint("admin_notifications", __name__, url_prefix="/admin/notifications")


@bp.get("/")
@role_required("admin")
def index():
    session = db.session()
    org_id = current_user.organization_id
    return render_template(
        "admin/notifications.html", problems=admin.problems(session, org_id),
        counts=admin.counts(session, org_id), departments=departments.listing(session, org_id),
        not_configured=admin.not_configured(current_app.config),
        status_labels=admin.STATUS_LABELS, kind_labels=admin.KIND_LABELS,
        channel_labels=admin.CHANNEL_LABELS)


@bp.post("/<bigint_id:notification_id>/retry")
@role_required("admin")
def retry(notification_id):
    admin.retry(db.session(), current_user.organization_id, notification_id)
    flash(_("The message will be sent again in a few seconds"))
    return redirect(url_for(".index"), 303)
