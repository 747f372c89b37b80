"""A registration type's rules on the admin's type form (/admin/types), and the demo's
applications."""
import re

from sqlalchemy import func, select

from mapdash.models import Category, Incident, Registration
from mapdash.registrations import rules
from tests.support import csrf_token, login
from tests.test_admin_types import changes_of, department_id, type_form


def elderly(session) -> Category:
    session.expire_all()
    return session.scalars(select(Category).where(Category.code == "elderly_allowance")
                           .order_by(Category.id)).first()


def test_the_admin_sets_the_age_the_window_and_the_documents(demo_client, demo_session):
    login(demo_client, "admin@demo.mapdash.test", "demo-password")
    category = elderly(demo_session)
    path = f"/admin/types/{category.id}"
    page = demo_client.get(path).get_data(as_text=True)
    assert 'id="registration-rules"' in page and 'name="reg_min_age"' in page
    assert 'value="60"' in page and re.search(r'value="bank_book" checked', page)
    form = type_form(demo_session, csrf_token(demo_client, path), code=None,
                     name_th=category.name_th, icon="elderly",
                     department_id=str(department_id(demo_session, "welfare")),
                     location_required=None, reg_min_age="65", reg_opens="2026-11-01",
                     reg_closes="2026-11-30", reg_documents=["id_card", "bank_book"])
    # A window that ends before it starts comes back with what was typed.
    refused = demo_client.post(path, data={**form, "reg_closes": "2026-10-01"})
    page = refused.get_data(as_text=True)
    assert refused.status_code == 400 and 'value="2026-10-01"' in page
    assert re.search(r'name="reg_closes" value="2026-10-01" aria-invalid="true"', page)
    assert elderly(demo_session).registration["min_age"] == 60
    assert demo_client.post(path, data=form).status_code == 303
    saved = rules.Rules.of(elderly(demo_session).registration)
    assert saved == rules.Rules(65, rules.date(2026, 11, 1), rules.date(2026, 11, 30),
                                ("id_card", "bank_book"))
    change = changes_of(demo_session)[-1]
    assert change.before["registration"]["min_age"] == 60
    assert change.after["registration"]["documents"] == ["id_card", "bank_book"]
    # The applicant's form states the new rules.
    form_page = demo_client.get("/report/elderly_allowance").get_data(as_text=True)
    assert "ผู้มีอายุ 65 ปีขึ้นไป" in form_page and "30 พ.ย. 2569" in form_page
    assert 'name="doc-house_registration"' not in form_page


def test_a_new_registration_type_is_confidential_with_its_rules(demo_client, demo_session):
    login(demo_client, "admin@demo.mapdash.test", "demo-password")
    token = csrf_token(demo_client, "/admin/types/new")
    form = type_form(demo_session, token, code="school_milk", kind="registration",
                     name_th="ลงทะเบียนรับนมโรงเรียน", reg_min_age="", reg_documents=["id_card"])
    response = demo_client.post("/admin/types/new", data=form)
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    demo_session.expire_all()
    made = demo_session.scalars(select(Category).where(Category.code == "school_milk")).one()
    assert made.kind == "registration" and made.sensitive
    assert made.registration == {"min_age": None, "opens": None, "closes": None,
                                 "documents": ["id_card"]}
    # A type of another kind keeps no registration rules, whatever was sent.
    form = type_form(demo_session, token, code="tree2", reg_min_age="60")
    assert demo_client.post("/admin/types/new", data=form).status_code == 303
    demo_session.expire_all()
    assert demo_session.scalars(select(Category).where(Category.code == "tree2")).one() \
        .registration is None


def test_the_demo_has_applications_at_each_step_with_fake_valid_numbers(demo_client, demo_session):
    rows = demo_session.execute(select(Incident.status, Registration.national_id)
                                .join(Registration, Registration.incident_id == Incident.id)).all()
    assert sorted(status for status, _ in rows) == ["accepted", "info_requested", "new",
                                                    "rejected", "resolved"]
    assert all(rules.national_id_valid(number) for _, number in rows)
    assert demo_session.scalar(select(func.count()).select_from(Registration)) == 5
    code = demo_session.scalar(select(Incident.tracking_code).join(Registration).where(
        Incident.status == "info_requested"))
    page = demo_client.get(f"/track/{code}").get_data(as_text=True)
    assert "สมุดบัญชี" in page  # the question is public, the person is not
    assert not any(number in page for _, number in rows)
