"""Sign-in that resists guessing (issue 16, item 1): per account and per client address,
growing waits then a lock, shared in PostgreSQL; unknown e-mails take the known ones' path."""
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone

import pytest
from argon2 import PasswordHasher

from mapdash.office import sign_in_throttle
from mapdash.office.sign_in_throttle import SignInThrottled
from tests.factories import STAFF_PASSWORD, make_staff
from tests.support import csrf_token, login

WRONG = "not the password"


@pytest.fixture
def staff(session):
    users = make_staff(session)
    session.commit()
    return users


def attempts(client, email, password, times):
    """`times` sign-ins with one form token; the answers' status codes and the last answer."""
    token = csrf_token(client, "/login")
    answers = [client.post("/login", data={"email": email, "password": password,
                                           "csrf_token": token}) for _ in range(times)]
    return [answer.status_code for answer in answers], answers[-1]


def test_sixty_wrong_passwords_lock_the_account_and_the_right_one_waits_for_the_lock(client, staff):
    codes, last = attempts(client, "dispatcher@example.test", WRONG, 60)
    assert codes[:5] == [401] * 5 and set(codes[5:]) == {429}
    assert 0 < int(last.headers["Retry-After"]) <= 15 * 60
    page = last.get_data(as_text=True)
    assert "Too many failed sign-ins" in page and "ลงชื่อเข้าใช้ผิดหลายครั้งเกินไป" in page
    # The right password during the lock is refused too: otherwise the lock protects nothing.
    right = login(client, "dispatcher@example.test", STAFF_PASSWORD)
    assert right.status_code == 429 and "Retry-After" in right.headers
    assert client.get("/dispatch/").status_code == 302


def test_an_unknown_email_is_throttled_like_a_known_one(client, staff):
    """A 429 for known accounts only would tell which e-mails have one."""
    known, _ = attempts(client, "crew@example.test", WRONG, 7)
    unknown, _ = attempts(client, "nobody@example.test", WRONG, 7)
    assert known == unknown == [401] * 5 + [429] * 2


def test_an_unknown_email_verifies_a_dummy_hash_of_the_same_cost(client, staff, monkeypatch):
    """Same work for an unknown e-mail as for a known one: one argon2 verification with a hash
    of the configured cost (timing would otherwise tell which e-mails have an account)."""
    checked = []
    real_verify = PasswordHasher.verify

    def recording_verify(self, hash, password):
        checked.append(hash)
        return real_verify(self, hash, password)

    monkeypatch.setattr(PasswordHasher, "verify", recording_verify)
    assert login(client, "nobody@example.test", WRONG).status_code == 401
    assert login(client, "officer@example.test", WRONG).status_code == 401
    unknown, known = checked
    assert unknown != staff["officer"].password_hash and known == staff["officer"].password_hash
    settings = lambda stored: stored.split("$")[1:4]  # noqa: E731  argon2id, v=19, m=..,t=..,p=..
    assert settings(unknown) == settings(known)


def test_a_success_forgets_the_accounts_failures(client, staff):
    assert attempts(client, "admin@example.test", WRONG, 4)[0] == [401] * 4
    assert login(client, "admin@example.test", STAFF_PASSWORD).status_code == 302
    client.post("/logout", data={"csrf_token": csrf_token(client, "/dispatch/")})
    assert attempts(client, "admin@example.test", WRONG, 4)[0] == [401] * 4


def test_one_address_trying_many_accounts_is_throttled(client, staff):
    """Guessing one password on many accounts: each account stays under its own limit."""
    codes = [attempts(client, f"guess{n}@example.test", WRONG, 2)[0] for n in range(16)]
    flat = [code for pair in codes for code in pair]
    assert flat[:30] == [401] * 30 and flat[30:] == [429, 429]
    # ... and the address waits whatever account it tries next, a real one with its password.
    assert login(client, "crew@example.test", STAFF_PASSWORD).status_code == 429


# --- the policy, at fixed instants -------------------------------------------------------------

T0 = datetime(2026, 3, 4, 9, 0, tzinfo=timezone(timedelta(hours=7)))
EMAIL, ADDRESS = "somchai@example.test", "203.0.113.7"


def try_at(app, seconds, email=EMAIL, address=ADDRESS):
    """One attempt at T0 + seconds: None when it was counted (its password would be checked),
    else the seconds it was told to wait."""
    with app.app_context():
        try:
            sign_in_throttle.start_attempt(email, address, None, T0 + timedelta(seconds=seconds))
        except SignInThrottled as refused:
            return refused.retry_after
    return None


def succeed_at(app, email=EMAIL, address=ADDRESS):
    with app.app_context():
        sign_in_throttle.attempt_succeeded(email, address)


def test_waits_grow_from_the_fifth_failure_to_a_fifteen_minute_lock(app):
    assert [try_at(app, 0) for _ in range(5)] == [None] * 5
    assert try_at(app, 0) == 30 and try_at(app, 29) == 1
    at = 30
    for wait in (60, 120, 240, 480, 900, 900, 900):
        assert try_at(app, at) is None       # the wait is over: this try counts
        assert try_at(app, at) == wait       # and the next one waits longer
        assert try_at(app, at + wait - 1) == 1
        at += wait
    # After the lock, the right password resets the account: five free tries again.
    assert try_at(app, at) is None
    succeed_at(app)
    assert [try_at(app, at) for _ in range(5)] == [None] * 5 and try_at(app, at) == 30


def test_the_waits_are_capped_however_many_failures(app):
    assert sign_in_throttle.wait_after(4, 5) == timedelta(0)
    assert sign_in_throttle.wait_after(5, 5) == timedelta(seconds=30)
    assert sign_in_throttle.wait_after(10**9, 5) == timedelta(minutes=15)


def test_failures_are_forgotten_a_day_after_the_last_one(app):
    assert [try_at(app, 0) for _ in range(4)] == [None] * 4
    day = 24 * 3600
    assert [try_at(app, day - 1)] == [None]      # the fifth within the day: waits follow
    assert try_at(app, day - 1) == 30
    assert [try_at(app, 2 * day - 1) for _ in range(5)] == [None] * 5  # a day of quiet


def test_an_address_is_throttled_over_many_emails_and_forgotten_after_an_hour(app):
    emails = [f"guess{n}@example.test" for n in range(31)]
    assert [try_at(app, 0, email) for email in emails[:30]] == [None] * 30
    assert try_at(app, 0, emails[30]) == 30
    assert try_at(app, 0, emails[30], address="198.51.100.1") is None  # another address
    # A success from the address gives its own attempt back, not the others'.
    assert try_at(app, 30, emails[30]) is None          # the 31st: the next would wait 60 s
    succeed_at(app, emails[30])
    assert try_at(app, 30, "x@example.test") == 30       # the wait the 30 failures earned
    assert try_at(app, 60, "x@example.test") is None
    # An hour without a failure: the address starts again from none.
    assert [try_at(app, 60 + 3600, f"y{n}@example.test") for n in range(30)] == [None] * 30


def test_parallel_attempts_cannot_slip_under_the_limit(app):
    """Each attempt is counted before argon2 runs: 12 at once, 5 go through, 7 must wait."""
    with ThreadPoolExecutor(max_workers=12) as pool:
        answers = list(pool.map(lambda _: try_at(app, 0), range(12)))
    assert answers.count(None) == 5 and sorted(set(answers) - {None}) == [30]
