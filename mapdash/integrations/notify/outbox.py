"""The outbox: every event a citizen or staff member should hear about writes its messages
in the same transaction as the event; `mapdash notify run` (worker.py) sends them later.

The services that write such events say so by sending the named signal
cases.events.event_recorded (intake for a new report, workflow.perform for every action);
create_app connects `announce` to it. The messages are written just before that session's
outermost commit, still inside the transaction: a rolled-back action leaves none, and a crew's
closing has its photos and review flag written by then, so the "resolved" message knows
whether there is a public after photo. Events written without the signal (the demo's history,
the synthetic benchmark data) are deliberately silent.

Messages are written only where a recipient exists (an e-mail address or LINE user on the
case or its followers; a department's alert settings).
"""
from flask import Flask, current_app, has_app_context, has_request_context, request
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from mapdash import db
from mapdash.cases import ratings, replies
from mapdash.cases.events import event_recorded
from mapdash.field.evidence import before_after
from mapdash.integrations.notify import messages
from mapdash.models import (
    Department,
    Follower,
    Incident,
    IncidentEvent,
    Notification,
    Organization,
    Proposal,
)

_ANNOUNCED = "outbox_announced_events"

# The three messages of seed 001's steps 3 and 7, the reason when a case is not taken, and
# where it went when it is not ours (issue 19).
# A crew's closing whose evidence needs review is announced when a dispatcher accepts the
# evidence (the after photo is public from then on), not when it may still be sent back.
CITIZEN_KINDS = {"accept": "accepted", "request_info": "info_requested", "resolve": "resolved",
                 "accept_evidence": "resolved", "reject": "rejected", "forward": "forwarded",
                 "refer": "referred", "take_into_plan": "plan_decided",
                 "leave_out_of_plan": "plan_decided"}

# What the department's staff hear of: a new case, and one its reporter says is not fixed.
STAFF_KINDS = {"report": "new_case", "not_fixed": "not_fixed"}


def init_app(app: Flask) -> None:
    event_recorded.connect(announce)
    if app.config["ENV"] == "production" and not app.config.get("PUBLIC_BASE_URL"):
        app.logger.warning("PUBLIC_BASE_URL is not set: links in notifications use the host of "
                           "the request that caused them, and `mapdash notify run` will refuse "
                           "to start")


def announce(session: Session, event: IncidentEvent) -> None:
    """The receiver of cases.events.event_recorded: `event`'s messages are written just
    before `session` commits (or never, if it rolls back)."""
    db.on_this_session(session, "outbox", before_commit=_write_announced,
                       after_transaction_end=_forget_announced)
    session.info.setdefault(_ANNOUNCED, []).append(event)


