"""What the LINE Official Account answers, and the record that makes each event count once.

Only a correctly signed body is read (HMAC-SHA256 of the raw body with the channel secret).
Each event's webhookEventId is stored in line_webhook_events in the request's transaction:
a redelivered event finds its row (or waits for the first delivery's transaction to finish)
and is skipped. Replies go out before that transaction commits; if LINE cannot be reached
the request fails, nothing is stored, and LINE's redelivery brings the event back.

Answers (to people chatting one to one with the account, never inside staff groups):
- follow (added as a friend): greeting and the report link; follow and unfollow (blocked)
  are remembered in line_followers, the "all LINE followers" of announcements;
- a shared location: the report link with that place set;
- a text with a tracking code: the case's status, its last public note and its link;
- any other text from a user whose own case waits for more information: the answer to the
  latest such question (replies.py), thanked with the case's link;
- a word asking to report (REPORT_WORDS) / the rich menu's postback `action=report`: the
  report link;
- any other text: short help.
Every report link carries the user's signed LINE userId (links.py). Thai only, short.

Thai appears in this file only as the words a user may type to ask for the report link.
"""
import base64
import hashlib
import hmac
import itertools
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime

from flask import current_app, url_for
from linebot.v3.messaging import LocationAction, QuickReply, QuickReplyItem
from sqlalchemy import update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from mapdash.cases import intake, replies, tracking, workflow
from mapdash.errors import UserError
from mapdash.i18n import LazyText, _l, in_language
from mapdash.integrations.line import links, sender
from mapdash.integrations.notify.delivery import DeliveryError
from mapdash.models import LineFollower, LineWebhookEvent, Organization
from mapdash.vocabulary import STATUS_LABELS

# A tracking code inside a sentence: 4 + 4 letters or digits, maybe split by a dash or space.
_CODE = re.compile(r"(?<![A-Za-z0-9])([A-Za-z0-9]{4})[\s-]?([A-Za-z0-9]{4})(?![A-Za-z0-9])")
REPORT_WORDS = ("แจ้งเรื่อง", "แจ้งปัญหา", "report")
REPORT_POSTBACK = "action=report"
MAX_CODES = 5  # tracking codes looked up in one text
_EVENT_ID = re.compile(r"[0-9A-Za-z_-]{1,64}")  # a ULID in practice
_EVENT_TYPE = re.compile(r"[A-Za-z]{1,40}")


def _thai(message: LazyText) -> str:
    """LINE answers are in Thai (the account's users chat in Thai)."""
    return in_language(message, "th")


@dataclass
class Answer:
    event_id: str
    reply_token: str
    messages: list


def signature_is_valid(channel_secret: str, body: bytes, signature: str | None) -> bool:
    if not signature:
        return False
    digest = hmac.new(channel_secret.encode(), body, hashlib.sha256).digest()
    return hmac.compare_digest(base64.b64encode(digest), signature.strip().encode())


def parse_events(body: bytes) -> list[dict]:
    """The events of a signed webhook body; a body that is not LINE's JSON is refused."""
    try:
        payload = json.loads(body)
    except (ValueError, RecursionError):  # also bytes that are not UTF-8, absurd nesting
        payload = None
    events = payload.get("events") if isinstance(payload, dict) else None
    if not isinstance(events, list) or not all(isinstance(e, dict) for e in events):
        raise UserError("bad_webhook", _l("Not a LINE webhook body"))
    return events


def record_and_answer(session: Session, events: list[dict]) -> list[Answer]:
    """Record every new event and decide its reply. Events seen before are skipped.
    Flushes; the caller sends the answers (send_answers) and commits."""
    answers = []
    for event in events:
        event_id, kind = event.get("webhookEventId"), event.get("type")
        if not isinstance(event_id, str) or not _EVENT_ID.fullmatch(event_id):
            continue  # without its id an event could not be told from a redelivery
        known_kind = isinstance(kind, str) and _EVENT_TYPE.fullmatch(kind)
        first_time = session.execute(
            insert(LineWebhookEvent)
            .values(webhook_event_id=event_id, event_type=kind if known_kind else "?")
            .on_conflict_do_nothing()
            .returning(LineWebhookEvent.webhook_event_id)).first()
        if first_time is None:
            continue
        if kind in ("follow", "unfollow"):  # who gets announcements (news/line_push.py)
            _remember_follower(session, event, following=kind == "follow")
        token = event.get("replyToken")
        answerable = isinstance(token, str) and token and event.get("mode") != "standby"
        messages = _answer(session, event) if answerable else None
        if messages and isinstance(token, str):
            answers.append(Answer(event_id, token, messages))
    session.flush()
    return answers


