"""The office's list of every case, open and closed, with its search (/dispatch/cases):
the list beside the live map, and one action on the cases ticked in it. The search itself is
cases/search.py."""
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from mapdash import db
from mapdash.api.params import parse
from mapdash.cases import search, workflow
from mapdash.errors import UserError
from mapdash.i18n import _
from mapdash.maps import geo
from mapdash.models import Incident
from mapdash.office.auth import role_required
from mapdash.views.dispatch import BulkForm, action_inputs
from mapdash.vocabulary import CHANNEL_LABELS, OFFICE_ROLES, PRIORITY_LABELS, STATUSES

bp = Blueprint("office_cases", __name__, url_prefix="/dispatch")


@bp.get("/cases")
@role_required(*OFFICE_ROLES)
def case_list():
    """Every case the user may see, filtered, searched, sorted and paged. A bad filter is
    answered on the page itself, with what was typed kept in the form."""
    session = db.session()
    query, rows, has_next, error = search.CaseListQuery(), [], False, None
    try:
        query = parse(search.CaseListQuery, request.args)
        rows, has_next = search.search_cases(session, current_user, query)
    except UserError as refused:
        error = refused
    return render_template(
        "office/cases.html", rows=rows, has_next=has_next, query=query, error=error,
        typed=request.args, options=geo.map_options(session, current_user), statuses=STATUSES,
        channel_labels=CHANNEL_LABELS, officer=current_user.role == "officer",
        bulk_actions=[(action, workflow.TRANSITIONS[action].label)
                      for action in workflow.BULK_ACTIONS],
        crew=workflow.crew_members(session, current_user.organization_id),
        priorities=PRIORITY_LABELS, max_bulk=workflow.MAX_BULK,
        page_url=lambda **changes: url_for(".case_list", **query.args(**changes)),
        case_url=lambda case_id: url_for("dispatch.index", case=case_id),
    ), error.status if error else 200


@bp.post("/cases")
@role_required(*OFFICE_ROLES)
def act_on_ticked():
    """The list's bulk action, a plain form: the same action on each ticked case, one event per
    case (workflow.perform_many); back to the same page of the list, saying what was done and
    which cases refused and why."""
    try:
        form = parse(BulkForm, request.form)
        result = workflow.perform_many(db.session(), list(form.ids), form.action, current_user,
                                       **action_inputs(form.action, form))
    except UserError as refused:
        flash(str(refused.message))
    else:
        if result.done:
            flash(_("%(action)s: done on %(n)s case(s)", n=len(result.done),
                    action=workflow.TRANSITIONS[form.action].label))
        for incident_id, refusal in result.refused:
            case = db.session().get(Incident, incident_id)
            flash(_("%(code)s was not changed: %(why)s",
                    code=case.tracking_code if case else incident_id, why=refusal.message))
    listed = parse(search.CaseListQuery, request.args)  # the list's own filters, checked
    return redirect(url_for(".case_list", **listed.args()), 303)
