"""Payments and receipts on the web (services/payments.py, services/receipts.py).

The citizen's form is /report/<code> of a payment type (public.report calls `form`); the
finance division works its payments at /finance/payments, each with its slip, the flags of a
slip sent before, and the actions: issue the receipt, refuse the slip, ask for a clearer one,
void a receipt. /receipts/check/<year>/<number>?k= tells anyone holding a receipt (its QR code)
whether it is valid, with its amount and nothing personal.
"""
import secrets
from datetime import UTC, datetime

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask import session as browser
from flask_login import current_user
from sqlalchemy import select

from mapdash import db
from mapdash.api.params import Params, parse
from mapdash.cases import documents, intake, ratelimit, replies, workflow
from mapdash.errors import UserError
from mapdash.i18n import _, _l, village_label
from mapdash.models import Category, Incident, Organization, Payment, Receipt, Village
from mapdash.office.auth import role_required
from mapdash.services import payments, receipts
from mapdash.views import citizen_forms
from mapdash.vocabulary import TAX_KIND_LABELS

bp = Blueprint("payments", __name__)

HANDLER_ROLES = ("admin", "officer")  # receipts.may_handle narrows officers to the department
LIST_SIZE = 100


@bp.app_template_global()
def handles_payments(user) -> bool:
    """Whether the menu shows "Payments": to administrators, and to the officers of a
    department that takes a payment type (the finance division)."""
    if user.role == "admin":
        return True
    return user.role == "officer" and user.department_id is not None and db.session().scalar(
        select(Category.id).where(Category.department_id == user.department_id,
                                  Category.kind == "payment").limit(1)) is not None


def form(org: Organization, category: Category):
    """The payment form of a payment type: GET shows it, POST stores the case, its payment and
    its slip, then shows the tracking page with the reply code (as a report does). A refusal
    shows the form again with what was typed and the reason; nothing is stored."""
    session = db.session()
    now = datetime.now(UTC)
    typed = parse(payments.PaymentForm, request.form) if request.method == "POST" \
        else payments.PaymentForm()
    key = request.form.get("idempotency_key") or secrets.token_urlsafe(24)
    error: UserError | None = None
    if request.method == "POST":
        sent = citizen_forms.send(session, lambda: payments.send_payment(
            session, org, category, typed, request.files.get("slip"), now, key))
        if not isinstance(sent, UserError):
            return sent  # stored: the tracking page
        error = sent
    today = now.astimezone(payments.LOCAL_TZ).date()
    villages = [(village.number, str(village_label(village))) for village in session.scalars(
        select(Village).where(Village.organization_id == org.id).order_by(Village.number))]
    return citizen_forms.form_page(render_template(
        "payments/form.html", org=org, category=category, values=typed, error=error,
        idempotency_key=key, pays_for=payments.pays_for(category), villages=villages,
        months=payments.month_choices(today), this_month=today.strftime("%Y-%m"),
        tax_years=payments.tax_years(today), tax_kinds=TAX_KIND_LABELS, today=today.isoformat(),
        slip_sent=bool(request.files.get("slip") and request.files["slip"].filename)), error)


def track_section(incident: Incident) -> dict | None:
    """What the tracking page of a payment shows besides the timeline: the amount and what it
    pays, and its receipts; the citizen who typed their reply code also gets the PDF's link."""
    session = db.session()
    payment = session.get(Payment, incident.id)
    if payment is None:
        return None
    is_payer = documents.citizen_may_read(browser, incident)
    shown = []
    for receipt in receipts.receipts_of(session, incident.id):
        shown.append({"receipt": receipt, "download": url_for(
            "documents.download", document_id=receipt.document_id)
            if is_payer and receipt.document_id and receipt.voided_at is None else None})
    return {"payment": payment, "amount": payments.format_baht(payment.amount_satang),
            "pays_for": payments.pays_for_text(payment), "receipts": shown, "is_payer": is_payer}


class NewSlipForm(Params):
    reply_code: str = ""


@bp.post("/track/<code>/slip")
def new_slip(code):
    """The clearer slip the finance division asked for, sent from the tracking page by the
    payer: their reply code, typed or kept by this browser, says it is theirs."""
    ratelimit.check_reports()  # each wrong code counts as a refused attempt
    session = db.session()
    incident = intake.find_by_code(session, code)
    if incident is None:
        raise UserError("unknown_case", _l("No case has this code: please check it"), status=404)
    typed = parse(NewSlipForm, request.form).reply_code
    if not (documents.citizen_may_read(browser, incident)
            or replies.reply_code_matches(incident, typed)):
        ratelimit.count_refused()
        raise UserError("bad_reply_code", _l("This is not the reply code of this case: it was "
                                             "shown when you sent it. Or call the office"),
                        field="reply_code", status=403)
    payments.send_new_slip(session, incident, request.files.get("slip"))
    if typed:
        replies.keep_reply_code(browser, "reply_codes", incident.tracking_code,
                                replies.normalize_reply_code(typed))
    return redirect(url_for("public.track", code=incident.tracking_code, replied=1), 303)


# --- The finance division's side -------------------------------------------------------------
def _handled(incident_id: int) -> tuple[Incident, Payment]:
    session = db.session()
    incident = session.get(Incident, incident_id)
    payment = session.get(Payment, incident_id) if incident is not None else None
    if incident is None or payment is None or not receipts.may_handle(current_user, incident):
        raise UserError("not_found", _l("No such payment, or it is not yours to handle"),
                        status=404)
    return incident, payment


