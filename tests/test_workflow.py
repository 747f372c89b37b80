"""The case state machine: every action from every status for every role, checked against the
matrix written out below from the documents (seed 001's staff steps, the issues, the README),
never generated from the table in workflow.py, so a wrong table entry fails; the audit trail;
who may see what; the service clock."""
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from shapely.geometry import box
from sqlalchemy import func, select, text, update
from sqlalchemy.exc import DBAPIError

from mapdash.cases import workflow
from mapdash.cases.time_limits import set_for
from mapdash.errors import UserError
from mapdash.models import Category, Department, Follower, Incident, IncidentEvent, User
from mapdash.vocabulary import CASE_KINDS, ROLES, STATUSES
from tests.factories import make_incident, make_org

# --- the expected matrix --------------------------------------------------------------------
# Statuses: sql/001 (incidents.status). Open ones wait on someone; closed ones are done.
NEW, ACCEPTED, INFO_REQUESTED = "new", "accepted", "info_requested"
ASSIGNED, IN_PROGRESS = "assigned", "in_progress"
RESOLVED, REJECTED, DUPLICATE = "resolved", "rejected", "duplicate"
# Issue 19: a case referred to an outside agency is closed (out of our hands, see handover.py).
REFERRED = "referred"
OPEN = (NEW, ACCEPTED, INFO_REQUESTED, ASSIGNED, IN_PROGRESS)
CLOSED = (RESOLVED, REJECTED, DUPLICATE, REFERRED)
EVERY_STATUS = OPEN + CLOSED

# Who acts (issue 2: admin, dispatcher, officer of a department, crew; the citizen answering a
# question has no account). Issue 4: the dispatcher's panel is for admin, dispatcher and officer.
ADMIN, DISPATCHER, OFFICER, CREW, CITIZEN = "admin", "dispatcher", "officer", "crew", "citizen"
# Issue 12: executives read the statistics and take no action on a case.
EXECUTIVE = "executive"
STAFF = frozenset({ADMIN, DISPATCHER, OFFICER})
ACTORS = (ADMIN, DISPATCHER, OFFICER, CREW, EXECUTIVE, CITIZEN)


@dataclass(frozen=True)
class Expected:
    sources: frozenset[str]   # the statuses the action may start from
    target: str | None        # the status it leads to; None: the case keeps its status
    roles: frozenset[str]
    public: bool              # the citizen sees the event on the tracking page
    needs_note: bool          # refused without a message or reason
    kinds: frozenset[str] | None = None  # the kinds of case type it is for; None: every kind


def row(sources, target, roles, public, needs_note, kinds=None):
    return Expected(frozenset(sources), target, frozenset(roles), public, needs_note, kinds)


# Issue 13: a proposal for the development plan is decided by the plan's actions, a problem
# report by resolve and reject.
PROPOSAL = frozenset({"proposal"})
NOT_PROPOSAL = frozenset(CASE_KINDS) - PROPOSAL


PUBLIC, INTERNAL, NOTE_NEEDED, NO_NOTE = True, False, True, False

