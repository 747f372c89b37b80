"""Appointments and bookings (services/appointments.py): the citizen's slot picker at
/report/<code> of an appointment-kind type, their cancel on the tracking page, and the
staff's day list (printable) and move page. Plain forms: the calendar is a list of radio
buttons by day, which works without JavaScript and on a phone."""
import secrets
from datetime import UTC, date, datetime, timedelta

from flask import Blueprint, redirect, render_template, request, url_for
from flask import session as browser
from flask_login import current_user

from mapdash import db
from mapdash.cases import ratelimit, replies
from mapdash.errors import UserError
from mapdash.i18n import LOCAL_TZ, _l
from mapdash.models import Booking, BookingResource, Category, Organization
from mapdash.office.auth import role_required
from mapdash.services import appointments, bookings, slots
from mapdash.views import citizen_forms
from mapdash.vocabulary import OFFICE_ROLES

bp = Blueprint("bookings", __name__)

DAYS_SHOWN = 7
FORM_FIELDS = ("slot", "description", "reporter_name", "reporter_phone", "reporter_email",
               "reporter_line_id")


@bp.app_context_processor
def _slot_lengths() -> dict:
    # A slot this long shows its end too on the calendar (the hall's half days).
    return {"long_slot": timedelta(hours=2)}


@bp.app_template_filter("slot_label")
def slot_label_filter(starts_at: datetime, ends_at: datetime) -> str:
    return slots.slot_label(starts_at, ends_at)


@bp.app_template_filter("thai_time")
def thai_time_filter(moment: datetime) -> str:
    return f"{moment.astimezone(LOCAL_TZ):%H:%M}"


@bp.app_template_filter("day_label")
def day_label_filter(day: date, long: bool = False) -> str:
    return slots.day_label(day, long)


def _now() -> datetime:
    return datetime.now(UTC)


def _first_day(now: datetime) -> date:
    """The calendar's first day: ?from=YYYY-MM-DD within the bookable range, else today."""
    today = slots.today(now)
    try:
        asked = date.fromisoformat((request.args.get("from") or "")[:10])
    except ValueError:
        return today
    return min(max(asked, today), today + timedelta(days=slots.DAYS_AHEAD))


def _resource_id(offered: list[BookingResource]) -> int | None:
    raw = request.values.get("resource", "")
    if raw.isdecimal() and len(raw) < 10 and int(raw) in {r.id for r in offered}:
        return int(raw)
    return offered[0].id if len(offered) == 1 else None


def appointment_form(org: Organization, category: Category, line_user: str | None,
                     line_token: str | None):
    """GET: the slot picker; POST: book it, then the tracking page as confirmation. A refused
    booking shows the form again with what was typed and why (4xx), nothing stored."""
    session = db.session()
    now = _now()
    offered = bookings.offered_resources(session, category.id)
    values = {field: request.form.get(field, "") for field in FORM_FIELDS}
    key = request.form.get("idempotency_key") or secrets.token_urlsafe(24)
    error: UserError | None = None
    if request.method == "POST":
        sent = citizen_forms.send(session, lambda: appointments.book(
            session, org.slug, category, appointments.Request(
                resource_id=_resource_id(offered), slot=values["slot"],
                reason=values["description"], reporter_name=values["reporter_name"],
                reporter_phone=values["reporter_phone"], reporter_email=values["reporter_email"],
                reporter_line_id=values["reporter_line_id"], reporter_line_user=line_user,
                idempotency_key=key), now))
        if not isinstance(sent, UserError):
            return sent  # stored: the tracking page
        error = sent
    resource_id = _resource_id(offered)
    resource = next((r for r in offered if r.id == resource_id), None)
    first = _first_day(now)
    if error is not None and values["slot"]:  # the calendar opens on the week of the refused slot
        try:
            first = min(max(slots.parse_slot(values["slot"]).date(), slots.today(now)),
                        slots.today(now) + timedelta(days=slots.DAYS_AHEAD))
        except UserError:
            pass
    calendar = bookings.week(session, resource, first, DAYS_SHOWN, now) if resource else []
    return citizen_forms.form_page(render_template(
        "public/form_appointment.html", org=org, category=category, offered=offered,
        resource=resource, calendar=calendar, first=first, values=values, error=error,
        idempotency_key=key, line_token=line_token if line_user else None,
        max_reason=appointments.MAX_REASON, days_shown=DAYS_SHOWN,
        previous=first - timedelta(days=DAYS_SHOWN) if first > slots.today(now) else None,
        next=first + timedelta(days=DAYS_SHOWN)
        if first + timedelta(days=DAYS_SHOWN) <= slots.today(now) + timedelta(days=slots.DAYS_AHEAD)
        else None), error)


