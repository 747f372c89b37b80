"""Sign-in, hashing, CSRF and roles, all enforced by the server."""
import pytest

from mapdash.errors import UserError
from mapdash.models import User
from mapdash.office.auth import create_user, hash_password
from tests.factories import make_org
from tests.support import csrf_token, login, make_app

PASSWORD = "correct horse battery"


@pytest.fixture
def staff(session):
    org = make_org(session)
    users = {role: create_user(session, organization_id=org.id, email=f"{role}@example.test",
                               password=PASSWORD, role=role,
                               department_code="engineering" if role == "officer" else None)
             for role in ("admin", "dispatcher", "officer", "crew")}
    session.commit()
    return users


def test_passwords_are_stored_as_argon2_hashes(staff, session):
    stored = session.get(User, staff["admin"].id).password_hash
    assert stored.startswith("$argon2id$") and PASSWORD not in stored


def test_login_and_logout(client, staff):
    response = login(client, "Dispatcher@Example.test", PASSWORD)
    assert response.status_code == 302 and response.headers["Location"].endswith("/dispatch/")
    assert client.get("/dispatch/").status_code == 200
    token = csrf_token(client, "/dispatch/")
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    assert client.get("/dispatch/").status_code == 302


def test_wrong_password_is_refused_without_saying_which_part(client, staff):
    response = login(client, "admin@example.test", "wrong password!")
    assert response.status_code == 401
    assert "อีเมลหรือรหัสผ่านไม่ถูกต้อง" in response.get_data(as_text=True)
    assert login(client, "nobody@example.test", PASSWORD).status_code == 401


def test_login_form_without_csrf_token_is_refused(client, staff):
    response = client.post("/login", data={"email": "admin@example.test", "password": PASSWORD})
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert "แบบฟอร์มหมดอายุ" in body and "The form expired" in body


@pytest.mark.parametrize("path", ["/dispatch/", "/crew/"])
def test_staff_pages_send_strangers_to_login(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert "/login?next=" in response.headers["Location"]


@pytest.mark.parametrize("role, path, status", [
    ("admin", "/dispatch/", 200), ("dispatcher", "/dispatch/", 200), ("officer", "/dispatch/", 200),
    ("crew", "/dispatch/", 403), ("crew", "/crew/", 200), ("dispatcher", "/crew/", 403),
])
def test_roles_are_enforced_on_the_server(client, staff, role, path, status):
    login(client, f"{role}@example.test", PASSWORD)
    assert client.get(path).status_code == status


def test_crew_lands_on_the_crew_page(client, staff):
    assert login(client, "crew@example.test", PASSWORD).headers["Location"].endswith("/crew/")


def test_login_refuses_redirects_to_other_sites(client, staff):
    token = csrf_token(client, "/login")
    response = client.post("/login?next=https://evil.example/", data={
        "email": "admin@example.test", "password": PASSWORD, "csrf_token": token})
    assert response.headers["Location"].endswith("/dispatch/")


def test_officer_sees_only_their_departments_cases(client, staff, session):
    from tests.factories import make_incident

    light = make_incident(session, category="streetlight", description="ไฟดับหน้าวัด")
    ems = make_incident(session, category="ems", description="รถล้มที่ทางโค้ง")
    session.commit()
    login(client, "officer@example.test", PASSWORD)
    # The dispatch page draws its cases from the map API.
    features = client.get("/api/dispatch/cases.geojson").get_json()["features"]
    codes = [f["properties"]["code"] for f in features]
    assert light.tracking_code in codes and ems.tracking_code not in codes


def test_inactive_account_cannot_sign_in(client, staff, session):
    session.get(User, staff["admin"].id).active = False
    session.commit()
    assert login(client, "admin@example.test", PASSWORD).status_code == 401


def test_demo_accounts_only_work_in_development(demo_database_url, tmp_path):
    from mapdash.demo.load import DEMO_PASSWORD

    production = make_app(demo_database_url, tmp_path, ENV="production")
    response = login(production.test_client(), "dispatcher@demo.mapdash.test", DEMO_PASSWORD)
    assert response.status_code == 401
    assert "บัญชีสาธิต" in response.get_data(as_text=True)
    development = make_app(demo_database_url, tmp_path, ENV="development")
    assert login(development.test_client(), "dispatcher@demo.mapdash.test", DEMO_PASSWORD).status_code == 302
    for application in (production, development):
        application.extensions["db_engine"].dispose()


@pytest.mark.parametrize("fields, code", [
    ({"role": "officer"}, "department_required"),
    ({"role": "boss"}, "bad_role"),
    ({"role": "crew", "password": "short"}, "weak_password"),
    ({"role": "crew", "email": "not-an-email"}, "bad_email"),
    ({"role": "officer", "department_code": "nope"}, "bad_department"),
])
def test_account_creation_refuses_bad_input(session, fields, code):
    org = make_org(session)
    arguments = {"organization_id": org.id, "email": "new@example.test", "password": PASSWORD, **fields}
    with pytest.raises(UserError) as refused:
        create_user(session, **arguments)
    assert refused.value.code == code


def test_duplicate_email_is_refused_whatever_its_case(session, staff):
    with pytest.raises(UserError):
        create_user(session, organization_id=staff["admin"].organization_id,
                    email="ADMIN@example.test", password=PASSWORD, role="crew")


def test_hashes_are_salted():
    assert hash_password(PASSWORD) != hash_password(PASSWORD)
