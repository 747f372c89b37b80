"""The case state machine: which action moves a case from which status, and who may take it.

Everything the staff (and the citizen, when replying) do to a case goes through `perform`,
which checks this one table, changes the case and writes the audit event in the same
transaction. Anything the table does not allow is refused with a message in Thai and English.

`perform_many` takes one action on many cases (the case list's bulk actions): one event per
case, each case on its own, the refusals listed.

It also keeps the service clock of seed 001: the staff steps a case waits in, their time
limits (the case's own, its type's when it was reported: time_limits.py), when a case is
overdue and how long each step took.
"""
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import NoReturn

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from mapdash import db
from mapdash.cases import handover, proposals
from mapdash.cases.events import event_recorded
from mapdash.errors import UserError
from mapdash.i18n import LazyText, _l, in_office_language
from mapdash.models import Follower, Incident, IncidentEvent, TimeLimits, User
from mapdash.vocabulary import (
    CASE_KINDS,
    CITIZEN,
    CITIZEN_LABEL,
    CLOSED_STATUSES,
    OFFICE_ROLES,
    OPEN_STATUSES,
    PRIORITIES,
    STATUS_LABELS,
)

STAFF = frozenset(OFFICE_ROLES)


@dataclass(frozen=True)
class Transition:
    sources: frozenset[str]
    target: str | None       # None: the status stays (a comment)
    roles: frozenset[str]
    public: bool             # whether the citizen sees the event on the tracking page
    label: LazyText
    # The fields the person taking the action fills in, as the panel's form names them:
    # "note" (a message or reason, required unless note_optional), "assignee_id" (a crew
    # member), "duplicate_code" (the original case's tracking code), "priority",
    # "organization_id" (where a forwarded case goes), "agency" (who a case is referred to).
    inputs: tuple[str, ...] = ()
    note_optional: bool = False
    # What the panel calls the note where "Message / reason" would mislead.
    note_label: LazyText | None = None
    # The kinds of case type (vocabulary.CASE_KINDS) it is for; None: every kind.
    kinds: frozenset[str] | None = None

    @property
    def needs_note(self) -> bool:
        return "note" in self.inputs and not self.note_optional


OPEN = frozenset(OPEN_STATUSES)
CLOSED = frozenset(CLOSED_STATUSES)
ANY_STATUS = OPEN | CLOSED
NOTE = ("note",)
# A proposal for the development plan is decided by the plan's own actions (proposals.py),
# not resolved or rejected like a problem.
NOT_PROPOSALS = frozenset(CASE_KINDS) - {proposals.KIND}
PROPOSALS = frozenset({proposals.KIND})

