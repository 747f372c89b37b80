"""Staff accounts at /admin/staff (issue 19, item 1): adding a person who chooses a password
with a one-time link, changing role and department, deactivating (every session ends at
once), resetting a password; the last administrator is kept; every change is recorded."""
import re
import threading
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select, update

from mapdash.db import new_session
from mapdash.errors import UserError
from mapdash.models import AdminChange, Department, Notification, PasswordLink, User
from mapdash.office import staff
from mapdash.office.auth import create_user, find_user
from tests.factories import STAFF_PASSWORD, make_org, make_staff
from tests.support import csrf_token, login

NEW_PASSWORD = "a long new password"


@pytest.fixture
def people(session):
    users = make_staff(session)
    session.commit()
    return users


@pytest.fixture
def admin(app, people):
    client = app.test_client()
    assert login(client, "admin@example.test", STAFF_PASSWORD).status_code == 302
    return client


def engineering(session) -> Department:
    return session.scalars(select(Department).where(Department.code == "engineering")).first()


def recorded(session) -> list[tuple]:
    session.expire_all()
    return [(c.subject, c.action, c.subject_label, c.before, c.after)
            for c in session.scalars(select(AdminChange).order_by(AdminChange.id))]


def add_person(client, **fields):
    form = {"display_name": "สมชาย ใจดี", "email": "somchai@example.test", "role": "crew",
            "department_id": "", "csrf_token": csrf_token(client, "/admin/staff/"), **fields}
    return client.post("/admin/staff/", data=form)


def shown_link(page) -> str:
    """The path of the set-password link a page shows (the link itself is absolute)."""
    url = re.search(r'id="password-link">([^<]+)<', page.get_data(as_text=True)).group(1)
    assert url.startswith("http://127.0.0.1:5000/account/set-password/")  # PUBLIC_BASE_URL
    return urlsplit(url).path


def marked(html: str) -> list[str]:
    """The names of the fields a page marks as wrong."""
    return re.findall(r'<(?:input|select|textarea)[^>]*name="([^"]+)"[^>]*aria-invalid="true"', html)


def choose_password(client, link: str, password: str = NEW_PASSWORD, again: str | None = None):
    token = csrf_token(client, "/login")
    return client.post(link, data={"password": password, "password_again": again or password,
                                   "csrf_token": token})


def test_an_added_person_chooses_a_password_with_the_link_once(app, admin, session):
    department = engineering(session)
    page = add_person(admin, department_id=str(department.id))
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    link = shown_link(page)
    assert "/account/set-password/" in link and "สมชาย ใจดี" in page.get_data(as_text=True)
    user = find_user(session, "somchai@example.test")
    assert (user.role, user.department_id, user.active) == ("crew", department.id, True)
    stored = session.scalars(select(PasswordLink)).one()
    assert stored.purpose == "invite" and link.rsplit("/", 1)[1] not in stored.token_sha256
    assert recorded(session) == [("user", "created", "somchai@example.test", None, {
        "display_name": "สมชาย ใจดี", "email": "somchai@example.test", "role": "crew",
        "department": "engineering", "active": True})]
    # Nobody can sign in before the person chose a password; the list says a link waits.
    assert "ลิงก์ตั้งรหัสผ่าน" in admin.get("/admin/staff/").get_data(as_text=True)

    person = app.test_client()
    opened = person.get(link)
    assert opened.status_code == 200 and opened.headers["Cache-Control"] == "no-store"
    assert "สมชาย ใจดี" in opened.get_data(as_text=True)
    assert choose_password(person, link, "short").status_code == 400
    differ = choose_password(person, link, NEW_PASSWORD, NEW_PASSWORD + "!")
    assert differ.status_code == 400 and "พิมพ์รหัสผ่านเดียวกันสองครั้ง" in differ.get_data(as_text=True)
    done = choose_password(person, link)
    assert done.status_code == 303 and "/login?email=somchai" in done.headers["Location"]
    assert login(person, "somchai@example.test", NEW_PASSWORD).status_code == 302
    assert person.get("/crew/").status_code == 200
    # Used up: neither opened nor used again.
    for answer in (app.test_client().get(link),
                   choose_password(app.test_client(), link, "another long password")):
        assert answer.status_code == 410 and "ใช้ไม่ได้แล้ว" in answer.get_data(as_text=True)
    assert login(app.test_client(), "somchai@example.test", NEW_PASSWORD).status_code == 302


def test_a_made_up_changed_or_expired_link_is_refused(app, admin, session):
    link = shown_link(add_person(admin))
    client = app.test_client()
    for path in ("/account/set-password/nonsense", link[:-2] + "xx",
                 "/account/set-password/" + "x" * 5000):
        assert client.get(path).status_code == 410, path
    session.execute(update(PasswordLink).values(expires_at=datetime.now(UTC) - timedelta(seconds=1)))
    session.commit()
    assert client.get(link).status_code == 410
    # A newer link replaces an older one.
    session.execute(update(PasswordLink).values(expires_at=datetime.now(UTC) + timedelta(hours=1)))
    session.commit()
    assert client.get(link).status_code == 200
    user = find_user(session, "somchai@example.test")
    token = csrf_token(admin, f"/admin/staff/{user.id}")
    newer = admin.post(f"/admin/staff/{user.id}/password-link", data={"csrf_token": token})
    assert client.get(link).status_code == 410
    assert client.get(shown_link(newer)).status_code == 200


