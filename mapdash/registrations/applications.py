"""Applications for a registration type: the form's fields checked, the case stored with its
personal data (table registrations, sql/034) and its documents in one transaction, and what
staff read of them.

The case itself (incidents) carries the applicant's name and phone as its reporter's contact,
which staff already read; the ID number, birth date, address and bank account stay in the
registration row, shown whole only to the type's department and the organization's admins
(cases/documents.staff_may_read) and masked in lists. The case's description is left empty:
its public status page says nothing about the person.
"""
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated

from pydantic import Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from mapdash.api.params import Params, Refusal
from mapdash.cases import documents, intake
from mapdash.errors import UserError
from mapdash.i18n import _l
from mapdash.models import Category, Incident, Organization, Registration, User, Village
from mapdash.registrations import rules
from mapdash.vocabulary import EMAIL, REGISTRATION_DOCUMENT_LABELS

# The banks an allowance is paid into (the Department of Local Administration pays by
# transfer): code, Thai, English.
BANKS = {
    "baac": ("ธนาคารเพื่อการเกษตรและสหกรณ์การเกษตร (ธ.ก.ส.)", "BAAC"),
    "ktb": ("ธนาคารกรุงไทย", "Krungthai Bank"),
    "gsb": ("ธนาคารออมสิน", "Government Savings Bank"),
    "bbl": ("ธนาคารกรุงเทพ", "Bangkok Bank"),
    "kbank": ("ธนาคารกสิกรไทย", "Kasikornbank"),
    "scb": ("ธนาคารไทยพาณิชย์", "Siam Commercial Bank"),
    "bay": ("ธนาคารกรุงศรีอยุธยา", "Krungsri"),
    "ttb": ("ธนาคารทหารไทยธนชาต", "TMBThanachart Bank"),
    "ghb": ("ธนาคารอาคารสงเคราะห์", "Government Housing Bank"),
    "ibank": ("ธนาคารอิสลามแห่งประเทศไทย", "Islamic Bank of Thailand"),
}
MAX_DOCUMENTS = 10


def bank_name(code: str, lang: str) -> str:
    names = BANKS.get(code)
    return code if names is None else names[0 if lang == "th" else 1]


_TOO_LONG = _l("This text is too long")


class ApplicationForm(Params):
    """The applicant's fields as the form names them (the documents come as files,
    `doc-PURPOSE`)."""
    full_name: Annotated[str, Field(min_length=3, max_length=200), Refusal(
        "name_required", _l("Write the applicant's first name and family name, as on the ID "
                            "card"), field="full_name")]
    national_id: Annotated[str, Field(max_length=40), Refusal(
        "bad_national_id", _l("Write the 13 digits of the ID card number"))]
    birth_day: Annotated[str, Field(max_length=4), Refusal(
        "bad_birth_date", _l("Write the birth date as day, month and year (e.g. 15 March "
                             "2503)"), field="birth_date")]
    birth_month: Annotated[str, Field(max_length=4), Refusal(
        "bad_birth_date", _l("Write the birth date as day, month and year (e.g. 15 March "
                             "2503)"), field="birth_date")]
    birth_year: Annotated[str, Field(max_length=6), Refusal(
        "bad_birth_date", _l("Write the birth date as day, month and year (e.g. 15 March "
                             "2503)"), field="birth_date")]
    village: Annotated[str, Field(pattern=r"^[0-9]{1,3}$"), Refusal(
        "bad_village", _l("Choose the village you live in"))]
    address: Annotated[str, Field(min_length=1, max_length=500), Refusal(
        "address_required", _l("Write the house number and street or lane (at most 500 "
                               "characters)"))]
    phone: Annotated[str, Field(min_length=9, max_length=40, pattern=r"^[0-9๐-๙ +()-]+$"),
                     Refusal("bad_phone", _l("Write a phone number the office can call, e.g. "
                                             "081-234-5678"))]
    email: Annotated[str | None, Field(max_length=254), Refusal("too_long", _TOO_LONG)] = None
    bank: Annotated[str, Field(max_length=40), Refusal(
        "bad_bank", _l("Choose the bank of the account the allowance is paid into"))]
    account_number: Annotated[str, Field(max_length=40), Refusal(
        "bad_account", _l("Write the account number: 10 to 15 digits, as in the bank book"))]
    account_name: Annotated[str, Field(min_length=3, max_length=200), Refusal(
        "account_name_required", _l("Write the name of the account, as in the bank book"))]


@dataclass(frozen=True)
class Application:
    """A checked application: the fields as stored, the documents by purpose."""
    full_name: str
    national_id: str
    birth_date: date
    village_number: int
    address: str
    phone: str
    email: str | None
    bank: str
    account_number: str
    account_name: str