EXPECTED: dict[str, Expected] = {
    # action: row(may start from, leads to, who may take it, citizen sees it?, note needed?)
    # Seed 001 steps 1-2: see the new case, check it, take it on (issue 4: รับเรื่อง); issue 19:
    # with a message to the citizen if staff write one (a response template), never required.
    "accept": row({NEW}, ACCEPTED, STAFF, PUBLIC, NO_NOTE),
    # Seed 001 step 3: ask the citizen for what is missing, with the message that goes to them.
    "request_info": row({NEW, ACCEPTED}, INFO_REQUESTED, STAFF, PUBLIC, NOTE_NEEDED),
    # The citizen's answer (replies.py: by the signed link or in the LINE chat); staff record
    # one that came by phone.
    "reply": row({INFO_REQUESTED}, ACCEPTED, STAFF | {CITIZEN}, PUBLIC, NOTE_NEEDED),
    # Issue 4: assign to a crew member; again later, to hand the work to another crew member.
    "assign": row({ACCEPTED, ASSIGNED, IN_PROGRESS}, ASSIGNED, STAFF, PUBLIC, NO_NOTE),
    # Issue 4 (the panel) and issue 5 (the crew's popup): start work.
    "start": row({ASSIGNED}, IN_PROGRESS, STAFF | {CREW}, PUBLIC, NO_NOTE),
    # Seed 001 steps 6-7, issue 5: the crew closes with a note (and evidence); staff may too.
    "resolve": row({ACCEPTED, ASSIGNED, IN_PROGRESS}, RESOLVED, STAFF | {CREW}, PUBLIC,
                   NOTE_NEEDED, NOT_PROPOSAL),
    # Issue 4: reject with a reason, before the work is handed to a crew.
    "reject": row({NEW, ACCEPTED, INFO_REQUESTED}, REJECTED, STAFF, PUBLIC, NOTE_NEEDED,
                  NOT_PROPOSAL),
    # Issue 13: a proposal taken into the plan of a year, or not taken, with the reason.
    "take_into_plan": row({NEW, ACCEPTED, INFO_REQUESTED}, RESOLVED, STAFF, PUBLIC, NOTE_NEEDED,
                          PROPOSAL),
    "leave_out_of_plan": row({NEW, ACCEPTED, INFO_REQUESTED}, REJECTED, STAFF, PUBLIC,
                             NOTE_NEEDED, PROPOSAL),
    # Issue 4: mark as duplicate of another open case (its followers move over).
    "mark_duplicate": row({NEW, ACCEPTED, INFO_REQUESTED}, DUPLICATE, STAFF, PUBLIC, NO_NOTE),
    # Issue 19: refer to an outside agency (electricity, water, highways) with what was sent:
    # from any open step (a crew may find on site that the pole is the authority's); closed.
    "refer": row(OPEN, REFERRED, STAFF, PUBLIC, NOTE_NEEDED),
    # Issue 19: forward to another organization on the server, whose intake takes it as new;
    # the dispatcher's decision (admin, dispatcher), with why, which the citizen reads.
    "forward": row(OPEN, NEW, {ADMIN, DISPATCHER}, PUBLIC, NOTE_NEEDED),
    # Issue 4: reopen a closed case, back to the prepare step (officers: see the doubts below).
    "reopen": row(CLOSED, ACCEPTED, {ADMIN, DISPATCHER}, PUBLIC, NOTE_NEEDED),
    # Issue 12: the reporter says a resolved case is not fixed (cases/ratings.py checks who and
    # the organization's window); back to NEW, for a dispatcher to review.
    "not_fixed": row({RESOLVED}, NEW, {CITIZEN}, PUBLIC, NOTE_NEEDED),
    # An internal note, in any status; never shown to the citizen.
    "comment": row(EVERY_STATUS, None, STAFF | {CREW}, INTERNAL, NOTE_NEEDED),
    # Issue 19: a priority set by staff, for open cases; recorded, not shown to the citizen.
    "set_priority": row(OPEN, None, STAFF, INTERNAL, NO_NOTE),
    # Seed 001 step 4: the request form printed for the executive, recorded for the clock.
    "print_form": row(EVERY_STATUS, None, STAFF, INTERNAL, NO_NOTE),
    # Issue 5: a crew's closing flagged "evidence needs review" is accepted, or sent back to
    # the crew, who is at work on it again. Only while evidence_review == 'needs_review'.
    "accept_evidence": row({RESOLVED}, None, STAFF, INTERNAL, NO_NOTE),
    "send_back": row({RESOLVED}, IN_PROGRESS, STAFF, INTERNAL, NOTE_NEEDED),
}
# Doubts, where the documents are silent and the matrix keeps today's behaviour: whether an
# officer may reopen (issue 4 lists reopen among the panel's actions, issue 12 has "a dispatcher"
# review a reopened case); whether a crew member may write internal notes (no crew page offers
# it); whether officers review evidence (issue 5 says "the dispatcher"); whether officers may
# forward a case to another organization (issue 19 is silent: kept to admin and dispatcher,
# who answer for the whole organization's cases).