TRANSITIONS: dict[str, Transition] = {
    # A message to the citizen is optional when accepting (a response template, a date).
    "accept": Transition(frozenset({"new"}), "accepted", STAFF, True, _l("Accept"), NOTE,
                         note_optional=True),
    "request_info": Transition(frozenset({"new", "accepted"}), "info_requested", STAFF, True,
                               _l("Ask for more information"), NOTE),
    # The citizen's own answer (replies.py), or staff writing down one given by phone.
    "reply": Transition(frozenset({"info_requested"}), "accepted", STAFF | {CITIZEN}, True,
                        _l("Information received"), NOTE,
                        note_label=_l("The reporter's answer (e.g. given by phone)")),
    "assign": Transition(frozenset({"accepted", "assigned", "in_progress"}), "assigned", STAFF, True,
                         _l("Assign to crew"), ("assignee_id",)),
    "start": Transition(frozenset({"assigned"}), "in_progress", STAFF | {"crew"}, True,
                        _l("Start work")),
    "resolve": Transition(frozenset({"accepted", "assigned", "in_progress"}), "resolved",
                          STAFF | {"crew"}, True, _l("Resolve"), NOTE, kinds=NOT_PROPOSALS),
    "reject": Transition(frozenset({"new", "accepted", "info_requested"}), "rejected", STAFF, True,
                         _l("Reject"), NOTE, kinds=NOT_PROPOSALS),
    # A proposal's outcome (proposals.py), with the reason the public list shows; merged is
    # mark_duplicate (its supporters join the original).
    "take_into_plan": Transition(frozenset({"new", "accepted", "info_requested"}), "resolved",
                                 STAFF, True, _l("Take into the development plan"),
                                 ("plan_year", "note"), kinds=PROPOSALS,
                                 note_label=_l("What goes into the plan, and why")),
    "leave_out_of_plan": Transition(frozenset({"new", "accepted", "info_requested"}), "rejected",
                                    STAFF, True, _l("Not taken into the plan"), NOTE,
                                    kinds=PROPOSALS, note_label=_l("Why it is not taken")),
    "mark_duplicate": Transition(frozenset({"new", "accepted", "info_requested"}), "duplicate",
                                 STAFF, True, _l("Mark as duplicate"), ("duplicate_code",)),
    # Out of our hands (handover.py): referred to an outside agency, closed; or forwarded to
    # another organization on this server, whose intake starts it again.
    "refer": Transition(OPEN, "referred", STAFF, True, _l("Refer to an outside agency"),
                        ("agency", "note"), note_label=_l("What was sent to the agency")),
    "forward": Transition(OPEN, "new", frozenset({"admin", "dispatcher"}), True,
                          _l("Forward to another organization"), ("organization_id", "note"),
                          note_label=_l("Why it goes there")),
    "reopen": Transition(CLOSED, "accepted", frozenset({"admin", "dispatcher"}), True,
                         _l("Reopen"), NOTE),
    # The reporter says a resolved case is not fixed (ratings.py checks who and how late): it
    # goes back to "new", so a dispatcher sees it in the queue and the alert and judges it
    # afresh (the crew's work may need redoing, or it is another problem), not straight to a crew.
    "not_fixed": Transition(frozenset({"resolved"}), "new", frozenset({CITIZEN}), True,
                            _l("Not fixed, says the reporter"), NOTE),
    "comment": Transition(ANY_STATUS, None, STAFF | {"crew"}, False, _l("Internal note"), NOTE),
    "set_priority": Transition(OPEN, None, STAFF, False, _l("Set the priority"), ("priority",)),
    # Seed 001, step 4: the request form printed for the executive (recorded for the clock).
    "print_form": Transition(ANY_STATUS, None, STAFF, False, _l("Print the request form")),
    # Only while a crew's closing is flagged "evidence needs review" (evidence.py).
    "accept_evidence": Transition(frozenset({"resolved"}), None, STAFF, False,
                                  _l("Accept the evidence")),
    "send_back": Transition(frozenset({"resolved"}), "in_progress", STAFF, False,
                            _l("Send back to the crew"), NOTE),
}
# Actions that open a closed case again: incidents.reopen_count counts them (the statistics).
REOPENING = frozenset({"reopen", "not_fixed"})
# What each evidence review action leaves in incidents.evidence_review.
EVIDENCE_REVIEW = {"accept_evidence": "accepted", "send_back": "sent_back"}

MAX_NOTE = 2000


def role_of(actor: User | None) -> str:
    return actor.role if actor is not None else CITIZEN


def can_see(actor: User, incident: Incident) -> bool:
    """Officers work on their department's cases, crews on those assigned to them."""
    if actor.organization_id != incident.organization_id:
        return False
    if actor.role == "officer":
        return incident.department_id == actor.department_id
    if actor.role == "crew":
        return incident.assigned_to == actor.id
    return True


def allowed_actions(actor: User | None, incident: Incident) -> list[str]:
    role = role_of(actor)
    if actor is not None and not can_see(actor, incident):
        return []
    return [name for name, t in TRANSITIONS.items()
            if role in t.roles and incident.status in t.sources
            and (t.kinds is None or incident.category.kind in t.kinds)
            and (name not in EVIDENCE_REVIEW or incident.evidence_review == "needs_review")]


