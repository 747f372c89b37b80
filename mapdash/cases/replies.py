"""The citizen's answer to a staff question ("more information requested", seed 001 step 3).

Tracking codes are public (the /cases list), so knowing one is no right to answer. The
question's message (e-mail or LINE, sent to the reporter only) carries a signed link: the
case id and the id of the question's event, signed with SECRET_KEY (itsdangerous), good for
30 days. A link answers its own question once: after the answer, or when staff asked again
or moved the case on, it is refused. A LINE user whose own case waits may answer in the chat.

A reporter without e-mail or LINE gets no message and no link: a reply code, shown once when
they report on the web form (and kept in that browser), opens the same answer form from the
case's status page. Only its SHA-256 is stored; a reporter who did not keep it can still call
the office, where staff write their answer down (workflow "reply" by staff).

Every answer goes through workflow.perform("reply") (status back to accepted, the audit
event, the dispatcher's map); photos sent with it are stored in the same transaction.
"""
import hmac
import secrets
from collections.abc import MutableMapping, Sequence
from dataclasses import dataclass

from itsdangerous import BadData, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select
from sqlalchemy.orm import Session

from mapdash import tokens
from mapdash.cases import intake, workflow
from mapdash.cases.photos import MAX_PHOTOS, UploadedPhoto, store_photo
from mapdash.errors import UserError
from mapdash.i18n import _l
from mapdash.models import Incident, IncidentEvent

SALT = "mapdash.reply"
MAX_AGE_SECONDS = 30 * 24 * 3600
# 12 characters of the tracking codes' alphabet (no 0/O, 1/I/L): about 59 bits, read aloud
# or copied by hand as XXXX-XXXX-XXXX.
REPLY_CODE_LENGTH = 12


@dataclass(frozen=True)
class Question:
    incident: Incident
    event: IncidentEvent      # the staff's "request_info" event: its note is the question


class AlreadyAnswered(UserError):
    """The link's question is answered or no longer open: told kindly, nothing stored."""

    status = 409


def _serializer(secret_key: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt=SALT)


def make_token(secret_key: str, incident_id: int, event_id: int) -> str:
    return _serializer(secret_key).dumps([incident_id, event_id])


def _read_token(secret_key: str, token: str | None) -> tuple[int, int]:
    try:
        incident_id, event_id = _serializer(secret_key).loads(token or "", max_age=MAX_AGE_SECONDS)
    except SignatureExpired:
        raise UserError("reply_link_expired",
                        _l("This answer link has expired (it is good for 30 days): please contact "
                           "the office directly"), status=410) from None
    except (BadData, TypeError, ValueError):
        raise _bad_link() from None
    if not (isinstance(incident_id, int) and isinstance(event_id, int)):
        raise _bad_link()
    return incident_id, event_id


def _bad_link() -> UserError:
    return UserError("bad_reply_link",
                     _l("This answer link is not valid: open it from the LINE or e-mail message "
                        "you received"), status=403)


def open_question(session: Session, secret_key: str, code: str, token: str | None, *,
                  lock: bool = False) -> Question:
    """The question a reply link (for the case with tracking code `code`) answers.
    Raises UserError for a forged or expired link or one of another case, AlreadyAnswered
    when the question is no longer waiting. `lock`: hold the case row (before answering)."""
    incident_id, event_id = _read_token(secret_key, token)
    found = intake.find_by_code(session, code)
    if found is None or found.id != incident_id:
        raise _bad_link()
    incident = session.get_one(Incident, incident_id, with_for_update=lock,
                               populate_existing=lock)
    question = session.get(IncidentEvent, event_id)
    if question is None or question.incident_id != incident.id \
            or question.action != "request_info":
        raise _bad_link()
    if incident.status != "info_requested" or latest_question_id(session, incident.id) != event_id:
        answered = session.scalar(select(IncidentEvent.id).where(
            IncidentEvent.incident_id == incident.id, IncidentEvent.action == "reply",
            IncidentEvent.id > event_id).limit(1))
        if answered is not None:
            raise AlreadyAnswered("already_answered", _l("Your answer to this question has already "
                                                         "been received. Thank you."))
        raise AlreadyAnswered("question_closed", _l("This case no longer waits for an answer to "
                                                    "this question."))
    return Question(incident, question)


