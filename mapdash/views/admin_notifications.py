"""Admins: notifications that failed, are failing or wait too long, a retry for each, what is
not set up (e-mail, LINE), and where every department's staff alerts go (e-mail, LINE group)."""
from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from mapdash import db
from mapdash.errors import UserError
from mapdash.i18n import _
from mapdash.integrations.notify import admin
from mapdash.office.auth import role_required

bp = Blueprint("admin_notifications", __name__, url_prefix="/admin/notifications")


def _page(status: int = 200, error: UserError | None = None, department_id: int | None = None,
          typed: dict | None = None):
    session = db.session()
    org_id = current_user.organization_id
    return render_template(
        "admin/notifications.html", problems=admin.problems(session, org_id),
        counts=admin.counts(session, org_id), departments=admin.departments(session, org_id),
        not_configured=admin.not_configured(current_app.config),
        error=error, error_department=department_id, typed=typed or {},
        status_labels=admin.STATUS_LABELS, kind_labels=admin.KIND_LABELS,
        channel_labels=admin.CHANNEL_LABELS), status


@bp.get("/")
@role_required("admin")
def index():
    return _page()


@bp.post("/<bigint_id:notification_id>/retry")
@role_required("admin")
def retry(notification_id):
    admin.retry(db.session(), current_user.organization_id, notification_id)
    flash(_("The message will be sent again in a few seconds"))
    return redirect(url_for(".index"), 303)


@bp.post("/departments/<integer_id:department_id>")
@role_required("admin")
def department(department_id):
    typed = {"notify_email": request.form.get("notify_email", ""),
             "notify_line_group": request.form.get("notify_line_group", "")}
    try:
        admin.set_department_alerts(db.session(), current_user, department_id,
                                    typed["notify_email"], typed["notify_line_group"])
    except UserError as error:
        if error.status == 404:
            raise
        db.session().rollback()
        return _page(400, error, department_id, typed)
    flash(_("Alert settings saved"))
    return redirect(url_for(".index") + f"#department-{department_id}", 303)
