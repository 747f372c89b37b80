"""Sessions that really end (issue 16, item 2): a server-side record per signed-in session,
ended by signing out, a new password or deactivation, and by idle and absolute expiry."""
import re
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select, text

from mapdash.models import StaffSession
from mapdash.office import staff_sessions
from tests.factories import STAFF_PASSWORD, make_staff
from tests.support import csrf_token, login

# A fixed instant long past: a session last used then has expired whatever today is.
LONG_AGO = datetime(2026, 3, 4, 10, 30, tzinfo=timezone(timedelta(hours=7)))


@pytest.fixture
def staff(session):
    users = make_staff(session)
    session.commit()
    return users


def signed_in(app, email):
    client = app.test_client()
    assert login(client, email, STAFF_PASSWORD).status_code == 302
    return client


def copy_of(app, client):
    """Another browser holding a copy of `client`'s session cookie."""
    thief = app.test_client()
    thief.set_cookie("session", client.get_cookie("session").value)
    return thief


def refused(client):
    """The dispatcher's page sends to sign-in; its JSON answers 401 in JSON."""
    page = client.get("/dispatch/")
    api = client.get("/api/dispatch/cases.geojson")
    return (page.status_code == 302 and "/login" in page.headers["Location"]
            and api.status_code == 401 and api.get_json()["error"] == "login_required")


def sign_out(client):
    assert client.post("/logout", data={"csrf_token": csrf_token(client, "/dispatch/")}
                       ).status_code == 302


def run(app, *args, input=None):
    return app.test_cli_runner().invoke(args=list(args), input=input)


def test_a_cookie_copied_before_sign_out_is_refused_after_it(app, staff):
    dispatcher = signed_in(app, "dispatcher@example.test")
    thief = copy_of(app, dispatcher)
    assert not refused(thief)  # the copy works while the session lives
    sign_out(dispatcher)
    assert refused(thief) and refused(dispatcher)


def test_signing_out_ends_this_session_not_the_accounts_others(app, staff):
    desk, tablet = signed_in(app, "dispatcher@example.test"), signed_in(app, "dispatcher@example.test")
    colleague = signed_in(app, "officer@example.test")
    sign_out(desk)
    assert refused(desk)
    assert not refused(tablet)  # signing out at the office does not sign the phone out
    assert not refused(colleague)


def test_a_remember_me_cookie_does_not_bring_a_session_back(app, staff):
    from flask_login.utils import encode_cookie

    dispatcher = signed_in(app, "dispatcher@example.test")
    sign_out(dispatcher)
    with app.test_request_context():
        remembered = encode_cookie(str(staff["dispatcher"].id))
    for client in (dispatcher, app.test_client()):
        client.set_cookie(app.config.get("REMEMBER_COOKIE_NAME", "remember_token"), remembered)
        assert refused(client)


def test_deactivating_an_account_ends_its_sessions_for_good(app, staff):
    crew = signed_in(app, "crew@example.test")
    assert crew.get("/crew/").status_code == 200
    result = run(app, "users", "deactivate", "--email", "crew@example.test")
    assert result.exit_code == 0, result.output
    assert crew.get("/crew/").status_code == 302
    assert login(app.test_client(), "crew@example.test", STAFF_PASSWORD).status_code == 401
    # Active again: the old cookie stays dead, a new sign-in works.
    assert run(app, "users", "activate", "--email", "crew@example.test").exit_code == 0
    assert crew.get("/crew/").status_code == 302
    assert signed_in(app, "crew@example.test").get("/crew/").status_code == 200


def test_a_new_password_ends_every_session(app, staff):
    dispatcher = signed_in(app, "dispatcher@example.test")
    result = run(app, "users", "set-password", "--email", "dispatcher@example.test",
                 input="a brand new password\n")
    assert result.exit_code == 0, result.output
    assert refused(dispatcher)
    assert login(app.test_client(), "dispatcher@example.test", STAFF_PASSWORD).status_code == 401
    fresh = app.test_client()
    assert login(fresh, "dispatcher@example.test", "a brand new password").status_code == 302
    assert not refused(fresh)


def test_a_refused_new_password_changes_nothing(app, staff):
    dispatcher = signed_in(app, "dispatcher@example.test")
    result = run(app, "users", "set-password", "--email", "dispatcher@example.test", input="short\n")
    assert result.exit_code != 0 and "at least 10 characters" in result.output
    assert not refused(dispatcher)
    assert signed_in(app, "dispatcher@example.test")
    missing = run(app, "users", "deactivate", "--email", "nobody@example.test")
    assert missing.exit_code != 0 and "no account nobody@example.test" in missing.output


