"""The case state machine: every action from every status for every role, generated from the
one table in workflow.py; the audit trail; who may see what; the service clock."""
from datetime import UTC, datetime, timedelta

import pytest
from shapely.geometry import box
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from mapdash.cases import workflow
from mapdash.errors import UserError
from mapdash.models import Category, Department, Follower, Incident, IncidentEvent, User
from mapdash.vocabulary import ROLES, STATUSES
from tests.factories import make_incident, make_org

ACTORS = ROLES + (workflow.CITIZEN,)


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
                         engineering if role in ("officer", "crew") else None) for role in ROLES}
    users["other_crew"] = _user(session, org.id, "crew", "crew2", engineering)
    case = make_incident(session, description="ไฟฟ้าส่องสว่างดับหน้าวัด")
    original = make_incident(session, lon=100.006, lat=10.006, description="ไฟดับจุดเดียวกัน")
    session.commit()
    return {"org": org, "users": users, "case": case, "original": original}


def _arrange(session, case, status, evidence_review=None):
    """Put the case in `status` as if the steps before had been taken, assigned to the crew."""
    case.status = status
    case.closed_at = datetime.now(UTC) if status in workflow.CLOSED else None
    case.evidence_review = evidence_review
    session.flush()


def _args(world):
    return dict(note="ข้อความถึงผู้แจ้ง", assignee_id=world["users"]["crew"].id,
                duplicate_of=world["original"].id)


@pytest.mark.parametrize("action", sorted(workflow.TRANSITIONS))
def test_every_role_and_status_for(action, session, world):
    """The table is the only judge: allowed exactly where it says, refused everywhere else."""
    transition = workflow.TRANSITIONS[action]
    case, users = world["case"], world["users"]
    review = "needs_review" if action in workflow.EVIDENCE_REVIEW else None
    for role in ACTORS:
        actor = None if role == workflow.CITIZEN else users[role]
        for status in STATUSES:
            savepoint = session.begin_nested()
            _arrange(session, case, status, review)
            case.assigned_to = users["crew"].id
            session.flush()
            events_before = session.scalar(select(func.count()).select_from(IncidentEvent))
            allowed = role in transition.roles and status in transition.sources
            if allowed:
                event = workflow.perform(session, case.id, action, actor, **_args(world))
                assert (event.action, event.from_status) == (action, status), (role, status)
                assert case.status == (transition.target or status), (role, status)
                assert event.to_status == case.status and event.public == transition.public
                assert event.actor_id == (actor.id if actor else None)
            else:
                with pytest.raises(UserError) as refused:
                    workflow.perform(session, case.id, action, actor, **_args(world))
                expected = "forbidden_action" if role not in transition.roles else "bad_transition"
                assert refused.value.code == expected, (role, status)
                assert refused.value.status in (403, 409) and refused.value.message_th
                assert case.status == status
            added = session.scalar(select(func.count()).select_from(IncidentEvent)) - events_before
            assert added == (1 if allowed else 0), (role, status)
            savepoint.rollback()


def test_allowed_actions_agree_with_the_table(session, world):
    case, dispatcher = world["case"], world["users"]["dispatcher"]
    for status in STATUSES:
        _arrange(session, case, status)
        expected = [name for name, t in workflow.TRANSITIONS.items()
                    if "dispatcher" in t.roles and status in t.sources
                    and name not in workflow.EVIDENCE_REVIEW]
        assert workflow.allowed_actions(dispatcher, case) == expected


@pytest.mark.parametrize("action", sorted(a for a, t in workflow.TRANSITIONS.items() if t.needs_note))
def test_a_message_or_reason_is_required_for(action, session, world):
    case = world["case"]
    status = sorted(workflow.TRANSITIONS[action].sources)[0]
    _arrange(session, case, status, "needs_review" if action in workflow.EVIDENCE_REVIEW else None)
    with pytest.raises(UserError) as refused:
        workflow.perform(session, case.id, action, world["users"]["admin"], note="   ",
                         assignee_id=world["users"]["crew"].id)
    assert refused.value.code == "note_required" and refused.value.status == 400
    assert case.status == status


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
    org_id = world["org"].id
    limits = {(row["category_id"], row["status"]): row["minutes"]
              for row in workflow.step_limits(session, org_id)}
    light, ems = _category(session, "streetlight"), _category(session, "ems")
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