def latest_question_id(session: Session, incident_id: int) -> int | None:
    return session.scalar(select(IncidentEvent.id).where(
        IncidentEvent.incident_id == incident_id, IncidentEvent.action == "request_info")
        .order_by(IncidentEvent.id.desc()).limit(1))


def answer(session: Session, secret_key: str, code: str, token: str | None, text: str,
           photos: Sequence[UploadedPhoto] = ()) -> Incident:
    """Record the citizen's answer and its photos. Flushes; the caller commits. The case row
    is locked first, so a double-tapped submit finds the question answered."""
    question = open_question(session, secret_key, code, token, lock=True)
    if len(photos) > MAX_PHOTOS:
        raise UserError("too_many_photos", _l("At most %(max_photos)s photos",
                                              max_photos=MAX_PHOTOS), field="photos")
    workflow.perform(session, question.incident.id, "reply", None, note=text)
    for processed in photos:
        store_photo(session, question.incident, processed, "report")
    return question.incident


# A browser keeps the reply codes it was given (the newest few) in its session, under `name`:
# a citizen's status pages fill them in (static/js/reply-code.js keeps them longer, in
# localStorage), the counter's browser prints them on a receipt.
KEPT_REPLY_CODES = 10


def keep_reply_code(kept: MutableMapping, name: str, tracking_code: str,
                    reply_code: str | None) -> None:
    if reply_code:
        codes = {**kept.get(name, {}), tracking_code: reply_code}
        kept[name] = dict(list(codes.items())[-KEPT_REPLY_CODES:])


def normalize_reply_code(typed: str) -> str:
    """As a person types it: any case, with or without dashes and spaces."""
    raw = "".join(ch for ch in (typed or "").upper() if ch.isalnum())[:REPLY_CODE_LENGTH * 2]
    return "-".join(raw[i:i + 4] for i in range(0, len(raw), 4))


def draw_reply_code() -> tuple[str, str]:
    """A new reply code and its digest: the digest can be stored with the case's insert
    (intake.create_incident's reply_code_sha256), then issue_reply_code gives it out."""
    code = normalize_reply_code("".join(secrets.choice(intake.TRACKING_ALPHABET)
                                        for _ in range(REPLY_CODE_LENGTH)))
    return code, tokens.digest(code)


def issue_reply_code(incident: Incident, drawn: str | None = None) -> str | None:
    """A new reply code for a case just reported, to show the reporter once; None when the
    case already has one (the same report sent twice: the first answer showed it). `drawn`:
    the code whose digest was stored with the case, which is then this case's new code."""
    if drawn is not None and incident.reply_code_sha256 == tokens.digest(drawn):
        return drawn
    if incident.reply_code_sha256 is not None:
        return None
    code, incident.reply_code_sha256 = draw_reply_code()
    return code


def reply_code_matches(incident: Incident, typed: str | None) -> bool:
    """`typed` is the reply code the case's reporter was given (ratings.py asks it too)."""
    given = incident.reply_code_sha256
    return bool(typed) and given is not None and hmac.compare_digest(
        tokens.digest(normalize_reply_code(typed or "")), given)


def token_for_reply_code(session: Session, secret_key: str, incident: Incident,
                         typed: str) -> str:
    """The answer form's token for the question the case waits on, given its reply code."""
    if not reply_code_matches(incident, typed):
        raise UserError("bad_reply_code", _l("This is not the reply code of this case: it was "
                                             "shown when you reported. Or call the office"),
                        field="reply_code", status=403)
    question_id = latest_question_id(session, incident.id)
    if incident.status != "info_requested" or question_id is None:
        raise AlreadyAnswered("no_question", _l("This case does not wait for an answer from "
                                                "you now."))
    return make_token(secret_key, incident.id, question_id)


def waiting_case_of_line_user(session: Session, line_user: str) -> Incident | None:
    """The LINE user's own case that waits for their answer; of several, the one asked last."""
    return session.scalars(
        select(Incident).join(IncidentEvent, IncidentEvent.incident_id == Incident.id)
        .where(Incident.reporter_line_user == line_user, Incident.status == "info_requested",
               IncidentEvent.action == "request_info")
        .order_by(IncidentEvent.id.desc()).limit(1)).first()


def answer_from_line(session: Session, incident: Incident, text: str) -> None:
    """A text in the chat is the answer (perform locks the case and checks it still waits)."""
    workflow.perform(session, incident.id, "reply", None, note=text)