@pytest.mark.parametrize("fields, code, status, field", [
    ({"email": "not-an-address"}, "อีเมลไม่ถูกต้อง", 400, "email"),
    ({"email": "Crew@Example.test"}, "อีเมลนี้มีบัญชีอยู่แล้ว", 409, "email"),
    ({"role": "officer"}, "ต้องสังกัดกอง/ฝ่าย", 400, "department_id"),
    ({"role": "boss"}, "เลือกบทบาท", 400, "role"),
    ({"display_name": ""}, "กรอกชื่อ", 400, "display_name"),
    ({"display_name": "ก" * 101}, "กรอกชื่อ", 400, "display_name"),
    ({"department_id": "99999"}, "เลือกกอง/ฝ่ายจากรายการ", 400, "department_id"),
    ({"department_id": "x"}, "เลือกกอง/ฝ่ายจากรายการ", 400, "department_id"),
])
def test_adding_refuses_bad_values_and_keeps_what_was_typed(admin, session, fields, code,
                                                             status, field):
    typed = {"display_name": "นางสาวมาลี", "email": "malee@example.test", **fields}
    page = add_person(admin, **typed)
    html = page.get_data(as_text=True)
    assert page.status_code == status and code in html
    assert marked(html) == [field]
    for name in ("display_name", "email"):
        if typed[name]:
            assert f'value="{typed[name]}"' in html
    assert find_user(session, "malee@example.test") is None and recorded(session) == []


def test_role_and_department_change_and_are_recorded(admin, people, session):
    crew = people["crew"]
    token = csrf_token(admin, f"/admin/staff/{crew.id}")
    url = f"/admin/staff/{crew.id}/change"
    refused = admin.post(url, data={"display_name": "ทีมช่าง 1", "role": "officer",
                                    "department_id": "", "csrf_token": token})
    assert refused.status_code == 400 and 'value="ทีมช่าง 1"' in refused.get_data(as_text=True)
    department = engineering(session)
    assert admin.post(url, data={"display_name": "ทีมช่าง 1", "role": "officer",
                                 "department_id": str(department.id),
                                 "csrf_token": token}).status_code == 303
    session.expire_all()
    assert (crew.role, crew.department_id, crew.display_name) == ("officer", department.id, "ทีมช่าง 1")
    assert recorded(session) == [("user", "changed", "crew@example.test",
                                  {"display_name": "crew@example.test", "role": "crew",
                                   "department": None},
                                  {"display_name": "ทีมช่าง 1", "role": "officer",
                                   "department": "engineering"})]
    page = admin.get("/admin/changes").get_data(as_text=True)
    assert "บัญชีเจ้าหน้าที่" in page and "ทีมช่าง 1" in page


def test_an_account_of_another_organization_is_not_found(admin, session):
    other = make_org(session, slug="other-tambon")
    stranger = create_user(session, organization_id=other.id, email="x@other.test",
                           password=STAFF_PASSWORD, role="crew")
    session.commit()
    token = csrf_token(admin, "/admin/staff/")
    for method, path in (("GET", ""), ("POST", "/change"), ("POST", "/deactivate"),
                         ("POST", "/activate"), ("POST", "/password-link")):
        answer = admin.open(f"/admin/staff/{stranger.id}{path}", method=method,
                            data={"csrf_token": token, "display_name": "x", "role": "crew"})
        assert answer.status_code == 404, path
    assert "x@other.test" not in admin.get("/admin/staff/").get_data(as_text=True)


def test_deactivation_ends_a_session_at_once_and_activation_lets_them_in_again(app, admin, people,
                                                                           session):
    crew = people["crew"]
    phone = app.test_client()
    assert login(phone, crew.email, STAFF_PASSWORD).status_code == 302
    copied = app.test_client()
    copied.set_cookie("session", phone.get_cookie("session").value)
    assert phone.get("/crew/").status_code == 200 and copied.get("/crew/").status_code == 200

    token = csrf_token(admin, f"/admin/staff/{crew.id}")
    answer = admin.post(f"/admin/staff/{crew.id}/deactivate", data={"csrf_token": token})
    assert answer.status_code == 303
    for client in (phone, copied):
        refused = client.get("/crew/")
        assert refused.status_code == 302 and "/login" in refused.headers["Location"]
    assert login(app.test_client(), crew.email, STAFF_PASSWORD).status_code == 401
    assert "ปิดการใช้งาน" in admin.get("/admin/staff/").get_data(as_text=True)

    assert admin.post(f"/admin/staff/{crew.id}/activate", data={"csrf_token": token}).status_code == 303
    assert copied.get("/crew/").status_code == 302  # an ended session stays ended
    assert login(app.test_client(), crew.email, STAFF_PASSWORD).status_code == 302
    assert [row[:2] for row in recorded(session)] == [("user", "deactivated"),
                                                      ("user", "activated")]
    assert recorded(session)[0][3:] == ({"active": True}, {"active": False})


