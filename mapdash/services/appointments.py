"""Appointments and bookings as cases (issue 13, item 1): a citizen books a free slot of a
resource the type offers (the case and its booking in one transaction, through the intake),
cancels it with their tracking and reply codes, and staff move it to another free slot.
Confirming and refusing are the workflow's accept and reject (a refusal frees the slot)."""
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from mapdash.cases import intake, replies, workflow
from mapdash.errors import UserError
from mapdash.i18n import Localized, _l, in_office_language
from mapdash.models import Booking, BookingResource, Category, Incident, User
from mapdash.services import bookings

MAX_REASON = 2000


@dataclass
class Request:
    """What the booking form sends."""
    resource_id: int | None
    slot: str
    reason: str
    reporter_name: str = ""
    reporter_phone: str = ""
    reporter_email: str = ""
    reporter_line_id: str = ""
    reporter_line_user: str | None = None
    idempotency_key: str | None = None


def _resource(session: Session, category: Category, resource_id: int | None) -> BookingResource:
    offered = bookings.offered_resources(session, category.id)
    chosen = next((r for r in offered if r.id == resource_id), None)
    if chosen is None:
        raise UserError("bad_resource", _l("Please choose what you want to book"),
                        field="resource")
    return chosen


def book(session: Session, organization_slug: str, category: Category, request: Request,
         now: datetime) -> Incident:
    """The case and its booking, or a UserError with nothing stored (the caller rolls back).
    A form sent twice (same idempotency key) returns the first case."""
    resource = _resource(session, category, request.resource_id)
    reason = " ".join((request.reason or "").split())
    if not reason:
        raise UserError("missing_reason", _l("Please say what the appointment is for"),
                        field="description")
    if len(reason) > MAX_REASON:
        raise UserError("too_long", _l("This field is longer than %(limit)s characters",
                                       limit=format(MAX_REASON, ",")), field="description")
    if not any((request.reporter_phone.strip(), request.reporter_email.strip(),
                request.reporter_line_user)):
        raise UserError("missing_contact", _l("Please give a phone number or an e-mail address, "
                                              "so the office can confirm"), field="reporter_phone")
    slot = bookings.checked_slot(session, resource, bookings.slot_rules.parse_slot(request.slot),
                                 now)
    incident = intake.create_incident(session, intake.Report(
        category_code=category.code, organization_slug=organization_slug, description=reason,
        reporter_name=request.reporter_name, reporter_phone=request.reporter_phone,
        reporter_email=request.reporter_email, reporter_line_id=request.reporter_line_id,
        reporter_line_user=request.reporter_line_user, channel="web",
        idempotency_key=request.idempotency_key), created_at=now)
    if bookings.of_case(session, incident.id) is None:  # not a repeat of an earlier send
        bookings.hold(session, incident, resource, slot)
    return incident


def cancel(session: Session, incident: Incident, reply_code: str, now: datetime) -> None:
    """The citizen calls off their appointment; the reply code proves it is theirs (403, and
    nothing changed, when it does not match)."""
    if not replies.reply_code_matches(incident, reply_code):
        raise UserError("bad_reply_code", _l("This reply code does not match this case: please "
                                             "check it"), field="reply_code", status=403)
    booking = bookings.of_case(session, incident.id)
    if booking is None or booking.released_at is not None or not incident.is_open:
        raise UserError("not_cancellable", _l("This appointment is no longer open: nothing to "
                                              "cancel"), status=409)
    workflow.perform(session, incident.id, "cancel", None, now=now)


def move(session: Session, actor: User, incident_id: int, slot_text: str, note: str,
         now: datetime) -> Booking:
    """Staff move the appointment to another free slot of the same resource; the citizen sees
    the new time and the reason on the tracking page (and by e-mail/LINE). Flushes."""
    booking = session.scalars(select(Booking).where(Booking.incident_id == incident_id)
                              .with_for_update()).first()
    if booking is None or not workflow.can_see(actor, booking.incident):
        raise UserError("not_found", _l("No such case, or it is not yours to see"), status=404)
    if not (note or "").strip():
        raise UserError("note_required", _l("Please write a message or reason"), field="note")
    slot = bookings.checked_slot(session, booking.resource, bookings.slot_rules.parse_slot(slot_text),
                                 now)
    before = booking.starts_at
    bookings.move(session, booking, slot)
    message = in_office_language(_l("Appointment moved to %(when)s (%(resource)s): %(note)s",
                                    when=bookings.slot_rules.SlotText(slot.starts_at, slot.ends_at),
                                    resource=Localized(booking.resource), note=note.strip()))
    workflow.perform(session, incident_id, "reschedule", actor, note=message[:workflow.MAX_NOTE],
                     moved={"from": before.isoformat(), "to": slot.starts_at.isoformat()}, now=now)
    return booking
