"""Registrations with documents: the applicant's form (at /report/<code>, like every type's
form: views/public.py hands a registration type's to `application_page`), and the office's
list of applications (masked) and the approved list of a fiscal year as xlsx, for the type's
department and the admins only."""
import secrets
from datetime import UTC, datetime

from flask import Blueprint, Response, render_template, request
from flask_login import current_user

from mapdash import db
from mapdash.api.params import parse
from mapdash.cases import documents
from mapdash.errors import UserError
from mapdash.i18n import _l, current_language
from mapdash.models import Category, Incident, Organization
from mapdash.office.auth import role_required
from mapdash.registrations import applications, export, listing, rules
from mapdash.stats.period import EN_MONTHS_LONG, THAI_MONTHS_LONG, fiscal_year_of
from mapdash.views import citizen_forms
from mapdash.vocabulary import OFFICE_ROLES, REGISTRATION_DOCUMENTS

bp = Blueprint("registrations", __name__, url_prefix="/dispatch/registrations")

FORM_FIELDS = tuple(applications.ApplicationForm.model_fields)


def application_page(org: Organization, category: Category):
    """The application form of a registration type; sent, the case and its documents are
    stored together and the applicant gets the tracking page with their codes. Refused, the
    form comes back with what was typed (files must be chosen again: a browser cannot)."""
    session = db.session()
    values = {name: request.form.get(name, "") for name in FORM_FIELDS}
    key = request.form.get("idempotency_key") or secrets.token_urlsafe(24)
    error: UserError | None = None
    now = datetime.now(UTC)
    if request.method == "POST":
        sent = citizen_forms.send(session, lambda: applications.apply(
            session, category, parse(applications.ApplicationForm, request.form),
            {purpose: request.files.getlist(f"doc-{purpose}") for purpose in REGISTRATION_DOCUMENTS},
            now=now, idempotency_key=key))
        if not isinstance(sent, UserError):
            return sent  # stored: the tracking page
        error = sent
    type_rules = rules.Rules.of(category.registration)
    return citizen_forms.form_page(render_template(
        "registrations/form.html", org=org, category=category, values=values, error=error,
        idempotency_key=key, rules=type_rules, villages=applications.villages(session, org.id),
        banks=applications.BANKS,
        months=THAI_MONTHS_LONG if current_language() == "th" else EN_MONTHS_LONG,
        fiscal_year=fiscal_year_of(now),
        fiscal_year_end=rules.thai_date(rules.fiscal_year_end(fiscal_year_of(now))),
        window=_window(type_rules, now), files_sent=any(
            upload.filename for upload in request.files.values()),
        max_documents=applications.MAX_DOCUMENTS), error)


def _window(type_rules: rules.Rules, now: datetime) -> dict:
    """The registration window as the form states it, and whether it is open now."""
    today = now.astimezone(rules.LOCAL_TZ).date()
    return {"opens": type_rules.opens and rules.thai_date(type_rules.opens),
            "closes": type_rules.closes and rules.thai_date(type_rules.closes),
            "open": not ((type_rules.opens and today < type_rules.opens)
                         or (type_rules.closes and today > type_rules.closes))}


def reply_documents(session, incident: Incident) -> None:
    """The documents an applicant sends with their answer to a staff question (the reply
    form's `documents`, for the document chosen as `document_purpose`): checked and stored
    with the answer, or refused with it. Nothing for a case of another kind."""
    if incident.category.kind != "registration":
        return
    purpose = request.form.get("document_purpose", "")
    if purpose not in REGISTRATION_DOCUMENTS:
        raise UserError("bad_document", _l("Choose which document you send"),
                        field="document_purpose")
    for checked in documents.check_uploads(request.files.getlist("documents"),
                                           max_files=applications.MAX_DOCUMENTS):
        documents.store_document(session, incident, checked, purpose)


@bp.get("/")
@role_required(*OFFICE_ROLES)
def index():
    """The applications of the registration types the reader may read, masked, by type,
    fiscal year and status."""
    session = db.session()
    types = listing.readable_types(session, current_user)
    if not types:
        raise UserError("forbidden", _l("Only the department that handles registrations, and "
                                        "the administrators, see the applications"), status=403)
    query = parse(listing.ListQuery, request.args)
    chosen = next((t for t in types if t.id == query.type), types[0])
    year = query.year or fiscal_year_of(datetime.now(UTC))
    rows = listing.applications(session, chosen, year, query.status)
    return render_template("registrations/list.html", types=types, chosen=chosen, year=year,
                           years=listing.years(session, chosen, year), rows=rows,
                           status=query.status, counts=listing.counts(session, chosen, year))


@bp.get("/<integer_id:category_id>/<integer_id:year>/approved.xlsx")
@role_required(*OFFICE_ROLES)
def approved_xlsx(category_id, year):
    """The approved applications of a fiscal year, whole (the department pays from it)."""
    session = db.session()
    category = listing.readable_type(session, current_user, category_id)
    data = export.approved_workbook(session, category, year, datetime.now(UTC))
    return Response(data, mimetype="application/vnd.openxmlformats-officedocument."
                                    "spreadsheetml.sheet", headers={
        "Content-Disposition": f'attachment; filename="{category.code}-{year}-approved.xlsx"',
        "Cache-Control": "private, no-store"})
