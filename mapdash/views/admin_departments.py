"""Admins: each department's names, staff alerts (e-mail, LINE group) and officer in charge
(office/departments.py), all on one page."""
from typing import Annotated

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from mapdash import db
from mapdash.api.params import IntegerId, Params, Refusal, parse
from mapdash.errors import UserError
from mapdash.i18n import _, _l
from mapdash.office import departments
from mapdash.office.auth import role_required

bp = Blueprint("admin_departments", __name__, url_prefix="/admin")


class DepartmentForm(Params):
    """What a department's form sends; a field not sent stays as it is (departments.update)."""
    name_th: str | None = None
    name_en: str | None = None
    notify_email: str | None = None
    notify_line_group: str | None = None
    officer_id: Annotated[IntegerId | None, Refusal(
        "bad_officer", _l("Choose the officer in charge from the list"))] = None


def _page(status: int = 200, error: UserError | None = None, department_id: int | None = None):
    session = db.session()
    org_id = current_user.organization_id
    return render_template(
        "admin/departments.html", departments=departments.listing(session, org_id),
        officers=departments.officers(session, org_id), error=error,
        error_department=department_id, typed=request.form if error else {}), status


@bp.get("/departments/")
@role_required("admin")
def index():
    return _page()


@bp.post("/departments/<integer_id:department_id>")
# The address of the alert settings before this page (they were on /admin/notifications/).
@bp.post("/notifications/departments/<integer_id:department_id>")
@role_required("admin")
def save(department_id: int):
    session = db.session()
    try:
        form = parse(DepartmentForm, request.form)
        sent = {name: getattr(form, name) for name in departments.FIELDS if name in request.form}
        departments.update(session, current_user, department_id, sent)
    except UserError as error:
        if error.status == 404:
            raise
        session.rollback()
        return _page(error.status, error, department_id)
    flash(_("Department saved"))
    return redirect(url_for(".index") + f"#department-{department_id}", 303)
