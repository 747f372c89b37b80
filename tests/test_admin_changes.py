"""What administrators change in the browser is recorded, with the values before and after,
and listed at /admin/changes; the record cannot be edited."""
import pytest
from sqlalchemy import select, text

from mapdash.models import AdminChange, Department
from mapdash.office import changes
from mapdash.office.auth import find_user
from tests.support import csrf_token, login

ADMIN = "admin@demo.mapdash.test"


@pytest.fixture
def admin(demo_client):
    login(demo_client, ADMIN, "demo-password")
    return demo_client


def recorded(session) -> list[tuple]:
    session.expire_all()
    return [(c.subject, c.action, c.subject_label, c.before, c.after, c.actor_label)
            for c in session.scalars(select(AdminChange).order_by(AdminChange.id))]


def test_each_admin_change_is_recorded_with_before_and_after(admin, demo_session):
    token = csrf_token(admin, "/admin/api-keys")
    assert admin.post("/admin/api-keys", data={"name": "แอปจังหวัด", "csrf_token": token}).status_code == 200
    assert admin.post("/admin/api-keys/revoke",
                      data={"name": "แอปจังหวัด", "csrf_token": token}).status_code == 303
    department = demo_session.scalars(select(Department).where(Department.code == "engineering")).one()
    assert admin.post(f"/admin/notifications/departments/{department.id}", data={
        "notify_email": "chang@tambon.example", "notify_line_group": "",
        "csrf_token": token}).status_code == 303
    name = find_user(demo_session, ADMIN).display_name
    assert recorded(demo_session) == [
        ("api_key", "created", "แอปจังหวัด", None, None, name),
        ("api_key", "revoked", "แอปจังหวัด", None, None, name),
        ("department", "changed", "engineering", {"notify_email": None},
         {"notify_email": "chang@tambon.example"}, name),
    ]
    page = admin.get("/admin/changes").get_data(as_text=True)
    assert page.count('id="change-') == 3
    assert "chang@tambon.example" in page and "แอปจังหวัด" in page and "กุญแจ API" in page
    rows = page.split('id="change-')[1:]
    assert "chang@tambon.example" in rows[0] and "revoked" not in rows[0]  # newest first


def test_a_refused_change_records_nothing(admin, demo_session):
    department = demo_session.scalars(select(Department)).first()
    token = csrf_token(admin, "/admin/api-keys")
    answer = admin.post(f"/admin/notifications/departments/{department.id}", data={
        "notify_email": "not an address", "notify_line_group": "", "csrf_token": token})
    assert answer.status_code == 400
    assert recorded(demo_session) == []


def test_the_record_is_append_only(demo_session):
    admin = find_user(demo_session, ADMIN)
    change = changes.record(demo_session, admin, "user", "changed", label="x@example.test",
                            before={"role": "crew"}, after={"role": "crew", "active": False})
    demo_session.commit()
    assert (change.before, change.after) == ({"active": None}, {"active": False})  # only what differs
    for statement in ("UPDATE admin_changes SET action = 'removed'", "DELETE FROM admin_changes"):
        with pytest.raises(Exception, match="append-only"):
            demo_session.execute(text(statement))
        demo_session.rollback()


@pytest.mark.parametrize("role", ["dispatcher", "officer", "crew"])
def test_only_admins_read_the_changes(demo_client, role):
    login(demo_client, f"{role}@demo.mapdash.test", "demo-password")
    assert demo_client.get("/admin/changes").status_code == 403


def test_a_bad_page_number_is_refused(admin):
    for page in ("0", "x", "99999999999"):
        answer = admin.get(f"/admin/changes?page={page}")
        assert answer.status_code == 400, page
    assert admin.get("/admin/changes?page=2").status_code == 200
