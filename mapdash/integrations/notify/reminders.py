"""The reminder of an appointment, the day before (issue 13, item 1): from REMINDER_HOUR
Thai time, every booking of tomorrow that still holds its slot, of an open case, gets one
message per recipient. The outbox's dedupe key (the booking and its start) makes it once,
however often the worker scans; an appointment moved to another day is reminded again."""
from datetime import datetime, time, timedelta

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from mapdash.i18n import LOCAL_TZ, Localized
from mapdash.integrations.notify import messages, outbox
from mapdash.models import Booking, Incident
from mapdash.services.slots import SlotText

REMINDER_HOUR = 8  # Thai time, the day before: not in the night


def scan(session: Session, app: Flask, now: datetime) -> int:
    """Enqueue the reminders due at `now`. Flushes; the caller commits. Returns how many
    bookings were reminded (or found already reminded)."""
    local = now.astimezone(LOCAL_TZ)
    if local.hour < REMINDER_HOUR:
        return 0
    tomorrow = datetime.combine(local.date() + timedelta(days=1), time(0), LOCAL_TZ)
    due = session.scalars(select(Booking).join(Incident, Incident.id == Booking.incident_id).where(
        Booking.released_at.is_(None), Incident.is_open,
        Booking.starts_at >= tomorrow, Booking.starts_at < tomorrow + timedelta(days=1))
        .order_by(Booking.starts_at, Booking.id))
    count = 0
    for booking in due:
        incident = booking.incident
        recipients = outbox.citizen_recipients(session, incident, reporter_only=True)
        if not recipients:
            continue
        url = outbox.link(app, "public.track", code=incident.tracking_code)
        payload = messages.booking_reminder(incident, SlotText(booking.starts_at, booking.ends_at),
                                            Localized(booking.resource), url)
        for channel, recipient in recipients:
            outbox.add(session, incident_id=incident.id, event_id=None, payload=payload,
                       channel=channel, recipient=recipient,
                       dedupe=f"reminder:{booking.id}:{booking.starts_at.isoformat()}")
        count += 1
    session.flush()
    return count
