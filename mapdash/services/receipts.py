"""Receipts for payments: numbered per organization and fiscal year (2570/000123), printed as a
PDF in Thai (receipt_pdf.py), checked online through a signed link in their QR code, voided
with a reason but never renumbered.

Who handles payments: the officers of the department that takes the payment type (the finance
division, กองคลัง, per routing.py) and the organization's administrators. No new role: the
finance division's staff already have officer accounts of their department, and "the
responsible department only" is how every private document is guarded (cases/documents.py);
a dispatcher routes cases but does not take money.
"""
import io
from datetime import datetime

from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select, text
from sqlalchemy.orm import Session
from werkzeug.datastructures import FileStorage

from mapdash.cases import documents, workflow
from mapdash.errors import UserError
from mapdash.i18n import _l, in_office_language, language
from mapdash.models import Incident, Payment, Receipt, User
from mapdash.services import receipt_pdf
from mapdash.services.payments import format_baht, pays_for_text
from mapdash.stats.period import fiscal_year_of

MAX_VOID_REASON = 500
_CHECK_SALT = "receipt-check"


def may_handle(user: User, incident: Incident) -> bool:
    """An administrator of the case's organization, or an officer of its department."""
    if user.organization_id != incident.organization_id or not user.active:
        return False
    return user.role == "admin" or (user.role == "officer"
                                    and user.department_id == incident.department_id)


def next_number(session: Session, organization_id: int, fiscal_year: int) -> int:
    """The next receipt number of the year, taken in the caller's transaction. The counter's
    row stays locked until it commits: a concurrent issue waits, then takes the following
    number; a rollback gives the number back. So numbers run 1, 2, 3... with no gap."""
    return session.execute(text("""
        INSERT INTO receipt_counters (organization_id, fiscal_year, last_number)
        VALUES (:org, :year, 1)
        ON CONFLICT (organization_id, fiscal_year)
        DO UPDATE SET last_number = receipt_counters.last_number + 1
        RETURNING last_number"""), {"org": organization_id, "year": fiscal_year}).scalar_one()


def valid_receipt(session: Session, incident_id: int) -> Receipt | None:
    return session.scalars(select(Receipt).where(
        Receipt.incident_id == incident_id, Receipt.voided_at.is_(None))).first()


def receipts_of(session: Session, incident_id: int) -> list[Receipt]:
    return list(session.scalars(select(Receipt).where(Receipt.incident_id == incident_id)
                                .order_by(Receipt.id)))


def _payment_to_handle(session: Session, incident_id: int, staff: User) -> tuple[Incident, Payment]:
    # Locked: two officers pressing "issue" at once must not issue two receipts.
    incident = session.get(Incident, incident_id, with_for_update=True, populate_existing=True)
    payment = session.get(Payment, incident_id) if incident is not None else None
    if incident is None or payment is None or not may_handle(staff, incident):
        raise UserError("not_found", _l("No such payment, or it is not yours to handle"),
                        status=404)
    return incident, payment


def check_token(secret: str, receipt_id: int) -> str:
    """The signed part of a receipt's check link (?k=): only who holds the receipt has it."""
    return URLSafeSerializer(secret, salt=_CHECK_SALT).dumps(receipt_id)


def receipt_for_token(session: Session, secret: str, fiscal_year: int, number: int,
                      token: str) -> Receipt | None:
    """The receipt a check link names, if its token is good and matches the number."""
    try:
        receipt_id = URLSafeSerializer(secret, salt=_CHECK_SALT).loads(token[:200])
    except BadSignature:
        return None
    receipt = session.get(Receipt, receipt_id) if isinstance(receipt_id, int) else None
    if receipt is None or (receipt.fiscal_year, receipt.number) != (fiscal_year, number):
        return None
    return receipt


def issue(session: Session, incident_id: int, staff: User, now: datetime, check_url) -> Receipt:
    """Number and print the receipt of a checked payment, store its PDF with the case and close
    the case as done (accepted first if it was new), all in the caller's transaction.
    `check_url(receipt)` is the public link its QR code carries. Flushes; the caller commits."""
    incident, payment = _payment_to_handle(session, incident_id, staff)
    if valid_receipt(session, incident.id) is not None:
        raise UserError("already_issued", _l("This payment already has a receipt: void it "
                                             "first to issue a corrected one"), status=409)
    replacing = incident.status == "resolved"  # a corrected receipt after a voided one
    if not replacing and incident.status not in ("new", "accepted"):
        raise UserError("not_payable", _l("A receipt is issued for a new or accepted payment "
                                          "only"), status=409)
    fiscal_year = fiscal_year_of(now)
    with language("th"):  # the receipt is an official document in Thai
        described = pays_for_text(payment)
    receipt = Receipt(incident_id=incident.id, organization_id=incident.organization_id,
                      fiscal_year=fiscal_year,
                      number=next_number(session, incident.organization_id, fiscal_year),
                      amount_satang=payment.amount_satang, payer_name=payment.payer_name,
                      pays_for_text=described, issued_at=now, issued_by=staff.id)
    session.add(receipt)
    session.flush()
    pdf = receipt_pdf.render(receipt, payment, incident.organization, staff, check_url(receipt))
    # Checked like any upload: the same store, the same guard on who reads it.
    printed = FileStorage(io.BytesIO(pdf), filename=f"receipt-{fiscal_year}-{receipt.number:06d}.pdf",
                          content_type="application/pdf")
    stored = documents.store_document(session, incident, documents.check_upload(printed),
                                      "receipt", staff=staff)
    receipt.document_id = stored.id
    note = in_office_language(_l("Receipt %(number)s issued: %(amount)s baht",
                                 number=receipt.label, amount=format_baht(receipt.amount_satang)))
    if replacing:
        workflow.perform(session, incident.id, "comment", staff, note=note, now=now)
    else:
        if incident.status == "new":
            workflow.perform(session, incident.id, "accept", staff, now=now)
        workflow.perform(session, incident.id, "resolve", staff, note=note, now=now)
    session.flush()
    return receipt


def void(session: Session, receipt_id: int, staff: User, reason: str, now: datetime) -> Receipt:
    """Void a receipt with a reason: its number stays used, its check page says void."""
    receipt = session.get(Receipt, receipt_id, with_for_update=True)
    if receipt is None:
        raise UserError("not_found", _l("No such payment, or it is not yours to handle"),
                        status=404)
    _payment_to_handle(session, receipt.incident_id, staff)
    if receipt.voided_at is not None:
        raise UserError("already_void", _l("This receipt is already void"), status=409)
    reason = (reason or "").strip()
    if not reason:
        raise UserError("reason_required", _l("Please write why the receipt is void"),
                        field="reason")
    if len(reason) > MAX_VOID_REASON:
        raise UserError("too_long", _l("This field is longer than %(limit)s characters",
                                       limit=MAX_VOID_REASON), field="reason")
    receipt.voided_at, receipt.voided_by, receipt.void_reason = now, staff.id, reason
    workflow.perform(session, receipt.incident_id, "comment", staff, now=now, note=in_office_language(
        _l("Receipt %(number)s void: %(reason)s", number=receipt.label, reason=reason)))
    session.flush()
    return receipt
