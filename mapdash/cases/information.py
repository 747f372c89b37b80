"""Information requests (ขอข้อมูลข่าวสาร, the Official Information Act B.E. 2540).

The case's description names the information wanted; a row of information_requests (sql/032)
says how the citizen receives it (a copy by e-mail, collected at the office, a copy by post
to an address; certified or not) and the last day of the answer's time limit: the day it was
asked plus the organization's number of days (organizations.information_days, set on
/admin/organization), fixed when it is asked, so a changed setting applies to new requests.

The answer (staff resolving the case, with a note) may carry files: private documents
(cases/documents.py, purpose "answer") that only the requester, with their reply code, and the
responsible department can open.

That limit is the case's clock: the tracking page counts down to it, and the office's queue
and case panel show it and call the case overdue after it (maps/geo.py, casefile.py), instead
of the steps of seed 001 meant for field work.
"""
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from mapdash.cases import documents
from mapdash.errors import UserError
from mapdash.i18n import LOCAL_TZ, _l
from mapdash.models import Incident, InformationRequest, Organization, User
from mapdash.vocabulary import INFORMATION_DELIVERIES

KIND = "information"
ANSWER = "answer"  # the purpose of the answer's files (cases/documents.py)
DAYS_RANGE = range(1, 91)  # sql/032 checks the same
MAX_ADDRESS = 500
FORM_FIELDS = ("delivery", "postal_address", "certified")


@dataclass(frozen=True)
class Delivery:
    """How the citizen wants the answer, as checked (check)."""
    delivery: str
    postal_address: str | None
    certified: bool


def typed(form) -> dict[str, str]:
    """The form's own fields as typed, to show them again after a refusal."""
    return {name: (form.get(name) or "")[:MAX_ADDRESS + 100] for name in FORM_FIELDS}


def check(values: dict[str, str], description: str, reporter_name: str | None,
          reporter_email: str | None) -> Delivery:
    """Refuse, before anything is stored, a request that names no information, no requester,
    a way to receive it that does not exist, a post without an address or an e-mail copy
    without an e-mail address."""
    if not description.strip():
        raise UserError("missing_information", _l("Please name the information you want"),
                        field="description")
    if not (reporter_name or "").strip():
        raise UserError("missing_name", _l("Please give your name: the answer is given to the "
                                           "person who asked"), field="reporter_name")
    delivery = values.get("delivery") or ""
    if delivery not in INFORMATION_DELIVERIES:
        raise UserError("bad_delivery", _l("Please choose how you want to receive the "
                                           "information"), field="delivery")
    address = " ".join((values.get("postal_address") or "").split()) or None
    if address and len(address) > MAX_ADDRESS:
        raise UserError("too_long", _l("This field is longer than %(limit)s characters",
                                       limit=MAX_ADDRESS), field="postal_address")
    if delivery == "post" and not address:
        raise UserError("missing_address", _l("Please give the postal address to send the copy "
                                              "to"), field="postal_address")
    if delivery == "email" and not (reporter_email or "").strip():
        raise UserError("missing_email", _l("Please give your e-mail address to receive the "
                                            "copy by e-mail"), field="reporter_email")
    return Delivery(delivery, address if delivery == "post" else None,
                    values.get("certified") in ("1", "on", "true"))


def due_on(organization: Organization, asked_at: datetime) -> date:
    """The last day (Thai date) of the answer's time limit for a request asked at `asked_at`."""
    return asked_at.astimezone(LOCAL_TZ).date() + timedelta(days=organization.information_days)


def store(session: Session, incident: Incident, delivery: Delivery) -> None:
    """The request's row, in the case's transaction. A form sent twice (the intake returned
    the case the first one stored) keeps its first row. Flushes."""
    session.execute(insert(InformationRequest).values(
        incident_id=incident.id, delivery=delivery.delivery,
        postal_address=delivery.postal_address, certified=delivery.certified,
        answer_due_on=due_on(incident.organization, incident.created_at),
    ).on_conflict_do_nothing(index_elements=["incident_id"]))


def of(session: Session, incident: Incident) -> InformationRequest | None:
    if incident.category.kind != KIND:
        return None
    return session.get(InformationRequest, incident.id)


def deadline(due_day: date) -> datetime:
    """The moment the answer becomes late: the end of its last day, Thai time."""
    return datetime.combine(due_day + timedelta(days=1), time(0), tzinfo=LOCAL_TZ)


@dataclass(frozen=True)
class Clock:
    due_day: datetime     # the last day, as a date to show (a naive midnight: thai_date)
    days_left: int        # whole days after today until that day (0: today; <0: late)
    overdue: bool


def clock(request: InformationRequest, now: datetime, is_open: bool) -> Clock:
    today = now.astimezone(LOCAL_TZ).date()
    return Clock(due_day=datetime.combine(request.answer_due_on, time(0)),
                 days_left=(request.answer_due_on - today).days,
                 overdue=is_open and now >= deadline(request.answer_due_on))


def may_attach(actor: User, incident: Incident) -> bool:
    """Who may attach the answer's files: those who may read them (the responsible
    department, the organization's admins)."""
    return incident.category.kind == KIND and documents.staff_may_read(actor, incident)


def attach_answer(session: Session, incident: Incident, action: str,
                  files: list[documents.CheckedDocument], actor: User) -> None:
    """Store the answer's checked files with the action that answers (resolve). Flushes."""
    if not files:
        return
    if incident.category.kind != KIND or action != "resolve":
        raise UserError("no_files_here", _l("Files go only with the answer to an information "
                                            "request (Resolve)"), field="documents")
    if not may_attach(actor, incident):
        raise UserError("not_your_answer", _l("Only the responsible department attaches the "
                                              "answer's files"), field="documents", status=403)
    for checked in files:
        documents.store_document(session, incident, checked, ANSWER, staff=actor)