@bp.post("/track/<code>/cancel")
def cancel(code):
    """The citizen cancels their appointment with the reply code (403 when it is wrong)."""
    from mapdash.views.public import _case_or_404, _track_page
    ratelimit.check_reports()  # each wrong code counts as a refused attempt
    session = db.session()
    incident = _case_or_404(code)
    typed = request.form.get("reply_code", "")[:40]
    try:
        appointments.cancel(session, incident, typed, _now())
    except UserError as refused:
        if refused.code == "bad_reply_code":
            ratelimit.count_refused()
        session.rollback()
        return _track_page(incident, status=refused.status, cancel_error=refused,
                           cancel_typed=typed)
    replies.keep_reply_code(browser, "reply_codes", incident.tracking_code,
                            replies.normalize_reply_code(typed))
    return redirect(url_for("public.track", code=incident.tracking_code, cancelled=1), 303)


def _department_filter() -> int | None:
    """An officer sees their department's bookings; admins and dispatchers every one."""
    return current_user.department_id if current_user.role == "officer" else None


@bp.get("/office/bookings")
@role_required(*OFFICE_ROLES)
def day():
    """The day's bookings per resource, to work from and to print."""
    now = _now()
    try:
        shown = date.fromisoformat((request.args.get("day") or "")[:10])
    except ValueError:
        shown = slots.today(now)
    listing = bookings.day_list(db.session(), current_user.organization_id, shown,
                                _department_filter())
    return render_template("office/bookings_day.html", day=shown, listing=listing,
                           previous=shown - timedelta(days=1), next=shown + timedelta(days=1),
                           today=slots.today(now), printed_at=now)


@bp.route("/office/bookings/<bigint_id:incident_id>/move", methods=["GET", "POST"])
@role_required(*OFFICE_ROLES)
def move(incident_id: int):
    """Staff move an appointment to another free slot of its resource, with a reason the
    citizen reads."""
    session = db.session()
    now = _now()
    booking = session.query(Booking).filter(Booking.incident_id == incident_id).first()
    from mapdash.cases import workflow
    if booking is None or not workflow.can_see(current_user, booking.incident):
        raise UserError("not_found", _l("No such case, or it is not yours to see"), status=404)
    values = {"slot": request.form.get("slot", ""), "note": request.form.get("note", "")}
    error, status = None, 200
    if request.method == "POST":
        try:
            appointments.move(session, current_user, incident_id, values["slot"], values["note"],
                              now)
        except UserError as refused:
            session.rollback()
            error, status = refused, refused.status
        else:
            day_of = booking.starts_at.astimezone(LOCAL_TZ).date()
            return redirect(url_for(".day", day=day_of.isoformat(), moved=booking.incident_id), 303)
        booking = session.query(Booking).filter(Booking.incident_id == incident_id).one()
    first = _first_day(now)
    return render_template(
        "office/booking_move.html", booking=booking, incident=booking.incident,
        calendar=bookings.week(session, booking.resource, first, DAYS_SHOWN, now), first=first,
        values=values, error=error, days_shown=DAYS_SHOWN,
        back_day=booking.starts_at.astimezone(LOCAL_TZ).date(),
        current=booking.starts_at.astimezone(LOCAL_TZ).strftime("%Y-%m-%dT%H:%M"),
        previous=first - timedelta(days=DAYS_SHOWN) if first > slots.today(now) else None,
        next=first + timedelta(days=DAYS_SHOWN)), status