def test_a_reset_password_stops_working_and_ends_every_session(app, admin, people, session):
    dispatcher = people["dispatcher"]
    desk = app.test_client()
    assert login(desk, dispatcher.email, STAFF_PASSWORD).status_code == 302
    token = csrf_token(admin, f"/admin/staff/{dispatcher.id}")
    page = admin.post(f"/admin/staff/{dispatcher.id}/password-link", data={"csrf_token": token})
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    assert desk.get("/dispatch/").status_code == 302
    assert login(app.test_client(), dispatcher.email, STAFF_PASSWORD).status_code == 401
    assert choose_password(app.test_client(), shown_link(page)).status_code == 303
    assert login(app.test_client(), dispatcher.email, NEW_PASSWORD).status_code == 302
    assert recorded(session) == [("user", "password_reset", dispatcher.email, None, None)]


def test_nobody_deactivates_themself_or_changes_their_own_role(admin, people, session):
    me = people["admin"]
    token = csrf_token(admin, f"/admin/staff/{me.id}")
    page = admin.get(f"/admin/staff/{me.id}").get_data(as_text=True)
    assert f'action="/admin/staff/{me.id}/deactivate"' not in page
    refused = admin.post(f"/admin/staff/{me.id}/deactivate", data={"csrf_token": token})
    assert refused.status_code == 409 and "ปิดการใช้งานบัญชีของตนเองไม่ได้" in refused.get_data(as_text=True)
    demoted = admin.post(f"/admin/staff/{me.id}/change", data={"display_name": "ผู้ดูแล",
                                                         "role": "dispatcher", "csrf_token": token})
    assert demoted.status_code == 409
    session.expire_all()
    assert (me.active, me.role) == (True, "admin") and recorded(session) == []
    # Their own name and department they may change.
    assert admin.post(f"/admin/staff/{me.id}/change", data={"display_name": "ผู้ดูแล", "role": "admin",
                                                     "csrf_token": token}).status_code == 303


def test_two_admins_removing_each_other_at_once_leave_one(app, people, session):
    """The last-admin rule under a race: each admin takes the other away in its own
    transaction; the second waits for the first and is then refused."""
    first = people["admin"]
    second = create_user(session, organization_id=first.organization_id, email="admin2@example.test",
                         password=STAFF_PASSWORD, role="admin")
    session.commit()
    outcome = {}
    with new_session(app) as one, new_session(app) as two, app.test_request_context():
        staff.set_active(one, one.get(User, first.id), second.id, False)

        def other_way():
            try:
                staff.change(two, two.get(User, second.id), first.id, display_name="a",
                             role="crew", department_id=None)
            except UserError as error:
                outcome["refused"] = error.code
            two.rollback()
        racing = threading.Thread(target=other_way)
        racing.start()
        racing.join(1)
        assert racing.is_alive()  # waiting for the first change's locks
        one.commit()
        racing.join(10)
    assert outcome == {"refused": "last_admin"}
    session.expire_all()
    assert [(u.email, u.role, u.active) for u in session.scalars(
        select(User).where(User.role == "admin").order_by(User.id))] == [
        ("admin@example.test", "admin", True), ("admin2@example.test", "admin", False)]


def test_the_link_is_emailed_when_mail_is_set_up(app, admin, session):
    add_person(admin)
    assert session.scalars(select(Notification)).all() == []  # no SMTP here: shown only
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_FROM="noreply@example.test")
    page = add_person(admin, email="malee@example.test", display_name="มาลี")
    assert "ส่งทางอีเมลถึง malee@example.test แล้ว" in page.get_data(as_text=True)
    [message] = session.scalars(select(Notification)).all()
    user = find_user(session, "malee@example.test")
    assert (message.kind, message.channel, message.recipient, message.user_id,
            message.incident_id) == ("password_link", "email", "malee@example.test", user.id, None)
    link = shown_link(page)
    assert link in message.payload["text_th"] and link in message.payload["text_en"]


def test_the_list_shows_when_each_account_last_signed_in(app, admin, people, session):
    crew, dispatcher, officer = people["crew"], people["dispatcher"], people["officer"]
    assert login(app.test_client(), crew.email, STAFF_PASSWORD).status_code == 302
    session.expire_all()
    assert crew.last_sign_in_at is not None and officer.last_sign_in_at is None
    session.execute(update(User).where(User.id == dispatcher.id).values(
        last_sign_in_at=datetime(2026, 3, 1, 2, 0, tzinfo=UTC)))
    session.commit()
    html = admin.get("/admin/staff/").get_data(as_text=True)

    def row(user) -> str:
        return re.search(rf'<tr id="user-{user.id}".*?</tr>', html, re.S).group(0)
    assert "1 มี.ค. 2569 09:00" in row(dispatcher)  # Bangkok time
    never = 'data-label="เข้าสู่ระบบล่าสุด">–<'
    assert never in row(officer) and never not in row(crew)
