"""The dispatchers' office: the live map of open cases, the case panel and its actions, and
the printed request form. The map's data comes from /api/dispatch/ (views/api.py)."""
from datetime import UTC, datetime, timedelta
from typing import Annotated

from flask import Blueprint, jsonify, make_response, render_template, url_for
from flask_login import current_user

from mapdash import db
from mapdash.api.params import IntegerId, Params, Refusal, accepts
from mapdash.cases import casefile, workflow
from mapdash.i18n import N_, _, _l
from mapdash.maps import geo, leaflet
from mapdash.office import printform
from mapdash.office.auth import role_required
from mapdash.security import permits
from mapdash.vocabulary import OFFICE_ROLES, OPEN_STATUSES, STATUS_LABELS

bp = Blueprint("dispatch", __name__, url_prefix="/dispatch")

@bp.get("/")
@role_required(*OFFICE_ROLES)
@permits("autoplay")  # the beep of a new emergency (static/js/dispatch-alert.js)
def index():
    session = db.session()
    org_id = current_user.organization_id
    fmap = leaflet.build_map(geo.organization_center(session, org_id), zoom=12)
    urls = {"villages": url_for("api.dispatch_villages"), "cases": url_for("api.dispatch_cases"),
            "grid": url_for("api.dispatch_grid"), "changes": url_for("api.dispatch_changes"),
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
    return render_template("dispatch/_panel.html",
                           case=casefile.case_file(db.session(), current_user, incident_id),
                           transitions=workflow.TRANSITIONS, step_labels=workflow.STEP_LABELS)


class ActionForm(Params):
    """A workflow action from the panel, and the inputs an action may take."""
    action: str = ""
    note: str = ""
    # A user's id (an integer column): a number past it is refused here, not by PostgreSQL.
    assignee_id: Annotated[IntegerId | None, Refusal("bad_number", _l("Not a valid choice"))] = None
    duplicate_code: str = ""


@bp.post("/cases/<bigint_id:incident_id>/actions")
@role_required(*OFFICE_ROLES)
@accepts(form=ActionForm)
def act(incident_id, form: ActionForm):
    """One workflow action from the panel: `action` and the fields it takes (its inputs)."""
    session = db.session()
    transition = workflow.TRANSITIONS.get(form.action)
    inputs = transition.inputs if transition else ()
    duplicate_of = None
    if "duplicate_code" in inputs and form.duplicate_code:
        duplicate_of = casefile.case_id_by_code(session, current_user.organization_id,
                                                form.duplicate_code)
    assignee_id = form.assignee_id if "assignee_id" in inputs else None
    event = workflow.perform(session, incident_id, form.action, current_user,
                             note=form.note, assignee_id=assignee_id, duplicate_of=duplicate_of)
    return jsonify(ok=True, action=event.action, status=event.to_status,
                   panel=url_for(".panel", incident_id=incident_id))


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
