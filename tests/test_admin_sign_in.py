"""/admin/sign-in: the accounts too many wrong passwords locked, and unlocking them (admins
only, with the form's CSRF token, enforced by the server)."""
import pytest
from shapely.geometry import box

from tests.factories import STAFF_PASSWORD, make_org, make_staff
from tests.support import csrf_token, login

WRONG = "not the password"


@pytest.fixture
def staff(session):
    users = make_staff(session)
    session.commit()
    return users


def lock(app, email, times=6):
    """Wrong passwords from a client of their own until the account must wait."""
    stranger = app.test_client()
    token = csrf_token(stranger, "/login")
    codes = [stranger.post("/login", data={"email": email, "password": WRONG,
                                           "csrf_token": token}).status_code
             for _ in range(times)]
    assert codes[-1] == 429


def signed_in(app, email):
    client = app.test_client()
    assert login(client, email, STAFF_PASSWORD).status_code == 302
    return client


def test_an_admin_sees_a_locked_account_and_unlocks_it(app, staff):
    admin = signed_in(app, "admin@example.test")
    assert "ไม่มีบัญชีที่ถูกล็อก" in admin.get("/admin/sign-in/").get_data(as_text=True)
    lock(app, "crew@example.test")
    page = admin.get("/admin/sign-in/").get_data(as_text=True)
    row = page.split(f'id="locked-{staff["crew"].id}"')[1].split("</tr>")[0]
    assert "crew@example.test" in row and ">5<" in row and "ทีมภาคสนาม" in row
    assert "dispatcher@example.test" not in page
    assert login(app.test_client(), "crew@example.test", STAFF_PASSWORD).status_code == 429

    unlock = f"/admin/sign-in/{staff['crew'].id}/unlock"
    assert admin.post(unlock).status_code == 400  # no CSRF token
    done = admin.post(unlock, data={"csrf_token": csrf_token(admin, "/admin/sign-in/")},
                      follow_redirects=True)
    assert done.status_code == 200
    text = done.get_data(as_text=True)
    assert "crew@example.test ลงชื่อเข้าใช้ได้อีกครั้ง" in text and "ไม่มีบัญชีที่ถูกล็อก" in text
    # The right password works at once, and the failures start again from none.
    assert signed_in(app, "crew@example.test").get("/crew/").status_code == 200
    assert login(app.test_client(), "crew@example.test", WRONG).status_code == 401


@pytest.mark.parametrize("role", ["dispatcher", "officer", "crew"])
def test_only_admins_see_and_unlock(app, staff, role):
    lock(app, "admin@example.test")
    client = signed_in(app, f"{role}@example.test")
    assert client.get("/admin/sign-in/").status_code == 403
    token = csrf_token(client, "/crew/" if role == "crew" else "/dispatch/")
    assert client.post(f"/admin/sign-in/{staff['admin'].id}/unlock",
                       data={"csrf_token": token}).status_code == 403
    assert login(app.test_client(), "admin@example.test", STAFF_PASSWORD).status_code == 429


def test_strangers_are_sent_to_sign_in(client, staff):
    assert "/login" in client.get("/admin/sign-in/").headers["Location"]
    token = csrf_token(client, "/login")
    response = client.post(f"/admin/sign-in/{staff['crew'].id}/unlock", data={"csrf_token": token})
    assert response.status_code == 302 and "/login" in response.headers["Location"]


@pytest.mark.parametrize("user_id", ["other", "99999999999999999999999"])
def test_an_admin_cannot_unlock_another_organizations_account(app, staff, session, user_id):
    other = make_staff(session, make_org(session, slug="other", villages=(
        (1, "x", box(101, 10, 101.1, 10.1)),)), domain="other.test")
    session.commit()
    lock(app, "crew@other.test")
    admin = signed_in(app, "admin@example.test")
    assert "crew@other.test" not in admin.get("/admin/sign-in/").get_data(as_text=True)
    target = other["crew"].id if user_id == "other" else user_id
    response = admin.post(f"/admin/sign-in/{target}/unlock",
                          data={"csrf_token": csrf_token(admin, "/admin/sign-in/")})
    assert response.status_code == 404
    assert login(app.test_client(), "crew@other.test", STAFF_PASSWORD).status_code == 429


def test_the_locked_accounts_page_at_phone_and_desktop(live_server, demo_app, phone, desktop,
                                                      screenshot_dir):
    for page, size in ((phone, "phone"), (desktop, "desktop")):
        lock(demo_app, "crew@demo.mapdash.test")
        page.goto(f"{live_server}/login")
        page.fill("input[name=email]", "admin@demo.mapdash.test")
        page.fill("input[name=password]", "demo-password")
        page.click("button[type=submit]")
        page.wait_for_url("**/dispatch/**")
        page.goto(f"{live_server}/admin/")
        page.click("text=บัญชีที่ถูกล็อก")
        row = page.locator("tr", has_text="crew@demo.mapdash.test")
        assert row.locator("td").nth(1).inner_text() == "5"
        page.screenshot(path=str(screenshot_dir / f"admin-sign-in-{size}.png"), full_page=True, scale="css")
        row.locator("button", has_text="ปลดล็อก").click()
        page.wait_for_selector(".flash")
        assert page.locator("tr", has_text="crew@demo.mapdash.test").count() == 0
        page.screenshot(path=str(screenshot_dir / f"admin-sign-in-unlocked-{size}.png"),
                        full_page=True, scale="css")
