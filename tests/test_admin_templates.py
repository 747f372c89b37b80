"""Response templates at /admin/templates: adding and changing canned public messages per
case type and action, refusals that keep what was typed, the record of each change, and
templates_for, which the dispatcher's panel offers from."""
import re

import pytest
from sqlalchemy import select

from mapdash.models import AdminChange, Category, ResponseTemplate
from mapdash.office.response_templates import templates_for
from tests.support import csrf_token, login

ADMIN = "admin@demo.mapdash.test"


@pytest.fixture
def admin(demo_client):
    login(demo_client, ADMIN, "demo-password")
    return demo_client


def category(session, code):
    return session.scalars(select(Category).where(Category.code == code)
                           .order_by(Category.id)).first()


def template_form(token, **changes) -> dict:
    form = {"csrf_token": token, "action": "request_info", "category_id": "",
            "title": "ขอรูปเพิ่ม", "text_th": "กรุณาส่งรูปถ่ายเพิ่มเติม",
            "text_en": "Please send another photo", "sort_order": "2", "active": "1"}
    form.update(changes)
    return {key: value for key, value in form.items() if value is not None}


def recorded(session) -> list[AdminChange]:
    session.expire_all()
    return list(session.scalars(select(AdminChange).where(
        AdminChange.subject == "response_template").order_by(AdminChange.id)))


def test_an_admin_adds_and_changes_templates_and_the_panel_gets_them(admin, demo_session):
    light, water = category(demo_session, "streetlight"), category(demo_session, "water")
    token = csrf_token(admin, "/admin/templates/new")
    assert admin.post("/admin/templates/new", data=template_form(token)).status_code == 303
    assert admin.post("/admin/templates/new", data=template_form(
        token, category_id=str(light.id), title="หลอดไฟ", text_th="ช่างจะเปลี่ยนหลอดไฟ",
        text_en="", sort_order="1")).status_code == 303
    assert admin.post("/admin/templates/new", data=template_form(
        token, action="reject", title="ไม่ใช่หน้าที่")).status_code == 303
    every, lamp, reject = demo_session.scalars(
        select(ResponseTemplate).order_by(ResponseTemplate.id)).all()
    assert (every.category_id, every.action, every.text_en, every.active) == (
        None, "request_info", "Please send another photo", True)
    assert (lamp.category_id, lamp.text_en, lamp.sort_order) == (light.id, "", 1)
    org = light.organization_id
    # The type's own and every type's, in their order; another action's never.
    assert templates_for(demo_session, org, light.id, "request_info") == [lamp, every]
    assert templates_for(demo_session, org, water.id, "request_info") == [every]
    assert templates_for(demo_session, org, light.id, "reject") == [reject]
    assert templates_for(demo_session, org + 1000, light.id, "request_info") == []
    page = admin.get("/admin/templates/").get_data(as_text=True)
    assert "ขอรูปเพิ่ม" in page and "หลอดไฟ" in page and "ไม่ใช่หน้าที่" in page

    # Changed: no longer in use, so no longer offered; only what changed is recorded.
    form = template_form(token, category_id=str(light.id), title="หลอดไฟ",
                         text_th="ช่างจะเปลี่ยนหลอดไฟ", text_en="", sort_order="1", active=None)
    assert 'value="หลอดไฟ"' in admin.get(f"/admin/templates/{lamp.id}").get_data(as_text=True)
    assert admin.post(f"/admin/templates/{lamp.id}", data=form).status_code == 303
    demo_session.expire_all()
    assert templates_for(demo_session, org, light.id, "request_info") == [every]
    changes = recorded(demo_session)
    assert [c.action for c in changes] == ["created", "created", "created", "changed"]
    assert changes[0].before is None and changes[0].after["text_th"] == "กรุณาส่งรูปถ่ายเพิ่มเติม"
    assert (changes[3].subject_id, changes[3].before, changes[3].after) == (
        lamp.id, {"active": True}, {"active": False})
    assert "หลอดไฟ" in admin.get("/admin/changes").get_data(as_text=True)


@pytest.mark.parametrize("changes, field, words", [
    ({"title": ""}, "title", "title"),
    ({"text_th": "  "}, "text_th", "Thai"),
    ({"text_th": "ก" * 2001}, "text_th", "2000"),
    ({"action": "assign"}, "action", "action"),
    ({"category_id": "999999"}, "category_id", "type"),
    ({"category_id": "lamp"}, "category_id", "type"),
    ({"sort_order": "-5000"}, "sort_order", "order"),
])
def test_bad_values_are_refused_and_what_was_typed_stays(admin, demo_session, changes, field,
                                                        words):
    token = csrf_token(admin, "/admin/templates/new")
    form = template_form(token, **changes)
    answer = admin.post("/admin/templates/new", data=form, headers={"Accept-Language": "en"})
    assert answer.status_code == 400
    page = answer.get_data(as_text=True)
    error = re.search(r'<p lang="th">(.*?)</p>\s*<p lang="en">(.*?)</p>', page, re.S)
    assert error and error[1].strip() and words in error[2], error and error[2]
    assert re.search(rf'name="{field}"[^>]*aria-invalid="true"', page)
    for name in ("title", "sort_order"):
        assert f'value="{form[name]}"' in page
    if field != "text_th":
        assert "กรุณาส่งรูปถ่ายเพิ่มเติม</textarea>" in page
    assert demo_session.scalars(select(ResponseTemplate)).first() is None
    assert recorded(demo_session) == []


@pytest.mark.parametrize("role", ["dispatcher", "officer", "crew"])
def test_only_admins_see_or_change_templates(demo_client, demo_session, role):
    login(demo_client, f"{role}@demo.mapdash.test", "demo-password")
    for path in ("/admin/templates/", "/admin/templates/new"):
        assert demo_client.get(path).status_code == 403
    token = csrf_token(demo_client, "/")
    assert demo_client.post("/admin/templates/new",
                            data=template_form(token)).status_code == 403
    assert demo_session.scalars(select(ResponseTemplate)).first() is None


def test_another_organizations_template_is_not_found(admin, demo_session):
    from tests.factories import make_org
    other = make_org(demo_session, slug="other-tambon")
    theirs = ResponseTemplate(organization_id=other.id, action="reject", title="x", text_th="x")
    demo_session.add(theirs)
    demo_session.commit()
    assert admin.get(f"/admin/templates/{theirs.id}").status_code == 404
    token = csrf_token(admin, "/admin/templates/new")
    assert admin.post(f"/admin/templates/{theirs.id}",
                      data=template_form(token)).status_code == 404
    demo_session.expire_all()
    assert theirs.title == "x"
