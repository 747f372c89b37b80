"""The administrator's pages at /admin: an index of sections, and the Open311 API keys.

A new key is shown once, on the page that answers the form (never stored in the session,
never shown again); only its SHA-256 is kept (apikeys.py)."""
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from mapdash import db
from mapdash.api.params import PageNumber, Params, accepts
from mapdash.errors import UserError
from mapdash.i18n import _
from mapdash.office import apikeys, changes
from mapdash.office.auth import role_required

bp = Blueprint("admin", __name__, url_prefix="/admin")


class ChangesPage(Params):
    page: PageNumber = 1


@bp.get("/")
@role_required("admin")
def index():
    return render_template("admin/index.html")


def _keys_page(new_key: str | None = None, error: UserError | None = None, status: int = 200):
    keys = apikeys.list_keys(db.session(), current_user.organization_id)
    return render_template("admin/api_keys.html", keys=keys, new_key=new_key, error=error,
                           name=request.form.get("name", "")), status


@bp.get("/api-keys")
@role_required("admin")
def api_keys():
    return _keys_page()


@bp.post("/api-keys")
@role_required("admin")
def create_api_key():
    try:
        _row, key = apikeys.create_key(db.session(), request.form.get("name", ""),
                                       current_user.organization, actor=current_user)
    except UserError as refused:
        return _keys_page(error=refused, status=refused.status)
    response = _keys_page(new_key=key)
    return response[0], 200, {"Cache-Control": "no-store"}


@bp.post("/api-keys/revoke")
@role_required("admin")
def revoke_api_key():
    row = apikeys.revoke_key(db.session(), request.form.get("name", ""),
                             current_user.organization_id, actor=current_user)
    flash(_("Key \"%(name)s\" revoked", name=row.name))
    return redirect(url_for(".api_keys"), 303)


@bp.get("/changes")
@role_required("admin")
@accepts(query=ChangesPage)
def changes_page(query: ChangesPage):
    """Every change made on the admin pages, newest first (office/changes.py)."""
    rows, more = changes.recent(db.session(), current_user.organization_id, query.page)
    return render_template("admin/changes.html", rows=rows, more=more, page=query.page,
                           subjects=changes.SUBJECTS, actions=changes.ACTIONS)