def _refuse(code: str, message: LazyText, status: int = 409) -> NoReturn:
    raise UserError(code, message, status=status)


def perform(session: Session, incident_id: int, action: str, actor: User | None, *,
            note: str = "", assignee_id: int | None = None, duplicate_of: int | None = None,
            priority: str | None = None, organization_id: int | None = None, agency: str = "",
            plan_year: int | None = None, now: datetime | None = None) -> IncidentEvent:
    """Take `action` on a case for `actor` (None: the citizen). Flushes; the caller commits."""
    transition = TRANSITIONS.get(action)
    if transition is None:
        _refuse("unknown_action", _l("Unknown action '%(action)s'", action=action), 400)
    # Lock the row: two dispatchers pressing at once must not both move the case.
    incident = session.get(Incident, incident_id, with_for_update=True, populate_existing=True)
    # A crew member sees only the cases assigned to them, an officer their department's:
    # anything else is answered as if it did not exist.
    if incident is None or (actor is not None and not can_see(actor, incident)):
        _refuse("not_found", _l("No such case, or it is not yours to see"), 404)
    role = role_of(actor)
    if role not in transition.roles:
        _refuse("forbidden_action", _l('Your role may not "%(action)s"', action=transition.label),
                403)
    if incident.status not in transition.sources:
        _refuse("bad_transition", _l('"%(action)s" is not possible while the case is "%(status)s"',
                                     action=transition.label,
                                     status=STATUS_LABELS[incident.status]))
    if transition.kinds is not None and incident.category.kind not in transition.kinds:
        _refuse("not_for_this_kind", _l('"%(action)s" is not possible for this type of case',
                                        action=transition.label))
    if action in EVIDENCE_REVIEW and incident.evidence_review != "needs_review":
        _refuse("no_evidence_review", _l("This case has no closing evidence waiting for review"))
    note = (note or "").strip()
    if transition.needs_note and not note:
        _refuse("note_required", _l("Please write a message or reason"), 400)
    if len(note) > MAX_NOTE:
        _refuse("too_long", _l("The message is longer than %(limit)s characters",
                               limit=format(MAX_NOTE, ",")), 400)

    now = now or datetime.now(UTC)
    detail = None
    is_proposal = incident.category.kind == proposals.KIND
    if action == "assign":
        _assign(session, incident, assignee_id)
    elif action == "mark_duplicate":
        if is_proposal:
            proposals.check_original(session, duplicate_of)
        # A proposal may join one already taken into the plan (its supporters count there).
        _merge_into(session, incident, duplicate_of, actor, closed_ok=is_proposal)
    elif action == "reopen":
        incident.duplicate_of = None  # its followers stay with the original, told from there
    if action in REOPENING:
        incident.reopen_count += 1
    elif action in EVIDENCE_REVIEW:
        incident.evidence_review = EVIDENCE_REVIEW[action]
    elif action == "set_priority":
        detail = _set_priority(incident, priority)
    elif action == "refer":
        detail = handover.refer(incident, agency)
    elif action == "forward":
        detail = handover.forward(session, incident, organization_id)
    if is_proposal and (action in proposals.OUTCOME_OF_ACTION or action == "reopen"):
        proposals.decide(session, incident, action, plan_year=plan_year, reason=note, now=now)

    from_status = incident.status
    if transition.target is not None:
        # A forwarded case starts the other organization's intake clock afresh.
        if action == "forward" or \
                STEP_OF_STATUS.get(from_status) != STEP_OF_STATUS.get(transition.target):
            incident.step_started_at = now
        incident.status = transition.target
        incident.updated_at = now
        incident.closed_at = now if transition.target in CLOSED_STATUSES else None
    event = IncidentEvent(incident_id=incident.id, actor_id=actor.id if actor else None,
                          actor_label=actor.display_name if actor else in_office_language(CITIZEN_LABEL),
                          action=action,
                          from_status=from_status, to_status=transition.target or from_status,
                          note=note, public=transition.public, created_at=now, detail=detail)
    session.add(event)
    session.flush()
    event_recorded.send(session, event=event)  # the citizen or staff may hear of it (outbox)
    return event


