"""Side effects are asked for by the service that makes the change, on its own session:
nothing listens on every session of the process, a session that records no case event writes
no message, and the photo files and messages follow their transaction."""
from sqlalchemy import select
from sqlalchemy.orm import Session

from mapdash import db
from mapdash.cases import intake, workflow
from mapdash.cases.events import event_recorded
from mapdash.models import Incident, IncidentEvent, Notification
from tests.crew_support import make_user
from tests.factories import make_org

SESSION_EVENTS = ("before_commit", "after_commit", "after_flush", "after_rollback",
                  "after_transaction_end")


def listeners(target) -> dict[str, int]:
    return {name: len(list(getattr(target.dispatch, name))) for name in SESSION_EVENTS}


def test_no_listener_on_every_session_of_the_process(app):
    assert listeners(Session()) == dict.fromkeys(SESSION_EVENTS, 0)
    assert listeners(db.new_session(app)) == dict.fromkeys(SESSION_EVENTS, 0)


def test_recording_an_event_asks_for_its_messages_on_that_session_only(app, session):
    org = make_org(session)
    org_dispatcher = make_user(session, org, "dispatcher", "d@test.mapdash.test")
    session.commit()
    heard = []
    event_recorded.connect(receiver := lambda sender, event: heard.append((sender, event.action)))
    try:
        with db.new_session(app) as own:
            case = intake.create_incident(own, intake.Report(
                category_code="streetlight", lon=100.005, lat=10.005,
                reporter_email="citizen@example.test"))
            workflow.perform(own, case.id, "accept", own.get(type(org_dispatcher), org_dispatcher.id))
            assert heard == [(own, "report"), (own, "accept")]
            assert listeners(own)["before_commit"] == 1  # the outbox's, once for both events
            assert listeners(Session())["before_commit"] == 0
            own.commit()
    finally:
        event_recorded.disconnect(receiver)
    kinds = session.scalars(select(Notification.kind).order_by(Notification.id)).all()
    assert kinds == ["accepted"]  # to the citizen; the department has no alert address


def test_events_written_without_the_signal_are_silent(app, session):
    """The demo's back-dated history is written as plain rows: nobody is told of it."""
    make_org(session)
    case = intake.create_incident(session, intake.Report(
        category_code="streetlight", lon=100.005, lat=10.005, reporter_email="c@example.test"))
    session.add(IncidentEvent(incident_id=case.id, actor_label="demo", action="accept",
                              from_status="new", to_status="accepted", public=True, note="x"))
    session.get(Incident, case.id).status = "accepted"
    session.commit()
    assert session.scalars(select(Notification)).all() == []


def test_a_rolled_back_action_leaves_no_message(app, session):
    org = make_org(session)
    dispatcher = make_user(session, org, "dispatcher", "d@test.mapdash.test")
    case = intake.create_incident(session, intake.Report(
        category_code="streetlight", lon=100.005, lat=10.005, reporter_email="c@example.test"))
    session.commit()
    workflow.perform(session, case.id, "accept", dispatcher)
    session.rollback()
    session.commit()  # a later commit of the same session writes nothing left over
    assert session.scalars(select(Notification)).all() == []
    workflow.perform(session, case.id, "accept", session.get(type(dispatcher), dispatcher.id))
    session.commit()
    assert session.scalars(select(Notification.kind)).all() == ["accepted"]