def send_answers(session: Session, config: dict, answers: list[Answer]) -> None:
    """Reply to each event and record how it went. A refusal for good (an expired reply
    token) is recorded; a failure worth retrying raises DeliveryError, so the request
    fails and LINE delivers the events again."""
    for answer in answers:
        try:
            sender.reply(config, answer.reply_token, answer.messages)
        except DeliveryError as exc:
            if not exc.permanent:
                raise
            values: dict[str, object] = {"reply_error": str(exc)[:500]}
        else:
            values = {"replied_at": datetime.now(UTC)}
        session.execute(update(LineWebhookEvent)
                        .where(LineWebhookEvent.webhook_event_id == answer.event_id)
                        .values(**values))
    session.flush()


def _field(value, kind):
    """An event's field if it has the type LINE gives it, else an empty one: a signed body
    is LINE's, but a field of another type must not break the answer."""
    return value if isinstance(value, kind) else kind()


def _answer(session: Session, event: dict) -> list | None:
    source = _field(event.get("source"), dict)
    kind = event.get("type")
    if kind == "join" and source.get("type") == "group":
        # Staff add the account to their department's group: tell them its id for the setting.
        group = _field(source.get("groupId"), str)[:64]
        return [sender.text_message(_thai(_l("Group connected. An administrator enters this group "
                                             "id in the department's settings to get new cases "
                                             "here:\n%(group)s", group=group)))]
    user = _field(source.get("userId"), str) if source.get("type") == "user" else ""
    if not 0 < len(user) <= links.LINE_USER_ID:
        return None
    if kind == "follow":
        return [_with_location_button(_thai(_l("Hello, thank you for adding us.\nReport a local "
                                               "problem here, or tap \"Send location\" "
                                               "below\n%(link)s\nFollow a case: send its code, "
                                               "e.g. ABCD-2345", link=report_link(session, user))))]
    if kind == "postback" and _field(event.get("postback"), dict).get("data") == REPORT_POSTBACK:
        return [_with_location_button(_thai(_l("Report here, or tap \"Send location\" to set the "
                                               "place\n%(link)s", link=report_link(session, user))))]
    if kind != "message":
        return None
    message = _field(event.get("message"), dict)
    if message.get("type") == "location":
        return [sender.text_message(_location_answer(session, user, message))]
    if message.get("type") == "text":
        return [_text_answer(session, user, _field(message.get("text"), str))]
    return [_with_location_button(_thai(_l("Send a case code (e.g. ABCD-2345) to see its status, "
                                           "or tap \"Send location\" to report a new "
                                           "problem\n%(link)s", link=report_link(session, user))))]


def _remember_follower(session: Session, event: dict, following: bool) -> None:
    """A user who added (or blocked) the account; an unfollow comes without a reply token."""
    source = _field(event.get("source"), dict)
    user = _field(source.get("userId"), str) if source.get("type") == "user" else ""
    if not 0 < len(user) <= links.LINE_USER_ID:
        return
    now = datetime.now(UTC)
    session.execute(insert(LineFollower).values(
        line_user=user, followed_at=now, unfollowed_at=None if following else now)
        .on_conflict_do_update(index_elements=["line_user"], set_={
            "followed_at": now, "unfollowed_at": None} if following else {"unfollowed_at": now}))


