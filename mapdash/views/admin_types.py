"""Admins: the case types at /admin/types, each added and changed on one form whose question
editor works without JavaScript (office/case_type_form.py)."""
from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from mapdash import db
from mapdash.cases.questions import LISTS
from mapdash.cases.workflow import CLOCK_STEPS, STEP_LABELS
from mapdash.errors import UserError
from mapdash.i18n import _
from mapdash.models import Category
from mapdash.office import case_type_form as form
from mapdash.office import case_types
from mapdash.office.auth import role_required

bp = Blueprint("admin_types", __name__, url_prefix="/admin/types")


@bp.get("/")
@role_required("admin")
def index():
    return render_template(
        "admin/types.html", types=case_types.list_types(db.session(), current_user.organization_id),
        clock_minutes=case_types.clock_minutes, limit_as_typed=form.limit_as_typed,
        step_labels=STEP_LABELS, unit_labels=form.UNIT_LABELS)


def _icons() -> list[str]:
    return case_types.icons(current_app.static_folder or "")


def _form_page(draft: form.Draft, category: Category | None = None,
               error: UserError | None = None, status: int = 200):
    session = db.session()
    return render_template(
        "admin/type_form.html", draft=draft, category=category, error=error,
        icons=_icons(), departments=case_types.departments(session, current_user.organization_id),
        clock_steps=CLOCK_STEPS, clock_labels=STEP_LABELS, step_labels=form.STEP_LABELS,
        unit_labels=form.UNIT_LABELS, datatype_labels=form.DATATYPE_LABELS, lists=LISTS,
        max_questions=form.MAX_QUESTIONS, max_values=form.MAX_VALUES,
        other_steps=[step for step in form.STEPS
                     if not any(step in parts for parts in CLOCK_STEPS.values())],
        earlier_limits=case_types.open_cases_on_earlier_limits(session, category)
        if category else 0), status


def _submitted(category: Category | None):
    """The form sent: an editor button changes the draft and shows it again; "save" stores."""
    draft = form.draft_from_form(request.form)
    if category is not None:
        # chosen once (case_types.py)
        draft.fields["code"], draft.fields["kind"] = category.code, category.kind
    if request.form.get("edit"):
        form.apply_edit(draft, request.form["edit"])
        return _form_page(draft, category)
    session = db.session()
    try:
        saved = case_types.save(session, current_user, form.checked(draft), _icons(),
                                category.id if category else None)
    except UserError as refused:
        if refused.status == 404:
            raise
        session.rollback()
        return _form_page(draft, category, refused, refused.status)
    flash(_("Case type \"%(name)s\" saved", name=saved.name_th))
    return redirect(url_for(".index") + f"#type-{saved.id}", 303)


@bp.get("/new")
@role_required("admin")
def new():
    departments = case_types.departments(db.session(), current_user.organization_id)
    return _form_page(form.new_draft("pin", departments[0].id if departments else None))


@bp.post("/new")
@role_required("admin")
def create():
    return _submitted(None)


# One rule for both methods: an id out of range is then a 404 for either (a GET rule and a
# POST rule of the same URL made it a 405 for one).
@bp.route("/<integer_id:category_id>", methods=["GET", "POST"])
@role_required("admin")
def edit(category_id):
    category = case_types.find_type(db.session(), current_user.organization_id, category_id)
    if request.method == "POST":
        return _submitted(category)
    return _form_page(form.draft_of(category), category)
