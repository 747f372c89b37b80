"""Fee and tax payments (seed 004): the citizen sends the photo of a transfer slip, the amount,
the date and what it pays; the case goes to the finance division (routing.py), whose officers
check it against their account and issue the receipt (receipts.py).

A payment is a case of a type of kind "payment" with a `payments` row beside it and its slip
among the case's private documents (cases/documents.py, purpose "slip"), all written in one
transaction. A slip that looks like one sent for another payment, or carries the same bank
reference, is not refused (the citizen may have paid twice by mistake, or the officer may know
better) but flagged for the finance officer.
"""
import re
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation

from sqlalchemy import select, text
from sqlalchemy.orm import Session
from werkzeug.datastructures import FileStorage

from mapdash.api.params import Params
from mapdash.cases import documents, intake, workflow
from mapdash.errors import UserError
from mapdash.households.checks import house_number_text
from mapdash.i18n import (
    BE_OFFSET,
    LOCAL_TZ,
    _,
    _l,
    format_date,
    in_office_language,
    village_label,
)
from mapdash.models import Category, Household, Incident, Organization, Payment, Village
from mapdash.stats.period import month_name
from mapdash.vocabulary import TAX_KIND_LABELS, TAX_KINDS

MAX_AMOUNT = Decimal("10000000.00")  # ten million baht: a typo, not a garbage fee
# How old a transfer may be: a slip from last year is for the counter, not for this form.
MAX_TRANSFER_AGE = timedelta(days=366)
MAX_MONTHS = 12  # the garbage fee of at most a year at once
TAX_YEARS_BACK = 5  # a tax of up to five years ago may still be paid
# Two slips whose perceptual hashes differ in at most this many of 64 bits show the same
# image (a photo resent, recompressed or slightly cropped): field/evidence.py's measure.
SAME_IMAGE_BITS = 6
_THAI_DIGITS = str.maketrans("๐๑๒๓๔๕๖๗๘๙", "0123456789")
_AMOUNT = re.compile(r"^(\d{1,3}(,\d{3})+|\d+)(\.\d{1,2})?$")


class PaymentForm(Params):
    """What the payment form sends, as text: the checks that need today's date or the
    organization's villages are check_payment's."""
    payer_name: str = ""
    reporter_phone: str = ""
    reporter_email: str = ""
    amount: str = ""
    transferred_on: str = ""
    transfer_ref: str = ""
    house_number: str = ""
    village: str = ""
    month_from: str = ""
    month_to: str = ""
    tax_kind: str = ""
    tax_year: str = ""
    note: str = ""


@dataclass(frozen=True)
class CheckedPayment:
    pays_for: str
    amount_satang: int
    transferred_on: date
    transfer_ref: str | None
    payer_name: str
    house_number: str | None = None
    village_id: int | None = None
    household_id: int | None = None
    months_from: date | None = None
    months_to: date | None = None
    tax_kind: str | None = None
    tax_year: int | None = None


def pays_for(category: Category) -> str:
    """What a payment type's form asks: a household and months for the garbage fee (a type
    whose code begins with "garbage"), a tax and its year for any other."""
    return "garbage_fee" if category.code.startswith("garbage") else "tax"


def parse_amount(typed: str) -> int:
    """Satang from "1,250.50" (Thai digits and a trailing "บาท" welcome)."""
    cleaned = typed.translate(_THAI_DIGITS).replace(" ", "").removesuffix("บาท")
    if cleaned.startswith("-"):
        raise UserError("bad_amount", _l("The amount must be more than zero"), field="amount")
    if not _AMOUNT.match(cleaned):
        raise UserError("bad_amount", _l("The amount must be a number of baht, e.g. 1,250.50"),
                        field="amount")
    try:
        amount = Decimal(cleaned.replace(",", ""))
    except InvalidOperation:  # the pattern lets none through; kept for the type checker
        raise UserError("bad_amount", _l("The amount must be a number of baht, e.g. 1,250.50"),
                        field="amount") from None
    if amount <= 0:
        raise UserError("bad_amount", _l("The amount must be more than zero"), field="amount")
    if amount > MAX_AMOUNT:
        raise UserError("bad_amount", _l("The amount must be at most %(max)s baht",
                                         max=format_baht(int(MAX_AMOUNT * 100))), field="amount")
    return int(amount * 100)


def format_baht(satang: int) -> str:
    """1,250.50: the figures as a receipt prints them."""
    return f"{Decimal(satang) / 100:,.2f}"


def format_day(day: date) -> str:
    """A calendar day as format_date writes it ("13 ก.ย. 2569" in Thai)."""
    return format_date(datetime.combine(day, time(12), LOCAL_TZ))


