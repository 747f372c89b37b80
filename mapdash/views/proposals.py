"""Citizens' proposals for the local development plan (cases/proposals.py): the form behind
/report/<code> for a type of kind "proposal", the public list per village and year
(/proposals) and the +1 of support, counted once per person."""
import secrets
from datetime import datetime

from flask import Blueprint, current_app, redirect, render_template, request, url_for
from flask import session as browser

from mapdash import db
from mapdash.api.params import parse
from mapdash.cases import proposals, ratelimit
from mapdash.errors import UserError
from mapdash.i18n import LOCAL_TZ, _l
from mapdash.integrations.line import links as line_links
from mapdash.maps import geo, leaflet
from mapdash.models import Category, Organization
from mapdash.office.orgs import find_organization
from mapdash.stats.period import fiscal_year_of
from mapdash.views import citizen_forms
from mapdash.vocabulary import PROPOSAL_OUTCOME_LABELS, UNDECIDED_PROPOSAL_LABEL

bp = Blueprint("proposals", __name__)

FORM_FIELDS = ("village", "title", "description", "beneficiaries", "estimated_cost", "lat", "lon",
               "reporter_name", "reporter_phone", "reporter_line_id", "reporter_email")
# The key a browser supports from, kept in its (signed) session cookie: one +1 per browser.
BROWSER_KEY = "supporter_key"


def _line_user() -> tuple[str | None, str | None]:
    token = (request.values.get("line") or "")[:500] or None
    return token, line_links.user_from_token(current_app.config["SECRET_KEY"], token)


def _contact(values, line_user: str | None) -> proposals.Contact:
    return proposals.Contact(name=values.get("reporter_name"), phone=values.get("reporter_phone"),
                             line_id=values.get("reporter_line_id"),
                             email=values.get("reporter_email"), line_user=line_user)


def form_page(org: Organization, category: Category):
    """GET and POST of /report/<code> for a proposal type (called by public.report)."""
    session = db.session()
    values = {name: request.form.get(name, "") for name in FORM_FIELDS}
    if request.method == "GET" and request.args.get("village", "").isdecimal():
        values["village"] = request.args["village"][:3]
    key = request.form.get("idempotency_key") or secrets.token_urlsafe(24)
    line_token, line_user = _line_user()
    error: UserError | None = None
    if request.method == "POST":
        sent = citizen_forms.send(session, lambda: proposals.create_proposal(
            session, org, category, parse(proposals.ProposalForm, request.form),
            _contact(request.form, line_user), lon=values["lon"], lat=values["lat"],
            idempotency_key=key))
        if not isinstance(sent, UserError):
            return sent  # stored: the tracking page
        error = sent
    place_map = leaflet.embed(leaflet.build_map(geo.organization_center(session, org.id), zoom=13))
    return citizen_forms.form_page(render_template(
        "public/form_proposal.html", org=org, category=category, values=values,
        idempotency_key=key, error=error, villages=proposals.villages(session, org.id),
        place_map=place_map, bounds=geo.organization_bounds(session, org.id),
        max_title=proposals.MAX_TITLE, max_description=proposals.intake.MAX_DESCRIPTION,
        line_token=line_token if line_user else None), error)


def _organization() -> Organization:
    org = find_organization(db.session(),
                            request.args.get("org") or current_app.config["DEFAULT_ORG"])
    if org is None:
        raise UserError("unknown_org", _l("Unknown organization"), status=404)
    return org


def _number(name: str, low: int, high: int) -> int | None:
    """An optional filter from the query string; anything else is no filter."""
    value = request.args.get(name, "")
    return int(value) if value.isdecimal() and len(value) <= 4 and low <= int(value) <= high \
        else None


def _list_page(error: UserError | None = None, status: int = 200, supported: str | None = None):
    session = db.session()
    org = _organization()
    village = _number("village", 1, 999)
    years = proposals.fiscal_years(session, org.id)
    year = _number("year", 2500, 2700)
    rows = proposals.public_list(session, org.id, village, year)
    category = session.query(Category).filter(
        Category.organization_id == org.id, Category.kind == proposals.KIND,
        Category.active).order_by(Category.sort_order).first()
    return render_template(
        "public/proposals.html", org=org, rows=rows, villages=proposals.villages(session, org.id),
        years=years, village=village, year=year, category=category, error=error,
        supported=supported or request.args.get("supported"),
        outcome_labels=PROPOSAL_OUTCOME_LABELS, undecided_label=UNDECIDED_PROPOSAL_LABEL,
        current_year=fiscal_year_of(datetime.now(LOCAL_TZ))), status


@bp.get("/proposals")
def index():
    """Proposals per village and fiscal year, with their outcome and support."""
    return _list_page()


@bp.post("/proposals/<code>/support")
def support(code):
    """+1 on a proposal. Counted once per person: a repeat is thanked, not counted."""
    ratelimit.check_reports()
    session = db.session()
    key = browser.get(BROWSER_KEY)
    if not key:
        key = browser[BROWSER_KEY] = secrets.token_urlsafe(24)
    try:
        incident, counted = proposals.support(session, code, _contact(request.form, _line_user()[1]),
                                              key)
    except UserError as refused:
        session.rollback()
        ratelimit.count_refused()
        if refused.status == 404:
            raise
        return _list_page(refused, refused.status)
    ratelimit.count_accepted(session)
    anchor = f"#proposal-{incident.tracking_code}"
    back = {name: request.args[name] for name in ("village", "year", "org") if request.args.get(name)}
    return redirect(url_for(".index", supported="1" if counted else "again", **back) + anchor, 303)


@bp.app_template_global("default_plan_year")
def default_plan_year() -> int:
    """The plan year the staff's "take into the plan" form offers first."""
    return proposals.default_plan_year(datetime.now(LOCAL_TZ))