def _write_announced(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint: wait for the real commit, when everything is written
    while session.info.get(_ANNOUNCED):
        events = session.info.pop(_ANNOUNCED)
        session.flush()
        enqueue_for_events(session, events)


def _forget_announced(session: Session, transaction) -> None:
    if transaction.parent is None:
        session.info.pop(_ANNOUNCED, None)  # rolled back: those events no longer exist


def _app_for(session: Session) -> Flask:
    """The app whose settings the messages need: the session's own (db.new_session), or the
    app of the request or command in progress."""
    app = session.info.get("app")
    if app is None and has_app_context():
        app = current_app._get_current_object()  # type: ignore[attr-defined]
    if app is None:
        raise RuntimeError("notifications need the app's settings: use db.new_session(app)")
    return app


def base_url(app: Flask) -> str:
    """The address citizens reach the site at, for links in messages."""
    if app.config.get("PUBLIC_BASE_URL"):
        return app.config["PUBLIC_BASE_URL"].rstrip("/")
    if has_request_context():
        return request.host_url.rstrip("/")
    raise RuntimeError("PUBLIC_BASE_URL must be set to write links outside a request")


def link(app: Flask, endpoint: str, **values) -> str:
    return base_url(app) + app.url_map.bind("localhost").build(endpoint, values)


def enqueue_for_events(session: Session, events: list[IncidentEvent]) -> None:
    """Write the messages the events call for, in the order they happened."""
    app = None
    for ev in sorted(events, key=lambda ev: ev.id):
        kind = CITIZEN_KINDS.get(ev.action)
        if kind is None and ev.action not in STAFF_KINDS:
            continue
        incident = ev.incident
        if ev.action == "resolve" and incident.evidence_review == "needs_review":
            continue  # told on "accept_evidence"; nothing if the closing is sent back
        if ev.action in STAFF_KINDS:
            recipients = department_recipients(incident.department)
        else:
            recipients = citizen_recipients(session, incident, reporter_only=kind == "info_requested")
        if ev.action == "forward":  # a new case for the department that takes it now
            staff = department_recipients(incident.department)
            if staff:
                app = app or _app_for(session)
                _add_all(session, ev, messages.new_case(incident, link(app, "dispatch.index")),
                         staff)
        if not recipients:
            continue
        app = app or _app_for(session)
        if kind == "resolved":  # the reporter's own message carries the link to rate it
            mine = set(citizen_recipients(session, incident, reporter_only=True))
            rate_url = link(app, "public.track", code=incident.tracking_code,
                            t=ratings.make_token(app.config["SECRET_KEY"], incident.id))
            _add_all(session, ev, _render(session, app, ev, incident, rate_url),
                     [r for r in recipients if r in mine])
            recipients = [r for r in recipients if r not in mine]
        if recipients:
            _add_all(session, ev, _render(session, app, ev, incident), recipients)


def _add_all(session: Session, ev: IncidentEvent, payload: dict,
             recipients: list[tuple[str, str]]) -> None:
    for channel, recipient in recipients:
        add(session, incident_id=ev.incident_id, event_id=ev.id, payload=payload,
            channel=channel, recipient=recipient, dedupe=f"event:{ev.id}")


def _render(session: Session, app: Flask, ev: IncidentEvent, incident: Incident,
            rate_url: str | None = None) -> dict:
    if ev.action == "report":
        return messages.new_case(incident, link(app, "dispatch.index"))
    if ev.action == "not_fixed":
        return messages.not_fixed(incident, ev.note, link(app, "dispatch.index", case=incident.id))
    url = link(app, "public.track", code=incident.tracking_code)
    if ev.action == "accept":
        return messages.accepted(incident, url, ev.note)
    detail = ev.detail or {}
    if ev.action == "forward":
        return messages.forwarded(incident, session.get_one(
            Organization, detail["from_organization_id"]), ev.note, url)
    if ev.action == "refer":
        return messages.referred(incident, detail["agency"], url)
    if ev.action == "request_info":  # sent to the reporter only: the link lets them answer
        token = replies.make_token(app.config["SECRET_KEY"], incident.id, ev.id)
        return messages.info_requested(
            incident, ev.note, url, link(app, "public.reply", code=incident.tracking_code, t=token))
    if ev.action == "reject":
        return messages.rejected(incident, ev.note, url)
    if ev.action in ("take_into_plan", "leave_out_of_plan"):
        record = session.get(Proposal, incident.id)
        return messages.plan_decided(incident, record.plan_year if record else None, ev.note, url)
    shown = before_after(session, incident)  # the public "after" of a crew's closing, if any
    after = shown["after"] if shown else []
    photo_url = link(app, "photos.photo", photo_id=after[0].id) if after else None
    note = ev.note if ev.action == "resolve" else session.scalar(
        select(IncidentEvent.note).where(IncidentEvent.incident_id == incident.id,
                                         IncidentEvent.action == "resolve")
        .order_by(IncidentEvent.id.desc()).limit(1))  # accept_evidence: the crew's closing note
    return messages.resolved(incident, note or "", url, photo_url, rate_url)


def add(session: Session, *, event_id: int | None, payload: dict, channel: str,
        recipient: str, dedupe: str, incident_id: int | None = None,
        user_id: int | None = None, announcement_id: int | None = None) -> None:
    """One message about a case (`incident_id`), an account (`user_id`: its set-password
    link) or an announcement (news/line_push.py) in the outbox, unless this one (same
    occasion, kind, channel, recipient) is already there."""
    session.execute(insert(Notification).values(
        incident_id=incident_id, user_id=user_id, announcement_id=announcement_id,
        event_id=event_id, kind=payload["kind"],
        channel=channel, recipient=recipient, payload=payload,
        dedupe_key=f"{dedupe}:{payload['kind']}:{channel}:{recipient}")
        .on_conflict_do_nothing(index_elements=["dedupe_key"]))


def citizen_recipients(session: Session, incident: Incident, *,
                       reporter_only: bool = False) -> list[tuple[str, str]]:
    """(channel, address) of the reporter and, unless `reporter_only` (a question only the
    reporter can answer), the followers. Each address once."""
    found = [("email", incident.reporter_email), ("line", incident.reporter_line_user)]
    if not reporter_only:
        for email, line_user in session.execute(select(Follower.email, Follower.line_user).where(
                Follower.incident_id == incident.id).order_by(Follower.id)):
            found += [("email", email), ("line", line_user)]
    return _unique([(channel, address.strip().lower() if channel == "email" else address)
                    for channel, address in found if address])


def department_recipients(department: Department) -> list[tuple[str, str]]:
    return [(channel, address) for channel, address in
            (("email", department.notify_email), ("line", department.notify_line_group)) if address]


def _unique(pairs: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return list(dict.fromkeys(pairs))
