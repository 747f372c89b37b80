"""Admins: canned public messages at /admin/templates (office/response_templates.py), each
added and changed on one form; a refused form comes back as it was typed."""
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from mapdash import db
from mapdash.api.params import parse
from mapdash.cases.workflow import TRANSITIONS
from mapdash.errors import UserError
from mapdash.i18n import _
from mapdash.models import ResponseTemplate
from mapdash.office import case_types, response_templates
from mapdash.office.auth import role_required

bp = Blueprint("admin_templates", __name__, url_prefix="/admin/templates")


def _action_labels() -> dict:
    return {action: TRANSITIONS[action].label for action in response_templates.TEMPLATE_ACTIONS}


@bp.get("/")
@role_required("admin")
def index():
    rows = response_templates.list_templates(db.session(), current_user.organization_id)
    return render_template("admin/response_templates.html", rows=rows,
                           action_labels=_action_labels())


def _form_page(typed: dict, template: ResponseTemplate | None = None,
               error: UserError | None = None, status: int = 200):
    types = case_types.list_types(db.session(), current_user.organization_id)
    return render_template("admin/response_template_form.html", typed=typed, template=template,
                           error=error, types=types, action_labels=_action_labels()), status


def _typed(template: ResponseTemplate) -> dict:
    return {"category_id": str(template.category_id or ""), "action": template.action,
            "title": template.title, "text_th": template.text_th, "text_en": template.text_en,
            "sort_order": str(template.sort_order), "active": "1" if template.active else ""}


def _submitted(template: ResponseTemplate | None):
    typed = {name: request.form.get(name, "") for name in response_templates.RECORDED}
    session = db.session()
    try:
        saved = response_templates.save(
            session, current_user, parse(response_templates.TemplateFields, request.form),
            template.id if template else None)
    except UserError as refused:
        return _form_page(typed, template, refused, refused.status)
    flash(_("Response template \"%(title)s\" saved", title=saved.title))
    return redirect(url_for(".index") + f"#template-{saved.id}", 303)


@bp.get("/new")
@role_required("admin")
def new():
    return _form_page({"action": "request_info", "sort_order": "0", "active": "1"})


@bp.post("/new")
@role_required("admin")
def create():
    return _submitted(None)


# One rule for both methods, so that an id out of range is a 404 for either (admin_types.py).
@bp.route("/<integer_id:template_id>", methods=["GET", "POST"])
@role_required("admin")
def edit(template_id):
    template = response_templates.find_template(db.session(), current_user.organization_id,
                                                template_id)
    if request.method == "POST":
        return _submitted(template)
    return _form_page(_typed(template), template)