def _transfer_date(typed: str, today: date) -> date:
    try:
        day = date.fromisoformat(typed)
    except ValueError:
        raise UserError("bad_date", _l("Please give the date of the transfer"),
                        field="transferred_on") from None
    if day > today:
        raise UserError("future_date", _l("The date of the transfer cannot be in the future"),
                        field="transferred_on")
    if today - day > MAX_TRANSFER_AGE:
        raise UserError("old_date", _l("This transfer is more than a year old: please bring the "
                                       "slip to the office"), field="transferred_on")
    return day


def _month(typed: str, field: str) -> date:
    """The first day of a month sent as YYYY-MM."""
    if re.fullmatch(r"\d{4}-\d{2}", typed):
        try:
            return date(int(typed[:4]), int(typed[5:]), 1)
        except ValueError:
            pass
    raise UserError("bad_month", _l("Please choose the months it pays for"), field=field)


def _months_between(first: date, last: date) -> int:
    return (last.year - first.year) * 12 + last.month - first.month + 1


def month_choices(today: date) -> list[tuple[str, str]]:
    """(YYYY-MM, "ตุลาคม 2569") for the year before and the year after this month."""
    first = date(today.year - 1, today.month, 1)
    months = []
    for step in range(25):
        year, month = divmod(first.month - 1 + step, 12)
        day = date(first.year + year, month + 1, 1)
        months.append((day.strftime("%Y-%m"), month_name(day)))
    return months


def tax_years(today: date) -> list[int]:
    """The Buddhist Era years a tax may be paid for: this one and the five before."""
    this_year = today.year + BE_OFFSET
    return list(range(this_year, this_year - TAX_YEARS_BACK - 1, -1))


def check_payment(session: Session, organization: Organization, category: Category,
                  form: PaymentForm, now: datetime) -> CheckedPayment:
    """The form's values checked, or a UserError naming the field (nothing stored)."""
    today = now.astimezone(LOCAL_TZ).date()
    payer = form.payer_name.strip()
    if not payer:
        raise UserError("missing_payer", _l("Please give the payer's name"), field="payer_name")
    if len(payer) > 200:
        raise UserError("too_long", _l("This field is longer than %(limit)s characters",
                                       limit=200), field="payer_name")
    amount = parse_amount(form.amount)
    transferred_on = _transfer_date(form.transferred_on, today)
    reference = re.sub(r"\s+", "", form.transfer_ref).upper() or None
    if reference and len(reference) > 64:
        raise UserError("too_long", _l("This field is longer than %(limit)s characters",
                                       limit=64), field="transfer_ref")
    checked = CheckedPayment("tax", amount, transferred_on, reference, payer)
    if pays_for(category) == "garbage_fee":
        return replace(checked, pays_for="garbage_fee",
                       **_household_months(session, organization, form, today))
    if form.tax_kind not in TAX_KINDS:
        raise UserError("bad_tax_kind", _l("Please choose the tax"), field="tax_kind")
    if not form.tax_year.isdecimal() or int(form.tax_year) not in tax_years(today):
        raise UserError("bad_tax_year", _l("Please choose the year the tax is for"),
                        field="tax_year")
    return replace(checked, tax_kind=form.tax_kind, tax_year=int(form.tax_year))


def _household_months(session: Session, organization: Organization, form: PaymentForm,
                      today: date) -> dict:
    house = form.house_number.strip()
    if not house or len(house) > 20:
        raise UserError("missing_house", _l("Please give the house number (at most 20 characters)"),
                        field="house_number")
    village_id = None
    if form.village.isdecimal() and len(form.village) < 6:
        village_id = session.scalar(select(Village.id).where(
            Village.organization_id == organization.id, Village.number == int(form.village)))
    if village_id is None:
        raise UserError("bad_village", _l("Please choose the village"), field="village")
    first, last = _month(form.month_from, "month_from"), _month(form.month_to, "month_to")
    allowed = {value for value, _label in month_choices(today)}
    if first.strftime("%Y-%m") not in allowed or last.strftime("%Y-%m") not in allowed:
        raise UserError("bad_month", _l("Please choose the months it pays for"),
                        field="month_from")
    if last < first or _months_between(first, last) > MAX_MONTHS:
        raise UserError("bad_months", _l("The last month must come after the first, at most "
                                         "%(max)s months in all", max=MAX_MONTHS),
                        field="month_to")
    # The surveyed household of that number in that village, when the office has imported
    # its households (sql/036): the fee is then on the household's account, not just a text.
    household_id = session.scalar(select(Household.id).where(
        Household.organization_id == organization.id, Household.village_id == village_id,
        Household.house_number == (house_number_text(house) or house)))
    return dict(house_number=house, village_id=village_id, household_id=household_id,
                months_from=first, months_to=last)