# What the evidence review actions leave in incidents.evidence_review (sql/005).
EVIDENCE_REVIEW = {"accept_evidence": "accepted", "send_back": "sent_back"}
NOTE = "ข้อความถึงผู้แจ้ง"


def test_the_table_has_exactly_the_actions_of_the_matrix():
    """A new action (or status, or role) must be added to the matrix above, consciously."""
    assert sorted(workflow.TRANSITIONS) == sorted(EXPECTED)
    assert sorted(STATUSES) == sorted(EVERY_STATUS) and sorted(ROLES) == sorted(ACTORS[:-1])
    assert workflow.CITIZEN == CITIZEN
    assert sorted(workflow.EVIDENCE_REVIEW) == sorted(EVIDENCE_REVIEW)


def _user(session, org_id, role, name, department_id=None):
    # No one signs in here: a placeholder hash spares the slow argon2 of create_user.
    user = User(organization_id=org_id, email=f"{name}@example.test", display_name=f"{name} คนหนึ่ง",
                password_hash="-", role=role, department_id=department_id)
    session.add(user)
    session.flush()
    return user


@pytest.fixture
def world(session):
    org = make_org(session)
    engineering = session.scalar(select(Department.id).where(
        Department.organization_id == org.id, Department.code == "engineering"))
    users = {role: _user(session, org.id, role, role,
                         engineering if role in (OFFICER, CREW) else None) for role in ROLES}
    users["other_crew"] = _user(session, org.id, "crew", "crew2", engineering)
    case = make_incident(session, description="ไฟฟ้าส่องสว่างดับหน้าวัด")
    # A proposal for the plan, of the same department, so the officer sees it too.
    session.execute(update(Category).where(Category.code == "dev_plan")
                    .values(department_id=engineering))
    proposal = make_incident(session, "dev_plan", description="ถนนคอนกรีตหน้าวัด")
    original = make_incident(session, lon=100.006, lat=10.006, description="ไฟดับจุดเดียวกัน")
    # Where a case may be forwarded: the province around the tambon.
    province = make_org(session, slug="province", kind="province",
                        villages=((1, "ทั้งจังหวัด", box(99.9, 9.9, 100.1, 10.1)),))
    session.commit()
    return {"org": org, "users": users, "case": case, "original": original, "province": province,
            "proposal": proposal}


def _arrange(session, case, status, evidence_review=None, assigned_to=None):
    """Put the case in `status` as if the steps before had been taken."""
    case.status = status
    case.closed_at = datetime.now(UTC) if status in CLOSED else None
    case.evidence_review = evidence_review
    case.assigned_to = assigned_to
    session.flush()


def _args(world, note=NOTE):
    return dict(note=note, assignee_id=world["users"]["crew"].id, duplicate_of=world["original"].id,
                priority="urgent", organization_id=world["province"].id, agency="การไฟฟ้าส่วนภูมิภาค",
                plan_year=2571)


def _row(session, case_id):
    """The whole stored case, to show that a refused action changed nothing."""
    return session.execute(text("SELECT to_jsonb(i) FROM incidents i WHERE id = :id"),
                           {"id": case_id}).scalar_one()


def _events(session):
    return session.scalar(select(func.count()).select_from(IncidentEvent))


def _refused(session, case_id, action, actor, **args):
    """perform refuses: a UserError with a 4xx and both messages, the case and audit unchanged."""
    before, events_before = _row(session, case_id), _events(session)
    with pytest.raises(UserError) as refused:
        workflow.perform(session, case_id, action, actor, **args)
    error = refused.value
    assert 400 <= error.status < 500 and error.message_th and error.message_en
    assert _row(session, case_id) == before and _events(session) == events_before
    return error