def _set_priority(incident: Incident, priority: str | None) -> dict:
    if priority not in PRIORITIES:
        raise UserError("bad_priority", _l("Choose a priority"), field="priority")
    if priority == incident.priority:
        _refuse("same_priority", _l("The case already has this priority"))
    before, incident.priority = incident.priority, priority
    return {"priority": priority, "before": before}


# What the case list may do to many cases at once, and how many at a time.
BULK_ACTIONS = ("accept", "assign", "mark_duplicate", "set_priority")
MAX_BULK = 200


@dataclass(frozen=True)
class BulkResult:
    done: list[IncidentEvent]
    refused: list[tuple[int, UserError]]   # (case id, why), in the order of the ids


def perform_many(session: Session, incident_ids: list[int], action: str, actor: User,
                 **inputs) -> BulkResult:
    """`perform` on each case, with the same inputs: one event per case. Each case is taken
    on its own (a savepoint): one that refuses (another status, not the reader's to see) is
    listed and leaves the others done. Flushes; the caller commits."""
    if action not in BULK_ACTIONS:
        _refuse("not_bulk", _l('"%(action)s" cannot be taken on several cases at once',
                               action=TRANSITIONS[action].label if action in TRANSITIONS
                               else action), 400)
    if not incident_ids or len(set(incident_ids)) > MAX_BULK:
        raise UserError("bad_selection", _l("Choose between 1 and %(max)s cases", max=MAX_BULK),
                        field="ids")
    done, refused = [], []
    # Always in id order: two bulk actions at once lock their cases in the same order.
    for incident_id in sorted(set(incident_ids)):
        savepoint = session.begin_nested()
        try:
            event = perform(session, incident_id, action, actor, **inputs)
        except UserError as refusal:
            savepoint.rollback()
            refused.append((incident_id, refusal))
        else:
            savepoint.commit()
            done.append(event)
    return BulkResult(done, refused)


def _assign(session: Session, incident: Incident, assignee_id: int | None) -> None:
    crew = session.get(User, assignee_id) if assignee_id else None
    if crew is None or crew.role != "crew" or not crew.active \
            or crew.organization_id != incident.organization_id:
        _refuse("bad_assignee", _l("Choose a crew member of this organization"),
                400)
    incident.assigned_to = crew.id


def _merge_into(session: Session, incident: Incident, original_id: int | None,
                actor: User | None, closed_ok: bool = False) -> None:
    """A duplicate points at the original case, whose followers it joins."""
    original = session.get(Incident, original_id) if original_id else None
    if original is None or original.id == incident.id \
            or original.organization_id != incident.organization_id \
            or not (original.is_open or closed_ok and original.status == "resolved") \
            or (actor is not None and not can_see(actor, original)):
        _refuse("bad_duplicate", _l("Name an open case of this organization as the original"), 400)
    incident.duplicate_of = original.id
    # The duplicate's reporter and followers now follow the original.
    moved = db.rowcount(session.execute(update(Follower).where(Follower.incident_id == incident.id)
                                        .values(incident_id=original.id)))
    session.add(Follower(incident_id=original.id, name=incident.reporter_name,
                         phone=incident.reporter_phone, line_id=incident.reporter_line_id,
                         email=incident.reporter_email, line_user=incident.reporter_line_user))
    session.execute(update(Incident).where(Incident.id == original.id).values(
        followers_count=Incident.followers_count + moved + 1))
    incident.followers_count = 0


def crew_members(session: Session, organization_id: int) -> list[User]:
    return list(session.scalars(select(User).where(
        User.organization_id == organization_id, User.role == "crew", User.active)
        .order_by(User.display_name)))


