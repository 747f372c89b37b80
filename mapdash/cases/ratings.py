"""The reporter rates the result of a resolved case, or says it is not fixed (issue 12;
Traffy Fondue's `star` and `count_reopen`).

Only the reporter may: tracking codes are public, so knowing one is no right. The "resolved"
message (e-mail or LINE, sent to the reporter only) carries a signed link to the status page
(the case id, signed with SECRET_KEY under its own salt, good for a year, the longest
"not fixed" window an organization may set); a reporter who reported on the web form proves it
with the reply code they were given then (replies.py), which their browser keeps.

- A rating is 1-5 stars and an optional comment, once per case: the row's primary key is the
  case, so two taps at once store one, and a case reopened and resolved again keeps its
  first rating. Only a resolved case (not a crew's closing still under review) is rated.
- "Not fixed", with a short note, within the organization's `not_fixed_days` of the
  resolution (closed_at): workflow "not_fixed" takes the case back to "new", the dispatcher's
  queue and alert, and counts a reopen. After that window it is refused.
"""
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from itsdangerous import BadData, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from mapdash.cases import replies, tracking, workflow
from mapdash.errors import UserError
from mapdash.i18n import _l
from mapdash.models import CaseRating, Incident, IncidentEvent

SALT = "mapdash.rating"
MAX_AGE_SECONDS = 365 * 24 * 3600
MAX_COMMENT = 1000   # sql/020 checks the same
MAX_NOT_FIXED_NOTE = 500
STARS = range(1, 6)


def make_token(secret_key: str, incident_id: int) -> str:
    return URLSafeTimedSerializer(secret_key, salt=SALT).dumps(incident_id)


def _bad_link() -> UserError:
    return UserError("bad_rating_link",
                     _l("This link is not valid for this case: open it from the LINE or e-mail "
                        "message you received"), status=403)


def check_token(secret_key: str, incident: Incident, token: str) -> None:
    """Raises UserError unless `token` is this case's rating link, still good."""
    try:
        incident_id = URLSafeTimedSerializer(secret_key, salt=SALT).loads(
            token, max_age=MAX_AGE_SECONDS)
    except SignatureExpired:
        raise UserError("rating_link_expired",
                        _l("This link has expired: please contact the office directly"),
                        status=410) from None
    except BadData:
        raise _bad_link() from None
    if incident_id != incident.id:
        raise _bad_link()


def check_reporter(secret_key: str, incident: Incident, token: str | None,
                   reply_code: str | None) -> None:
    """The person asking is the reporter: the link of their message, or their reply code."""
    if token:
        check_token(secret_key, incident, token)
    elif not replies.reply_code_matches(incident, reply_code):
        raise UserError("bad_reply_code",
                        _l("This is not the reply code of this case: it was shown when you "
                           "reported. Or use the link in the LINE or e-mail message you "
                           "received"), field="reply_code", status=403)


@dataclass(frozen=True)
class Feedback:
    """What the status page offers or shows the reporter of a case."""
    rating: CaseRating | None
    can_rate: bool            # resolved and not rated yet
    not_fixed_until: datetime | None   # the end of the "not fixed" window, if it is open now
    window_closed: bool       # resolved, but the window has passed


def not_fixed_deadline(incident: Incident, days: int) -> datetime | None:
    return incident.closed_at + timedelta(days=days) if incident.closed_at else None


def _rateable(incident: Incident) -> bool:
    return incident.status == "resolved" and not tracking.under_review(incident)


def feedback(session: Session, incident: Incident, now: datetime) -> Feedback:
    rating = session.get(CaseRating, incident.id)
    rateable = _rateable(incident)
    deadline = not_fixed_deadline(incident, incident.organization.not_fixed_days)
    # Only a problem can come back: an allowance is applied for again, a wrong receipt voided,
    # an answered request asked anew.
    reopenable = rateable and incident.category.kind == "report"
    in_window = reopenable and deadline is not None and now <= deadline
    return Feedback(rating=rating, can_rate=rateable and rating is None,
                    not_fixed_until=deadline if in_window else None,
                    window_closed=reopenable and not in_window)


def _locked(session: Session, incident_id: int) -> Incident:
    return session.get_one(Incident, incident_id, with_for_update=True, populate_existing=True)


def _not_resolved() -> UserError:
    return UserError("not_resolved", _l("This case is not resolved yet: you can rate it, or say "
                                        "it is not fixed, once the office has resolved it"),
                     status=409)


def rate(session: Session, incident_id: int, stars: int | None, comment: str | None,
         now: datetime | None = None) -> CaseRating:
    """Store the reporter's rating (the caller has checked who they are). Flushes."""
    if stars not in STARS:
        raise UserError("bad_stars", _l("Choose from 1 to 5 stars"), field="stars")
    comment = (comment or "").strip()
    if len(comment) > MAX_COMMENT:
        raise UserError("too_long", _l("The comment is longer than %(limit)s characters",
                                       limit=format(MAX_COMMENT, ",")), field="comment")
    incident = _locked(session, incident_id)
    if not _rateable(incident):
        raise _not_resolved()
    stored = session.scalar(insert(CaseRating).values(
        incident_id=incident.id, stars=stars, comment=comment, created_at=now or datetime.now(UTC))
        .on_conflict_do_nothing(index_elements=["incident_id"]).returning(CaseRating.incident_id))
    if stored is None:
        raise UserError("already_rated", _l("This case has already been rated. Thank you."),
                        status=409)
    return session.get_one(CaseRating, incident.id)


def not_fixed(session: Session, incident_id: int, note: str | None,
              now: datetime | None = None) -> Incident:
    """The reporter says the resolved case is not fixed: reopened through the workflow (back
    to the dispatcher as "new", a public event with the note, one more reopen). Flushes."""
    now = now or datetime.now(UTC)
    note = (note or "").strip()
    if not note:
        raise UserError("note_required", _l("Please say briefly what is still wrong"),
                        field="note")
    if len(note) > MAX_NOT_FIXED_NOTE:
        raise UserError("too_long", _l("The message is longer than %(limit)s characters",
                                       limit=MAX_NOT_FIXED_NOTE), field="note")
    incident = _locked(session, incident_id)
    if incident.category.kind != "report":
        raise UserError("not_reopenable", _l("Only a problem report can be reopened as not "
                                             "fixed: for this service, please call the office"),
                        status=409)
    if not _rateable(incident):
        last = session.scalar(select(IncidentEvent.action).where(
            IncidentEvent.incident_id == incident.id, IncidentEvent.from_status.is_not(None),
            IncidentEvent.to_status != IncidentEvent.from_status)
            .order_by(IncidentEvent.id.desc()).limit(1))
        if last == "not_fixed":  # a double tap, or a second try while the staff look again
            raise UserError("already_reopened", _l("The office already knows it is not fixed: "
                                                   "the case is open again"), status=409)
        raise _not_resolved()
    days = incident.organization.not_fixed_days
    deadline = not_fixed_deadline(incident, days)
    if deadline is None or now > deadline:
        raise UserError("not_fixed_too_late",
                        _l("It is more than %(days)s days since this case was resolved, so it "
                           "can no longer be reopened here: please report the problem again as "
                           "a new case, or call the office", days=days), status=409)
    workflow.perform(session, incident.id, "not_fixed", None, note=note, now=now)
    return incident