@pytest.mark.parametrize("action", sorted(EXPECTED))
def test_every_role_and_status_for(action, session, world):
    """Allowed exactly where the matrix says, refused everywhere else, with nothing changed."""
    expected = EXPECTED[action]
    users = world["users"]
    case = world["proposal"] if expected.kinds == PROPOSAL else world["case"]
    review = "needs_review" if action in EVIDENCE_REVIEW else None
    for role in ACTORS:
        actor = None if role == CITIZEN else users[role]
        for status in EVERY_STATUS:
            where = (role, status)
            savepoint = session.begin_nested()
            _arrange(session, case, status, review, assigned_to=users["crew"].id)
            allowed = role in expected.roles and status in expected.sources
            if not allowed:
                error = _refused(session, case.id, action, actor, **_args(world))
                if role not in expected.roles:
                    assert (error.code, error.status) == ("forbidden_action", 403), where
                else:
                    assert (error.code, error.status) == ("bad_transition", 409), where
                savepoint.rollback()
                continue
            if expected.needs_note:
                error = _refused(session, case.id, action, actor, **_args(world, note="   "))
                assert (error.code, error.status) == ("note_required", 400), where
            events_before = _events(session)
            # An action that needs no note is taken without one.
            event = workflow.perform(session, case.id, action, actor,
                                     **_args(world, NOTE if expected.needs_note else ""))
            assert (event.action, event.from_status) == (action, status), where
            assert case.status == (expected.target or status), where
            assert event.to_status == case.status and event.public == expected.public, where
            assert event.actor_id == (actor.id if actor else None), where
            label = actor.display_name if actor else "ประชาชน"
            assert event.actor_label == label, where
            assert event.note == (NOTE if expected.needs_note else ""), where
            assert (case.closed_at is not None) == (case.status in CLOSED), where
            assert _events(session) == events_before + 1, where
            if action in EVIDENCE_REVIEW:
                assert case.evidence_review == EVIDENCE_REVIEW[action], where
            if action == "mark_duplicate":
                assert case.duplicate_of == world["original"].id, where
            if action == "set_priority":
                assert case.priority == "urgent", where
                assert event.detail == {"priority": "urgent", "before": "normal"}, where
            if action == "refer":
                assert event.detail == {"agency": "การไฟฟ้าส่วนภูมิภาค"}, where
            if action == "forward":
                assert case.organization_id == world["province"].id, where
                assert case.assigned_to is None and case.step_started_at == event.created_at
            savepoint.rollback()


def test_evidence_is_reviewed_only_while_a_closing_needs_review(session, world):
    case, users = world["case"], world["users"]
    for review in (None, "accepted", "sent_back"):
        for action in EVIDENCE_REVIEW:
            for role in sorted(EXPECTED[action].roles):
                _arrange(session, case, RESOLVED, review, assigned_to=users["crew"].id)
                error = _refused(session, case.id, action, users[role], **_args(world))
                assert (error.code, error.status) == ("no_evidence_review", 409), (review, action)


@pytest.mark.parametrize("kind", ["report", "proposal"])
def test_allowed_actions_agree_with_the_matrix(kind, session, world):
    case, users = world["case" if kind == "report" else "proposal"], world["users"]
    for role in ACTORS:
        actor = None if role == CITIZEN else users[role]
        for status in EVERY_STATUS:
            for review in (None, "needs_review"):
                _arrange(session, case, status, review, assigned_to=users["crew"].id)
                expected = {name for name, e in EXPECTED.items()
                            if role in e.roles and status in e.sources
                            and (e.kinds is None or kind in e.kinds)
                            and (name not in EVIDENCE_REVIEW or review == "needs_review")}
                allowed = workflow.allowed_actions(actor, case)
                assert set(allowed) == expected, (role, status, review)
                # ... once each, in the table's order (the order of the panel's buttons)
                assert allowed == [name for name in workflow.TRANSITIONS if name in expected]


