"""The dispatchers' office: the live map of open cases, the case panel and its actions, one
action on many cases (the case list's bulk actions, JSON), and the printed request form. The
map's data comes from /api/dispatch/ (views/api.py)."""
from datetime import UTC, datetime, timedelta
from typing import Annotated

from flask import Blueprint, jsonify, make_response, render_template, request, url_for
from flask_login import current_user
from pydantic import BeforeValidator, Field

from mapdash import db
from mapdash.api.params import BigintId, IntegerId, OneOf, Params, Refusal, accepts, whole_number
from mapdash.cases import casefile, documents, handover, information, workflow
from mapdash.field import positions
from mapdash.i18n import N_, _, _l
from mapdash.maps import geo, leaflet
from mapdash.office import printform
from mapdash.office.auth import json_role_required, role_required
from mapdash.office.response_templates import TEMPLATE_ACTIONS
from mapdash.registrations import panel as registration_panel
from mapdash.security import permits
from mapdash.vocabulary import (
    OFFICE_ROLES,
    OPEN_STATUSES,
    PRIORITIES,
    PRIORITY_LABELS,
    STATUS_LABELS,
)

bp = Blueprint("dispatch", __name__, url_prefix="/dispatch")

@bp.get("/")
@role_required(*OFFICE_ROLES)
@permits("autoplay")  # the beep of a new emergency (static/js/dispatch-alert.js)
def index():
    session = db.session()
    org_id = current_user.organization_id
    fmap = leaflet.build_map(geo.organization_center(session, org_id), zoom=12)
    urls = {"villages": url_for("api.dispatch_villages"), "cases": url_for("api.dispatch_cases"),
            # the tiles' {z}/{x}/{y}, which Leaflet.VectorGrid fills in
            "tiles": url_for("api.dispatch_tile", z=0, x=0, y=0).replace("/0/0/0.", "/{z}/{x}/{y}."),
            "changes": url_for("api.dispatch_changes"),
            "stream": url_for("api.dispatch_stream"),
            "crews": url_for("api.dispatch_crews"),
            "households": url_for("households.layer_geojson"),
            "panel": url_for(".panel", incident_id=0), "act": url_for(".act", incident_id=0)}
    return render_template(
        "dispatch/index.html", map=leaflet.embed(fmap), options=geo.map_options(session, current_user),
        bounds=geo.organization_bounds(session, org_id), officer=current_user.role == "officer",
        server_now=datetime.now(UTC).isoformat(), urls=urls, labels=_client_labels())


def _client_labels() -> dict:
    """The open statuses for the page's legend and filters (its other words come from the
    catalogue, static/js/i18n.js). A list, not a dict: JSON objects lose their order, and the
    legend follows the workflow."""
    return {"statuses": [[status, str(STATUS_LABELS[status])] for status in OPEN_STATUSES]}


@bp.get("/cases/<bigint_id:incident_id>")
@role_required(*OFFICE_ROLES)
def panel(incident_id):
    """The case panel beside the map (an HTML fragment the page loads)."""
    session = db.session()
    case = casefile.case_file(session, current_user, incident_id)
    templates = {action: casefile.response_templates(session, case.incident, action)
                 for action in TEMPLATE_ACTIONS if action in case.actions}
    nearest = positions.nearest_crews(session, case.incident, datetime.now(UTC)) \
        if "assign" in case.actions else []
    return render_template("dispatch/_panel.html", case=case, templates=templates, nearest=nearest,
                           registration=registration_panel.section(session, current_user,
                                                                   case.incident),
                           freshness_labels=positions.FRESHNESS_LABELS,
                           transitions=workflow.TRANSITIONS, step_labels=workflow.STEP_LABELS,
                           public_notes=casefile.PUBLIC_NOTES, priorities=PRIORITY_LABELS,
                           agencies=handover.AGENCY_SUGGESTIONS)


# A user's or organization's id (integer columns): a number past it is refused here.
ChoiceId = Annotated[IntegerId | None, Refusal("bad_number", _l("Not a valid choice"))]


class ActionInputs(Params):
    """The inputs of the actions the case list takes on many cases (workflow.Transition.inputs):
    each action reads only its own."""
    note: Annotated[str, Field(description="accept: a message to the citizen (optional).")] = ""
    assignee_id: Annotated[ChoiceId, Field(description="assign: the crew member's id.")] = None
    duplicate_code: Annotated[str, Field(
        description="mark_duplicate: the original case's tracking code.")] = ""
    priority: Annotated[str | None, OneOf(PRIORITIES), Field(description="set_priority."),
                        Refusal("bad_priority", _l("Choose a priority"))] = None