def send_payment(session: Session, organization: Organization, category: Category,
                 form: PaymentForm, slip: FileStorage | None, now: datetime,
                 idempotency_key: str | None = None, channel: str = "web") -> Incident:
    """Check everything, then store the case, its payment and its slip together. Flushes;
    the caller commits. A form sent twice (the same key) gives the first case back."""
    checked = check_payment(session, organization, category, form, now)
    if slip is None or not slip.filename:
        raise UserError("missing_slip", _l("Please attach the photo of the transfer slip"),
                        field="slip")
    checked_slip = documents.check_upload(slip, field="slip")
    incident = intake.create_incident(session, intake.Report(
        category_code=category.code, organization_slug=organization.slug,
        description=(form.note or "").strip(), reporter_name=checked.payer_name,
        reporter_phone=form.reporter_phone, reporter_email=form.reporter_email,
        channel=channel, idempotency_key=idempotency_key))
    if session.get(Payment, incident.id) is not None:
        return incident  # the same form sent twice
    payment = Payment(incident_id=incident.id, organization_id=organization.id,
                      **checked.__dict__, reused=[])
    session.add(payment)
    session.flush()
    stored = documents.store_document(session, incident, checked_slip, "slip")
    payment.reused = reused_slip(session, payment, stored)
    session.flush()
    return incident


def send_new_slip(session: Session, incident: Incident, slip: FileStorage | None) -> None:
    """The citizen's clearer slip, asked for by the finance division (request_info): stored
    beside the first, checked against earlier payments, and the case back in the queue
    (the workflow's "reply", which refuses unless the case waits on the citizen). Flushes."""
    payment = session.get(Payment, incident.id)
    if payment is None:
        raise UserError("unknown_case", _l("No case has this code: please check it"), status=404)
    if slip is None or not slip.filename:
        raise UserError("missing_slip", _l("Please attach the photo of the transfer slip"),
                        field="slip")
    checked = documents.check_upload(slip, field="slip")
    workflow.perform(session, incident.id, "reply", None,
                     note=in_office_language(_l("A new slip was sent")))
    stored = documents.store_document(session, incident, checked, "slip")
    known = {flag["incident_id"] for flag in payment.reused}
    payment.reused = payment.reused + [flag for flag in reused_slip(session, payment, stored)
                                       if flag["incident_id"] not in known]
    session.flush()


def reused_slip(session: Session, payment: Payment, slip) -> list[dict]:
    """Earlier payments of the organization whose slip is the same image (the same bytes, or
    perceptual hashes at most SAME_IMAGE_BITS apart) or whose transfer has the same reference:
    [{"incident_id", "code", "why"}], oldest first."""
    rows = session.execute(text("""
        SELECT p.incident_id, i.tracking_code AS code,
               bool_or(d.sha256 = :sha256 OR bit_count((d.phash # :phash)::bit(64)) <= :bits)
                   AS same_image,
               bool_or(p.transfer_ref = :reference) AS same_reference
        FROM payments p
        JOIN incidents i ON i.id = p.incident_id
        LEFT JOIN case_documents d ON d.incident_id = p.incident_id AND d.purpose = 'slip'
        WHERE p.organization_id = :org AND p.incident_id <> :incident
          AND (p.transfer_ref = :reference OR d.sha256 = :sha256
               OR bit_count((d.phash # :phash)::bit(64)) <= :bits)
        GROUP BY p.incident_id, i.tracking_code
        ORDER BY p.incident_id"""),
        {"org": payment.organization_id, "incident": payment.incident_id,
         "reference": payment.transfer_ref, "sha256": slip.sha256, "phash": slip.phash,
         "bits": SAME_IMAGE_BITS}).all()
    return [{"incident_id": row.incident_id, "code": row.code,
             "why": "same_image" if row.same_image else "same_reference"} for row in rows]


REUSE_REASONS = {
    "same_image": _l("the same slip image"),
    "same_reference": _l("the same transfer reference"),
}


def pays_for_text(payment: Payment) -> str:
    """What it pays, as a sentence in the current language (the receipt's "for")."""
    if payment.pays_for == "garbage_fee":
        first, last = payment.months_from, payment.months_to
        assert first is not None and last is not None
        months = month_name(first) if first == last else \
            _("%(first)s to %(last)s", first=month_name(first), last=month_name(last))
        house = _("house %(number)s", number=payment.house_number)
        if payment.village is not None:
            house += " " + str(village_label(payment.village))
        return _("Garbage collection fee, %(house)s, %(months)s", house=house, months=months)
    return _("%(tax)s for the year %(year)s", tax=TAX_KIND_LABELS[payment.tax_kind or "other"],
             year=payment.tax_year)


def payment_of(session: Session, incident_id: int) -> Payment | None:
    return session.get(Payment, incident_id)