def test_unknown_action_and_missing_case_are_refused(session, world):
    with pytest.raises(UserError) as unknown:
        workflow.perform(session, world["case"].id, "teleport", world["users"]["admin"])
    assert unknown.value.status == 400
    with pytest.raises(UserError) as missing:
        workflow.perform(session, 999999, "accept", world["users"]["admin"])
    assert missing.value.status == 404


def test_the_change_and_its_audit_event_are_one_transaction(session, world):
    case_id = world["case"].id
    event = workflow.perform(session, case_id, "accept", world["users"]["dispatcher"])
    session.rollback()  # the request failed after the action: nothing of it remains
    assert session.get(Incident, case_id).status == "new"
    assert session.get(IncidentEvent, event.id) is None

    workflow.perform(session, case_id, "accept", world["users"]["dispatcher"])
    session.commit()
    events = session.scalars(select(IncidentEvent).where(IncidentEvent.incident_id == case_id)
                             .order_by(IncidentEvent.id)).all()
    assert [(e.action, e.from_status, e.to_status) for e in events] == [
        ("report", None, "new"), ("accept", "new", "accepted")]
    assert events[-1].actor_label == "dispatcher คนหนึ่ง"


def test_audit_events_cannot_be_rewritten(session, world):
    with pytest.raises(DBAPIError, match="append-only"):
        session.execute(text("UPDATE incident_events SET note = 'แก้ไข'"))
    session.rollback()
    with pytest.raises(DBAPIError, match="append-only"):
        session.execute(text("DELETE FROM incident_events"))


def test_officers_act_only_on_their_departments_cases(session, world):
    officer, dispatcher = world["users"]["officer"], world["users"]["dispatcher"]
    ems = make_incident(session, category="ems", lon=100.004, lat=10.004)
    session.commit()
    assert not workflow.can_see(officer, ems) and workflow.allowed_actions(officer, ems) == []
    with pytest.raises(UserError) as refused:
        workflow.perform(session, ems.id, "accept", officer)
    assert refused.value.status == 404 and session.get(Incident, ems.id).status == "new"
    # Whatever the action and the status: as if the case did not exist.
    for status in EVERY_STATUS:
        _arrange(session, ems, status, "needs_review" if status == RESOLVED else None)
        for action in EXPECTED:
            error = _refused(session, ems.id, action, officer, **_args(world))
            assert (error.code, error.status) == ("not_found", 404), (status, action)
    _arrange(session, ems, NEW)
    workflow.perform(session, world["case"].id, "accept", officer)  # engineering: theirs
    workflow.perform(session, ems.id, "accept", dispatcher)         # the dispatcher: all
    assert ems.status == "accepted"


def test_an_officer_cannot_merge_into_another_departments_case(session, world):
    ems = make_incident(session, category="ems", lon=100.004, lat=10.004)
    session.commit()
    with pytest.raises(UserError) as refused:
        workflow.perform(session, world["case"].id, "mark_duplicate", world["users"]["officer"],
                         duplicate_of=ems.id)
    assert refused.value.code == "bad_duplicate"


def test_no_one_sees_another_organizations_cases(session, world):
    elsewhere = make_org(session, slug="elsewhere", villages=(
        (1, "บ้านไกล", box(101, 11, 101.01, 11.01)),))
    far = make_incident(session, lon=101.005, lat=11.005)
    session.commit()
    assert elsewhere.id != world["org"].id
    with pytest.raises(UserError) as refused:
        workflow.perform(session, far.id, "accept", world["users"]["admin"])
    assert refused.value.status == 404