# The service clock (seed 001). Each open status waits on a group of the staff steps, whose
# limits (the case's time_limits) add up; info_requested waits on the citizen, so no clock runs.
CLOCK_STEPS: dict[str, tuple[str, ...]] = {
    "intake": ("acknowledge", "check"),             # see the alert, check the details
    "prepare": ("inform", "print", "set_status"),   # tell the citizen, print the form, set status
    "work": ("work",),                              # from the assignment until it is done
}
STEP_OF_STATUS = {"new": "intake", "accepted": "prepare", "assigned": "work",
                  "in_progress": "work"}
STEP_LABELS = {
    "intake": _l("Intake and check"),
    "prepare": _l("Inform, print, set the status"),
    "work": _l("The work"),
}


def step_limit(limits: Mapping[str, int], step: str) -> timedelta:
    """The time of a clock step: the limits of its staff steps in a complete set, added up."""
    return timedelta(minutes=sum(int(limits[part]) for part in CLOCK_STEPS[step]))


def step_limits(session: Session) -> list[dict]:
    """[{time_limits_id, status, minutes}] for every stored set of limits and every status
    with a clock: the table the map's SQL and the overdue alerts look each case's limit up
    in, so the limits are added up here only. Sets are few (one per distinct set ever used)."""
    sets = session.execute(select(TimeLimits.id, TimeLimits.minutes)).all()
    return [{"time_limits_id": set_id, "status": status,
             "minutes": int(step_limit(minutes, step).total_seconds() // 60)}
            for set_id, minutes in sets for status, step in STEP_OF_STATUS.items()]


def step_started(incident: Incident) -> datetime:
    """When the current step began (a case fresh from intake: its last status change)."""
    return incident.step_started_at or incident.updated_at


def due_at(incident: Incident) -> datetime | None:
    """When the case's current step must be done; None while no clock runs."""
    step = STEP_OF_STATUS.get(incident.status)
    if step is None:
        return None
    return step_started(incident) + step_limit(incident.time_limits.minutes, step)


def is_overdue(incident: Incident, now: datetime | None = None) -> bool:
    due = due_at(incident)
    return due is not None and due < (now or datetime.now(UTC))


@dataclass(frozen=True)
class TimelineEntry:
    event: IncidentEvent
    spent: timedelta | None    # time in the status this event left (the whole step if it ended one)
    step: str | None           # the clock step this event ended, if any
    limit: timedelta | None    # that step's limit

    @property
    def over(self) -> bool:
        return self.limit is not None and self.spent is not None and self.spent > self.limit


@dataclass(frozen=True)
class CurrentStep:
    step: str
    spent: timedelta
    limit: timedelta

    @property
    def over(self) -> bool:
        return self.spent > self.limit


def timeline(incident: Incident, now: datetime | None = None
             ) -> tuple[list[TimelineEntry], CurrentStep | None]:
    """The case's events, each with the time spent before it, and the step running now."""
    entries = []
    status_since = step_since = incident.created_at
    for event in incident.events:
        if event.from_status is None or event.to_status is None \
                or event.to_status == event.from_status:
            entries.append(TimelineEntry(event, None, None, None))
            continue
        before, after = STEP_OF_STATUS.get(event.from_status), STEP_OF_STATUS.get(event.to_status)
        if before is not None and before != after:
            entries.append(TimelineEntry(event, event.created_at - step_since, before,
                                         step_limit(incident.time_limits.minutes, before)))
        else:
            entries.append(TimelineEntry(event, event.created_at - status_since, None, None))
        status_since = event.created_at
        if before != after:
            step_since = event.created_at
    step = STEP_OF_STATUS.get(incident.status)
    if step is None:
        return entries, None
    spent = (now or datetime.now(UTC)) - step_started(incident)
    return entries, CurrentStep(step, spent, step_limit(incident.time_limits.minutes, step))