def test_a_session_last_used_long_ago_is_refused(app, staff, session):
    dispatcher = signed_in(app, "dispatcher@example.test")
    session.execute(text("UPDATE staff_sessions SET created_at = :t, last_seen_at = :t"),
                    {"t": LONG_AGO})
    session.commit()
    assert refused(dispatcher)


def test_the_configured_idle_time_is_the_one_checked(app, staff, session, database_url, tmp_path):
    """Times an hour or more from the real clock: a session seen 2 h ago lives with the default
    idle time (4 h) and not on an app configured for 1 h."""
    from tests.support import make_app

    dispatcher = signed_in(app, "dispatcher@example.test")
    session.execute(text("UPDATE staff_sessions SET created_at = now() - interval '2 hours', "
                         "last_seen_at = now() - interval '2 hours'"))
    session.commit()
    strict = make_app(database_url, tmp_path, SESSION_IDLE_HOURS=1)
    try:
        assert refused(copy_of(strict, dispatcher))
    finally:
        strict.extensions["db_engine"].dispose()
    assert not refused(dispatcher)


# --- expiry, at fixed instants -----------------------------------------------------------------

T0 = datetime(2026, 3, 4, 8, 0, tzinfo=timezone(timedelta(hours=7)))
LIFETIMES = {"idle": timedelta(hours=4), "longest": timedelta(hours=12)}


def at(hours, minutes=0):
    return T0 + timedelta(hours=hours, minutes=minutes)


@pytest.fixture
def token(staff, session):
    token = staff_sessions.start(session, staff["crew"].id, T0, **LIFETIMES)
    session.commit()
    return token


def user_at(session, token, when):
    return staff_sessions.signed_in_user(session, token, when, **LIFETIMES)


def test_a_session_ends_after_four_idle_hours(session, staff, token):
    assert user_at(session, token, at(3, 59)).id == staff["crew"].id
    assert user_at(session, token, at(7, 58)) is not None  # 3 h 59 after the last request
    assert user_at(session, token, at(11, 58)) is None     # 4 h after it


def test_a_session_ends_twelve_hours_after_signing_in_however_busy(session, token):
    for hour in (3, 6, 9, 11):
        assert user_at(session, token, at(hour)) is not None
    assert user_at(session, token, at(11, 59)) is not None
    assert user_at(session, token, at(12)) is None


def test_the_last_request_is_written_down_once_a_minute(session, token):
    def last_seen():
        session.expire_all()
        return session.scalars(select(StaffSession.last_seen_at)).one()

    user_at(session, token, at(0, 0.5))
    assert last_seen() == T0
    user_at(session, token, at(0, 1))
    assert last_seen() == at(0, 1)


def test_signing_in_clears_expired_sessions(session, staff, token):
    staff_sessions.start(session, staff["admin"].id, at(12), **LIFETIMES)
    session.commit()
    assert session.scalars(select(StaffSession.user_id)).all() == [staff["admin"].id]
    assert user_at(session, token, at(0, 1)) is None  # the row is gone, whatever the time


def test_an_unknown_token_opens_nothing(session, token):
    assert user_at(session, token + "x", at(0, 1)) is None


# --- the dispatcher's live page ----------------------------------------------------------------

def test_the_live_map_asks_to_sign_in_again_when_the_session_ends(live_server, demo_app, desktop):
    from mapdash import db
    from mapdash.models import User
    from tests.test_browser_dispatch import TIMEOUT_MS, sign_in

    # The page's live stream checks the session at each heartbeat: every second here.
    demo_app.config["LIVE_HEARTBEAT_SECONDS"] = 1
    sign_in(desktop, live_server)
    with db.new_session(demo_app) as other:
        dispatcher = other.scalars(select(User).where(User.email == "dispatcher@demo.mapdash.test")).one()
        staff_sessions.end_all(other, dispatcher.id)  # e.g. signed out on another device
        other.commit()
    desktop.wait_for_url(re.compile(r"/login\?next=%2Fdispatch%2F$"), timeout=TIMEOUT_MS)
    assert desktop.locator("[role=alert]").inner_text() == "กรุณาเข้าสู่ระบบก่อน"