def test_crews_work_only_on_cases_assigned_to_them(session, world):
    case, crew, other = world["case"], world["users"]["crew"], world["users"]["other_crew"]
    workflow.perform(session, case.id, "accept", world["users"]["dispatcher"])
    workflow.perform(session, case.id, "assign", world["users"]["dispatcher"], assignee_id=other.id)
    assert not workflow.can_see(crew, case)
    with pytest.raises(UserError) as refused:
        workflow.perform(session, case.id, "start", crew)
    assert refused.value.status == 404 and case.status == "assigned"
    workflow.perform(session, case.id, "start", other)
    assert case.status == "in_progress"
    # Whatever the action and the status: as if the case did not exist.
    for status in EVERY_STATUS:
        savepoint = session.begin_nested()
        _arrange(session, case, status, "needs_review" if status == RESOLVED else None,
                 assigned_to=other.id)
        for action in EXPECTED:
            error = _refused(session, case.id, action, crew, **_args(world))
            assert (error.code, error.status) == ("not_found", 404), (status, action)
        savepoint.rollback()


@pytest.mark.parametrize("who", ["admin", "dispatcher", "nobody", "other_org"])
def test_only_an_active_crew_member_of_the_organization_can_be_assigned(who, session, world):
    users = world["users"]
    if who == "other_org":
        make_org(session, slug="other", villages=(
            (1, "บ้านอื่น", box(101, 11, 101.01, 11.01)),))
        org_id = session.scalar(text("SELECT id FROM organizations WHERE slug = 'other'"))
        assignee = _user(session, org_id, "crew", "far-away").id
    else:
        assignee = None if who == "nobody" else users[who].id
    workflow.perform(session, world["case"].id, "accept", users["dispatcher"])
    with pytest.raises(UserError) as refused:
        workflow.perform(session, world["case"].id, "assign", users["dispatcher"], assignee_id=assignee)
    assert refused.value.code == "bad_assignee" and world["case"].assigned_to is None


def test_a_duplicate_hands_its_reporter_and_followers_to_the_original(session, world):
    case, original = world["case"], world["original"]
    case.reporter_name, case.reporter_phone = "สมชาย ใจดี", "080-000-0001"
    case.reporter_email, case.reporter_line_user = "somchai@example.test", "U" + "1" * 32
    session.add(Follower(incident_id=case.id, name="สมศรี", phone="080-000-0002"))
    case.followers_count = 1
    session.commit()
    workflow.perform(session, case.id, "mark_duplicate", world["users"]["dispatcher"],
                     duplicate_of=original.id)
    session.commit()
    assert (case.status, case.duplicate_of, case.followers_count) == ("duplicate", original.id, 0)
    session.refresh(original)
    followers = session.scalars(select(Follower.name).where(Follower.incident_id == original.id)).all()
    assert sorted(followers) == ["สมชาย ใจดี", "สมศรี"] and original.followers_count == 2
    # ... with every way to reach them: they hear about the original from now on.
    reporter = session.scalars(select(Follower).where(Follower.incident_id == original.id,
                                                      Follower.name == "สมชาย ใจดี")).one()
    assert (reporter.email, reporter.line_user) == ("somchai@example.test", "U" + "1" * 32)

    workflow.perform(session, case.id, "reopen", world["users"]["dispatcher"], note="ไม่ซ้ำ คนละจุด")
    assert (case.status, case.duplicate_of, case.closed_at) == ("accepted", None, None)


def test_a_case_cannot_duplicate_itself_or_a_closed_case(session, world):
    case, original = world["case"], world["original"]
    with pytest.raises(UserError):
        workflow.perform(session, case.id, "mark_duplicate", world["users"]["dispatcher"],
                         duplicate_of=case.id)
    _arrange(session, original, "resolved")
    with pytest.raises(UserError):
        workflow.perform(session, case.id, "mark_duplicate", world["users"]["dispatcher"],
                         duplicate_of=original.id)


# --- the service clock ---------------------------------------------------------------------

