"""The office's list of every case, open and closed, with its search (/dispatch/cases):
the list beside the live map. The search itself is cases/search.py."""
from flask import Blueprint, render_template, request, url_for
from flask_login import current_user

from mapdash import db
from mapdash.api.params import parse
from mapdash.cases import search
from mapdash.errors import UserError
from mapdash.maps import geo
from mapdash.office.auth import role_required
from mapdash.vocabulary import CHANNEL_LABELS, OFFICE_ROLES, STATUSES

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
        page_url=lambda **changes: url_for(".case_list", **query.args(**changes)),
        case_url=lambda case_id: url_for("dispatch.index", case=case_id),
    ), error.status if error else 200
