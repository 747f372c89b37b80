"""The administrator's pages: /admin and its API keys (Open311), and `mapdash apikeys`."""
import re

import pytest
from sqlalchemy import select

from mapdash.models import ApiKey
from mapdash.office import apikeys
from tests.factories import make_org
from tests.support import csrf_token, login

ADMIN = "admin@demo.mapdash.test"


def as_role(client, role):
    login(client, f"{role}@demo.mapdash.test", "demo-password")
    return client


@pytest.mark.parametrize("role", ["dispatcher", "officer", "crew"])
def test_only_admins_see_the_admin_pages(demo_client, role):
    as_role(demo_client, role)
    for path in ("/admin/", "/admin/api-keys"):
        assert demo_client.get(path).status_code == 403
    assert demo_client.post("/admin/api-keys", data={"name": "x"}).status_code in (400, 403)
    assert ">ผู้ดูแลระบบ<" not in demo_client.get("/dispatch/").get_data(as_text=True) \
        or role == "crew"


def test_anonymous_visitors_are_sent_to_sign_in(demo_client):
    response = demo_client.get("/admin/api-keys")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_the_admin_index_lists_its_sections_and_the_nav_links_to_it(demo_client):
    as_role(demo_client, "admin")
    page = demo_client.get("/dispatch/").get_data(as_text=True)
    assert 'href="/admin/"' in page
    index = demo_client.get("/admin/").get_data(as_text=True)
    assert 'href="/admin/api-keys"' in index and "กุญแจ API" in index


def test_an_admin_creates_a_key_sees_it_once_and_revokes_it(demo_client, demo_session):
    as_role(demo_client, "admin")
    token = csrf_token(demo_client, "/admin/api-keys")
    page = demo_client.post("/admin/api-keys", data={"name": "แอปจังหวัด", "csrf_token": token})
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    key = re.search(r'id="new-key">([^<]+)<', page.get_data(as_text=True)).group(1)
    row = demo_session.scalars(select(ApiKey)).one()
    assert row.key_sha256 == apikeys.digest(key) and key not in row.key_sha256
    listing = demo_client.get("/admin/api-keys").get_data(as_text=True)
    assert "แอปจังหวัด" in listing and key not in listing and "ยังไม่เคยใช้" in listing

    answer = demo_client.post("/open311/v2/requests.json", data={
        "api_key": key, "service_code": "road", "lat": "17.35", "long": "104.62"})
    assert answer.status_code == 200
    assert "ยังไม่เคยใช้" not in demo_client.get("/admin/api-keys").get_data(as_text=True)

    refused = demo_client.post("/admin/api-keys/revoke", data={"name": "แอปจังหวัด"})
    assert refused.status_code == 400  # no CSRF token
    done = demo_client.post("/admin/api-keys/revoke",
                            data={"name": "แอปจังหวัด", "csrf_token": token},
                            follow_redirects=True)
    assert "ยกเลิกกุญแจ \"แอปจังหวัด\" แล้ว" in done.get_data(as_text=True).replace("&#34;", '"')
    demo_session.expire_all()
    assert demo_session.scalars(select(ApiKey)).one().revoked_at is not None
    assert demo_client.post("/open311/v2/requests.json", data={
        "api_key": key, "service_code": "road", "lat": "17.35", "long": "104.62"}
    ).status_code == 403


@pytest.mark.parametrize("name, status", [("", 400), ("x" * 101, 400), ("taken", 409)])
def test_a_bad_key_name_is_explained_and_nothing_is_made(demo_client, demo_session, name, status):
    as_role(demo_client, "admin")
    token = csrf_token(demo_client, "/admin/api-keys")
    demo_client.post("/admin/api-keys", data={"name": "taken", "csrf_token": token})
    page = demo_client.post("/admin/api-keys", data={"name": name, "csrf_token": token})
    assert page.status_code == status
    html = page.get_data(as_text=True)
    assert 'class="form-error"' in html and 'id="new-key"' not in html
    assert len(demo_session.scalars(select(ApiKey)).all()) == 1