def _category(session, code):
    return session.scalar(select(Category).where(Category.code == code))


def test_step_limits_come_from_each_types_sla(session, world):
    light, ems = (set_for(session, _category(session, code).sla_minutes)
                  for code in ("streetlight", "ems"))
    limits = {(row["time_limits_id"], row["status"]): row["minutes"]
              for row in workflow.step_limits(session)}
    # Seed 001: acknowledge 5 + check 5; inform 5 + print 5 + set status 10; work 7 days.
    assert limits[(light.id, "new")] == 10 and limits[(light.id, "accepted")] == 20
    assert limits[(light.id, "assigned")] == limits[(light.id, "in_progress")] == 7 * 24 * 60
    # Emergencies are counted in minutes.
    assert limits[(ems.id, "new")] == 3 and limits[(ems.id, "assigned")] == 60
    assert not any(status == "info_requested" for _, status in limits)


def test_the_clock_restarts_per_step_and_shows_time_spent(session, world):
    case, dispatcher, crew = world["case"], world["users"]["dispatcher"], world["users"]["crew"]
    t0 = case.created_at
    assert workflow.is_overdue(case, t0 + timedelta(minutes=11))      # 10-minute intake
    assert not workflow.is_overdue(case, t0 + timedelta(minutes=9))

    workflow.perform(session, case.id, "accept", dispatcher, now=t0 + timedelta(minutes=12))
    workflow.perform(session, case.id, "assign", dispatcher, assignee_id=crew.id,
                     now=t0 + timedelta(minutes=20))
    workflow.perform(session, case.id, "start", crew, now=t0 + timedelta(days=1))
    assert case.step_started_at == t0 + timedelta(minutes=20)  # starting is still the work step
    assert workflow.due_at(case) == t0 + timedelta(minutes=20, days=7)
    workflow.perform(session, case.id, "resolve", crew, note="เปลี่ยนหลอดแล้ว",
                     now=t0 + timedelta(days=8))
    session.commit()
    session.refresh(case)

    entries, current = workflow.timeline(case, now=t0 + timedelta(days=9))
    assert current is None and workflow.due_at(case) is None
    spent = [(e.event.action, e.step, e.spent, e.over) for e in entries]
    assert spent == [
        ("report", None, None, False),
        ("accept", "intake", timedelta(minutes=12), True),      # over its 10 minutes
        ("assign", "prepare", timedelta(minutes=8), False),
        ("start", None, timedelta(days=1) - timedelta(minutes=20), False),
        ("resolve", "work", timedelta(days=8) - timedelta(minutes=20), True),  # over 7 days
    ]


def test_asking_the_citizen_stops_the_clock(session, world):
    case, dispatcher = world["case"], world["users"]["dispatcher"]
    t0 = case.created_at
    workflow.perform(session, case.id, "request_info", dispatcher, note="ขอรูปถ่ายเพิ่ม",
                     now=t0 + timedelta(minutes=3))
    assert workflow.due_at(case) is None
    assert not workflow.is_overdue(case, t0 + timedelta(days=30))
    entries, current = workflow.timeline(case, t0 + timedelta(days=30))
    assert current is None
    workflow.perform(session, case.id, "reply", None, note="ส่งรูปแล้ว",
                     now=t0 + timedelta(days=2))
    assert workflow.due_at(case) == t0 + timedelta(days=2, minutes=20)
    _, current = workflow.timeline(case, t0 + timedelta(days=2, minutes=25))
    assert (current.step, current.spent, current.over) == ("prepare", timedelta(minutes=25), True)


def test_printing_the_form_is_recorded_without_moving_the_case(session, world):
    event = workflow.perform(session, world["case"].id, "print_form", world["users"]["officer"])
    assert (event.from_status, event.to_status, event.public) == ("new", "new", False)
    assert world["case"].step_started_at is None  # the intake clock keeps running