class ActionForm(ActionInputs):
    """A workflow action from the panel, and the inputs an action may take."""
    action: str = ""
    organization_id: ChoiceId = None   # forward: where to
    agency: str = ""                   # refer: to whom
    # take_into_plan: the Buddhist Era year of the development plan (cases/proposals.py)
    plan_year: Annotated[int | None, BeforeValidator(whole_number), Refusal(
        "bad_plan_year", _l("Give the plan's year in the Buddhist Era, e.g. 2571"))] = None


def action_inputs(action: str, form: ActionInputs) -> dict:
    """workflow.perform's arguments from the fields the action takes."""
    transition = workflow.TRANSITIONS.get(action)
    inputs = transition.inputs if transition else ()
    duplicate_of = None
    if "duplicate_code" in inputs and form.duplicate_code:
        duplicate_of = casefile.case_id_by_code(db.session(), current_user.organization_id,
                                                form.duplicate_code)
    return {"duplicate_of": duplicate_of,
            **{name: getattr(form, name, None) for name in ("note", "assignee_id", "priority",
                                                             "organization_id", "agency",
                                                             "plan_year")
               if name in inputs}}


@bp.post("/cases/<bigint_id:incident_id>/actions")
@role_required(*OFFICE_ROLES)
@accepts(form=ActionForm)
def act(incident_id, form: ActionForm):
    """One workflow action from the panel: `action` and the fields it takes (its inputs), and
    the files of an information request's answer (all checked before anything changes)."""
    files = documents.check_uploads(request.files.getlist("documents"))
    event = workflow.perform(db.session(), incident_id, form.action, current_user,
                             **action_inputs(form.action, form))
    information.attach_answer(db.session(), event.incident, form.action, files, current_user)
    # gone: the case is no longer the reader's (forwarded elsewhere): the panel closes.
    return jsonify(ok=True, action=event.action, status=event.to_status,
                   panel=url_for(".panel", incident_id=incident_id),
                   gone=not workflow.can_see(current_user, event.incident))


class BulkForm(ActionInputs):
    """One action on many cases (the case list): its inputs are the same for every case."""
    action: Annotated[str, OneOf(workflow.BULK_ACTIONS), Field(description="What to do."),
                      Refusal("not_bulk", _l("This action cannot be taken on several cases at "
                                             "once"), field="action")]
    ids: Annotated[list[BigintId], Field(
        min_length=1, max_length=workflow.MAX_BULK, description="The cases' ids."),
        Refusal("bad_selection", _l("Choose between 1 and %(max)s cases",
                                    max=workflow.MAX_BULK))]


@bp.post("/cases/actions.json")
@json_role_required(*OFFICE_ROLES)
@accepts(form=BulkForm)
def act_on_many(form: BulkForm):
    """The same action on each case of `ids`: one event per case. Cases that refuse (another
    status, not the reader's) are listed with why; the others are done."""
    result = workflow.perform_many(db.session(), list(form.ids), form.action, current_user,
                                   **action_inputs(form.action, form))
    return jsonify(
        action=form.action,
        done=[{"id": event.incident_id, "code": event.incident.tracking_code,
               "status": event.to_status} for event in result.done],
        refused=[{"id": incident_id, **refusal.as_dict()}
                 for incident_id, refusal in result.refused])


@bp.post("/cases/<bigint_id:incident_id>/form.pdf")
@role_required(*OFFICE_ROLES)
def print_form(incident_id):
    """The request form as a PDF; printing it is recorded in the case's timeline."""
    session = db.session()
    now = datetime.now(UTC)
    workflow.perform(session, incident_id, "print_form", current_user, now=now)
    incident = casefile.load_case(session, current_user, incident_id)
    pdf = printform.request_form(
        session, incident, printed_by=current_user.display_name, now=now,
        tracking_url=url_for("public.track", code=incident.tracking_code, _external=True))
    response = make_response(pdf)
    response.mimetype = "application/pdf"
    response.headers["Content-Disposition"] = \
        f'inline; filename="request-{incident.tracking_code}.pdf"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


# The same words as the map's scripts use for a case's age (static/js/dispatch.js).
DURATION_UNITS = (N_("%(n)s d"), N_("%(n)s h"), N_("%(n)s min"))


@bp.app_template_filter("duration")
def duration(value: timedelta | None) -> str:
    """'2 d 3 h', '45 min' (in the reader's language): how long a step took, to the minute."""
    if value is None:
        return ""
    minutes = max(int(value.total_seconds() // 60), 0)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        minutes = 0  # "3 d 4 h": past a day, minutes do not matter
    parts = [_(unit, n=n) for n, unit in zip((days, hours, minutes), DURATION_UNITS, strict=True) if n]
    return " ".join(parts) or _("under 1 min")