def test_an_admin_cannot_revoke_another_organizations_key(demo_client, demo_session):
    from shapely.geometry import box
    other = make_org(demo_session, slug="other", villages=((1, "x", box(101, 10, 101.1, 10.1)),))
    apikeys.create_key(demo_session, "theirs", other)
    demo_session.commit()
    as_role(demo_client, "admin")
    assert "theirs" not in demo_client.get("/admin/api-keys").get_data(as_text=True)
    token = csrf_token(demo_client, "/admin/api-keys")
    response = demo_client.post("/admin/api-keys/revoke", data={"name": "theirs",
                                                                "csrf_token": token})
    assert response.status_code == 404
    demo_session.expire_all()
    assert demo_session.scalars(select(ApiKey)).one().revoked_at is None


# --- the command line ----------------------------------------------------------------------

def run(app, *args):
    return app.test_cli_runner().invoke(args=list(args))


def test_apikeys_create_prints_the_key_alone_on_the_last_line(app, session):
    make_org(session)
    session.commit()
    result = run(app, "apikeys", "create", "city app", "--org", "test-tambon")
    assert result.exit_code == 0, result.output
    key = result.output.strip().splitlines()[-1]
    assert re.fullmatch(r"md311_[A-Za-z0-9_-]{43}", key)
    row = session.scalars(select(ApiKey)).one()
    assert row.name == "city app" and row.key_sha256 == apikeys.digest(key)
    assert apikeys.valid_key(session, key).id == row.id
    again = run(app, "apikeys", "create", "city app")
    assert again.exit_code != 0 and "exists" in again.output


def test_apikeys_revoke_refuses_the_key_from_then_on(app, session):
    make_org(session)
    session.commit()
    key = run(app, "apikeys", "create", "old app").output.strip().splitlines()[-1]
    result = run(app, "apikeys", "revoke", "old app")
    assert result.exit_code == 0 and "revoked" in result.output
    assert apikeys.valid_key(session, key) is None
    missing = run(app, "apikeys", "revoke", "no such app")
    assert missing.exit_code != 0 and "No key" in missing.output
    assert run(app, "apikeys", "create", "x", "--org", "nowhere").exit_code != 0


def test_admin_pages_at_phone_and_desktop(live_server, phone, desktop, screenshot_dir):
    for page, size in ((phone, "phone"), (desktop, "desktop")):
        page.goto(f"{live_server}/login")
        page.fill("input[name=email]", ADMIN)
        page.fill("input[name=password]", "demo-password")
        page.click("button[type=submit]")
        page.wait_for_url("**/dispatch/**")
        page.goto(f"{live_server}/admin/api-keys")
        for name in (f"แอปชุมชน ({size})", f"old app ({size})"):
            page.fill("input[name=name]", name)
            page.click("text=สร้างกุญแจใหม่")
            page.wait_for_selector("#new-key")
        row = page.locator("tr", has_text=f"old app ({size})")
        row.locator("summary").click()
        row.locator("button.danger").click()
        page.wait_for_selector(".flash")
        page.screenshot(path=str(screenshot_dir / f"admin-api-keys-{size}.png"), full_page=True, scale="css")
        page.fill("input[name=name]", f"shown once ({size})")
        page.click("text=สร้างกุญแจใหม่")
        key = page.locator("#new-key").inner_text()
        assert key.startswith("md311_")
        page.screenshot(path=str(screenshot_dir / f"admin-api-key-created-{size}.png"),
                        full_page=True, scale="css")
        page.locator("tr", has_text=f"แอปชุมชน ({size})").locator("summary").click()
        page.screenshot(path=str(screenshot_dir / f"admin-api-key-revoke-{size}.png"),
                        full_page=True, scale="css")
        page.goto(f"{live_server}/admin/")
        page.screenshot(path=str(screenshot_dir / f"admin-index-{size}.png"), full_page=True, scale="css")