def report_link(session: Session, user: str, *, org: Organization | None = None,
                lat: float | None = None, lon: float | None = None) -> str:
    """The home page (choose what happened), carrying the signed LINE user and the place."""
    params = {"line": links.sign_user(current_app.config["SECRET_KEY"], user)}
    if org is not None:
        params["org"] = org.slug
    if lat is not None and lon is not None:
        params.update(lat=format(lat, ".6f"), lon=format(lon, ".6f"))
    return url_for("public.home", _external=True, **params)


def _location_answer(session: Session, user: str, message: dict) -> str:
    try:
        lat = intake.parse_coordinate(message.get("latitude"), "latitude", -90, 90)
        lon = intake.parse_coordinate(message.get("longitude"), "longitude", -180, 180)
    except UserError:
        return _thai(_l("Send a case code (e.g. ABCD-2345) to see its status, or tap \"Send "
                        "location\" to report a new problem\n%(link)s", link=report_link(session, user)))
    found = intake.locate(session, lon, lat)
    if found is None:
        return _thai(_l("This place is outside the area this service covers; report and set the "
                        "place here\n%(link)s", link=report_link(session, user)))
    org = session.get(Organization, found[0])
    return _thai(_l("Place received: choose what to report (the pin is set)\n%(link)s",
                    link=report_link(session, user, org=org, lat=lat, lon=lon)))


def _text_answer(session: Session, user: str, text: str):
    # Only the first few code-like words are looked up: a 5000-character text must not cost
    # hundreds of queries.
    for match in itertools.islice(_CODE.finditer(text), MAX_CODES):
        code = intake.normalize_tracking_code(match.group(1) + match.group(2))
        incident = intake.find_by_code(session, code)
        if incident is not None:
            return sender.text_message(status_text(session, incident))
    waiting = replies.waiting_case_of_line_user(session, user) if text.strip() else None
    if waiting is not None and text.strip().lower() not in REPORT_WORDS:
        return sender.text_message(_reply_answer(session, waiting, text))
    if any(word in text.lower() for word in REPORT_WORDS):
        return _with_location_button(_thai(_l("Report here, or tap \"Send location\" to set the "
                                              "place\n%(link)s", link=report_link(session, user))))
    if _CODE.search(text):
        return sender.text_message(_thai(_l("No case has this code: please check it (e.g. ABCD-2345)")))
    return _with_location_button(_thai(_l("Send a case code (e.g. ABCD-2345) to see its status, or "
                                          "tap \"Send location\" to report a new problem\n%(link)s",
                                          link=report_link(session, user))))


def _reply_answer(session: Session, incident, text: str) -> str:
    """The user's text as the answer to the question their case waits on."""
    if len(text.strip()) > workflow.MAX_NOTE:
        return _thai(_l("The message is longer than %(n)s characters: please send a shorter one",
                        n=format(workflow.MAX_NOTE, ",")))
    try:
        replies.answer_from_line(session, incident, text)
    except UserError as refused:  # e.g. staff moved the case on meanwhile; nothing was written
        return refused.message_th
    return _thai(_l("More information received for %(code)s. Thank you.\n%(link)s",
                    code=incident.tracking_code,
               link=url_for("public.track", code=incident.tracking_code, _external=True)))


def status_text(session: Session, incident) -> str:
    """A case's status for the chat: label, last public note, link. Never a name or phone;
    of a sensitive case only that it was received."""
    if incident.category.sensitive:
        return _thai(_l("Case %(code)s: received", code=incident.tracking_code))
    notes = [row["note"] for row in tracking.public_timeline(session, incident) if row["note"]]
    lines = [_thai(_l("Case %(code)s: %(status)s", code=incident.tracking_code,
                 status=STATUS_LABELS[incident.status]))]
    if notes:
        lines.append(notes[-1][:300])
    lines.append(url_for("public.track", code=incident.tracking_code, _external=True))
    return "\n".join(lines)


def _with_location_button(text: str):
    """A text with a "send my location" button under it (LINE's quick reply)."""
    message = sender.text_message(text)
    message.quick_reply = QuickReply(items=[QuickReplyItem(
        action=LocationAction(label=_thai(_l("Send location"))))])
    return message