@bp.get("/finance/payments")
@role_required(*HANDLER_ROLES)
def payment_list():
    """The payments to check first (new, then waiting on the citizen), then the latest done."""
    session = db.session()
    query = select(Incident, Payment).join(Payment, Payment.incident_id == Incident.id).where(
        Incident.organization_id == current_user.organization_id)
    if current_user.role == "officer":
        query = query.where(Incident.department_id == current_user.department_id)
    rows = session.execute(query.order_by(Incident.is_open.desc(), Incident.created_at.desc())
                           .limit(LIST_SIZE)).all()
    valid = {r.incident_id: r for r in session.scalars(select(Receipt).where(
        Receipt.incident_id.in_([incident.id for incident, _p in rows]),
        Receipt.voided_at.is_(None)))}
    return render_template("payments/list.html", rows=rows, valid=valid,
                           format_baht=payments.format_baht, pays_for_text=payments.pays_for_text)


@bp.get("/finance/payments/<bigint_id:incident_id>")
@role_required(*HANDLER_ROLES)
def payment_detail(incident_id, error: UserError | None = None, status: int = 200,
                   posted: str = ""):
    session = db.session()
    incident, payment = _handled(incident_id)
    slips = documents.documents_of(session, incident.id, "slip")
    actions = workflow.allowed_actions(current_user, incident)
    return render_template(
        "payments/detail.html", incident=incident, payment=payment, slips=slips,
        amount=payments.format_baht(payment.amount_satang),
        pays_for=payments.pays_for_text(payment), receipts=receipts.receipts_of(session, incident.id),
        valid=receipts.valid_receipt(session, incident.id),
        can_issue=incident.status in ("new", "accepted", "resolved"),
        can_refuse="reject" in actions, can_ask="request_info" in actions,
        reasons=payments.REUSE_REASONS, format_baht=payments.format_baht, error=error,
        check_url=_check_url, typed=request.form, posted=posted,
        format_day=payments.format_day), status


def _check_url(receipt: Receipt) -> str:
    return url_for("payments.check", fiscal_year=receipt.fiscal_year, number=receipt.number,
                   k=receipts.check_token(current_app.config["SECRET_KEY"], receipt.id),
                   _external=True)


@bp.post("/finance/payments/<bigint_id:incident_id>/receipt")
@role_required(*HANDLER_ROLES)
def issue_receipt(incident_id):
    try:
        receipt = receipts.issue(db.session(), incident_id, current_user, datetime.now(UTC),
                                 _check_url)
    except UserError as refused:
        if refused.status == 404:
            raise
        db.session().rollback()
        return payment_detail(incident_id, refused, refused.status)
    flash(_("Receipt %(number)s issued", number=receipt.label))
    return redirect(url_for(".payment_detail", incident_id=incident_id), 303)


class NoteForm(Params):
    note: str = ""


@bp.post("/finance/payments/<bigint_id:incident_id>/<any(refuse, ask):what>")
@role_required(*HANDLER_ROLES)
def refuse_or_ask(incident_id, what):
    """Refuse the slip (the case is rejected) or ask for a clearer one (the citizen answers
    on their tracking page), with the message the citizen reads."""
    _handled(incident_id)
    note = parse(NoteForm, request.form).note
    try:
        workflow.perform(db.session(), incident_id, "reject" if what == "refuse" else
                         "request_info", current_user, note=note)
    except UserError as refused:
        db.session().rollback()
        return payment_detail(incident_id, refused, refused.status, what)
    flash(_("The slip was refused") if what == "refuse" else _("A clearer slip was asked for"))
    return redirect(url_for(".payment_detail", incident_id=incident_id), 303)


class VoidForm(Params):
    reason: str = ""


@bp.post("/finance/receipts/<bigint_id:receipt_id>/void")
@role_required(*HANDLER_ROLES)
def void_receipt(receipt_id):
    session = db.session()
    receipt = session.get(Receipt, receipt_id)
    if receipt is None:
        raise UserError("not_found", _l("No such payment, or it is not yours to handle"),
                        status=404)
    _handled(receipt.incident_id)
    try:
        receipts.void(session, receipt_id, current_user, parse(VoidForm, request.form).reason,
                      datetime.now(UTC))
    except UserError as refused:
        session.rollback()
        return payment_detail(receipt.incident_id, refused, refused.status, "void")
    flash(_("Receipt %(number)s is void", number=receipt.label))
    return redirect(url_for(".payment_detail", incident_id=receipt.incident_id), 303)


# --- Anyone holding a receipt ----------------------------------------------------------------
@bp.get("/receipts/check/<int:fiscal_year>/<int:number>")
def check(fiscal_year, number):
    """Valid or void, the amount, the organization and the date: nothing more personal. A
    wrong or missing token is answered as an unknown receipt."""
    receipt = receipts.receipt_for_token(db.session(), current_app.config["SECRET_KEY"],
                                         fiscal_year, number, request.args.get("k") or "")
    if receipt is None:
        raise UserError("unknown_receipt", _l("No receipt has this number and check code: "
                                              "scan the QR code of the receipt again"), status=404)
    response = current_app.make_response(render_template(
        "payments/check.html", receipt=receipt, amount=payments.format_baht(receipt.amount_satang)))
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response