def check_form(form: ApplicationForm) -> Application:
    """The fields one by one, in the form's order, each refused with its own message."""
    national_id = rules.check_national_id(form.national_id)
    birth = rules.parse_birth_date(form.birth_day, form.birth_month, form.birth_year)
    if form.bank not in BANKS:
        raise UserError("bad_bank", _l("Choose the bank of the account the allowance is paid "
                                       "into"), field="bank")
    account = rules.digits_of(form.account_number)
    if not 10 <= len(account) <= 15:
        raise UserError("bad_account", _l("Write the account number: 10 to 15 digits, as in "
                                          "the bank book"), field="account_number")
    if form.email and not EMAIL.match(form.email):
        raise UserError("bad_email", _l("This e-mail address is not valid"), field="email")
    return Application(full_name=" ".join(form.full_name.split()), national_id=national_id,
                       birth_date=birth, village_number=int(form.village),
                       address=form.address, phone=form.phone, email=form.email or None,
                       bank=form.bank, account_number=account,
                       account_name=" ".join(form.account_name.split()))


def check_documents(category: Category,
                    uploads: Mapping[str, Sequence]) -> list[tuple[str, documents.CheckedDocument]]:
    """The files sent for each document the type asks for (`uploads`: purpose -> files),
    each checked as a real image or PDF; a required document missing is refused by name."""
    required = rules.Rules.of(category.registration).documents
    checked: list[tuple[str, documents.CheckedDocument]] = []
    for purpose in (*required, *(p for p in uploads if p not in required)):
        files = [upload for upload in uploads.get(purpose, ()) if upload.filename]
        if not files and purpose in required:
            raise UserError("document_missing", _l(
                "Please attach every document asked for: %(document)s is missing",
                document=REGISTRATION_DOCUMENT_LABELS[purpose]), field=f"doc-{purpose}")
        try:
            checked += [(purpose, document) for document in documents.check_uploads(files)]
        except UserError as refused:
            raise UserError(refused.code, refused.message, field=f"doc-{purpose}",
                            status=refused.status) from None
    if len(checked) > MAX_DOCUMENTS:
        raise UserError("too_many_documents", _l("At most %(n)s files in all", n=MAX_DOCUMENTS),
                        status=413)
    return checked


def already_applied(session: Session, category: Category, national_id: str,
                    fiscal_year: int) -> bool:
    """An application of this ID number for this type and year that is not refused."""
    return session.scalar(
        select(Registration.incident_id).join(Incident, Incident.id == Registration.incident_id)
        .where(Registration.fiscal_year == fiscal_year, Registration.national_id == national_id,
               Incident.category_id == category.id,
               Incident.status.notin_(("rejected", "duplicate"))).limit(1)) is not None


def apply(session: Session, category: Category, form: ApplicationForm,
          uploads: Mapping[str, Sequence], *, now: datetime, idempotency_key: str | None = None,
          channel: str = "web") -> Incident:
    """Check everything, then store the case, its registration row and its documents.
    Flushes; the caller commits (a refusal leaves nothing behind: the caller rolls back)."""
    application = check_form(form)
    fiscal_year = rules.check_eligible(rules.Rules.of(category.registration),
                                       application.birth_date, now)
    checked = check_documents(category, uploads)
    if already_applied(session, category, application.national_id, fiscal_year):
        raise UserError("already_applied", _l(
            "An application for this ID number is already on file for fiscal year %(year)s: "
            "follow it with its tracking code, or call the office", year=fiscal_year),
            field="national_id", status=409)
    organization = session.get_one(Organization, category.organization_id)
    incident = intake.create_incident(session, intake.Report(
        category_code=category.code, organization_slug=organization.slug,
        reporter_name=application.full_name, reporter_phone=application.phone,
        reporter_email=application.email, channel=channel, idempotency_key=idempotency_key,
        village_number=application.village_number), created_at=now)
    if session.get(Registration, incident.id) is not None:
        return incident  # the same form sent twice: stored the first time
    session.add(Registration(
        incident_id=incident.id, full_name=application.full_name,
        national_id=application.national_id, birth_date=application.birth_date,
        village_id=incident.village_id, address=application.address, phone=application.phone,
        bank=application.bank, account_number=application.account_number,
        account_name=application.account_name, fiscal_year=fiscal_year))
    for purpose, document in checked:
        documents.store_document(session, incident, document, purpose)
    session.flush()
    return incident


def registration_for(session: Session, actor: User, incident: Incident) -> Registration | None:
    """The case's registration row, if `actor` may read it (the type's department, admins)."""
    if not documents.staff_may_read(actor, incident):
        return None
    return session.get(Registration, incident.id)


def villages(session: Session, organization_id: int) -> list[Village]:
    return list(session.scalars(select(Village).where(
        Village.organization_id == organization_id).order_by(Village.number)))
