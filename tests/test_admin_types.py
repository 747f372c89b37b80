"""Case types at /admin/types: the list, adding and changing one (names, look, department,
time limits, questions, flags, the responsible officer), refusals that keep what was typed,
the question editor without JavaScript, and the record of each change."""
import re

import pytest
from sqlalchemy import select

from mapdash.models import AdminChange, Category, Department
from tests.support import csrf_token, login

ADMIN = "admin@demo.mapdash.test"
DEFAULT_LIMITS = {"acknowledge": ("5", "minutes"), "check": ("5", "minutes"),
                  "inform": ("5", "minutes"), "print": ("5", "minutes"),
                  "set_status": ("10", "minutes"), "work": ("7", "days"),
                  "report": ("30", "minutes")}


@pytest.fixture
def admin(demo_client):
    login(demo_client, ADMIN, "demo-password")
    return demo_client


def department_id(session, code="engineering") -> int:
    """The demo organization's department (the first organization)."""
    return session.scalars(select(Department.id).where(Department.code == code)
                           .order_by(Department.id)).first()


def type_form(session, token, **changes) -> dict:
    """A complete form of a new type "tree" with two questions, one a list; `changes` on top
    (a value None leaves the field out)."""
    form = {"csrf_token": token, "code": "tree", "name_th": "ต้นไม้ล้มขวางทาง",
            "name_en": "Fallen tree", "icon": "road", "color": "#15803D",
            "department_id": str(department_id(session)), "sort_order": "5",
            "contact_name": "นายสมชาย ใจดี", "contact_phone": "08-1234-5678",
            "active": "1", "location_required": "1",
            "q-0-code": "size", "q-0-datatype": "singlevaluelist", "q-0-required": "1",
            "q-0-description_th": "ขนาดต้นไม้", "q-0-description_en": "Size of the tree",
            "q-0-v-0-key": "small", "q-0-v-0-name_th": "เล็ก", "q-0-v-0-name_en": "Small",
            "q-0-v-1-key": "big", "q-0-v-1-name_th": "ใหญ่", "q-0-v-1-name_en": "",
            "q-1-code": "blocking", "q-1-datatype": "string", "q-1-description_th": "ขวางถนนไหม",
            "q-1-description_en": ""}
    for step, (amount, unit) in DEFAULT_LIMITS.items():
        form[f"limit-{step}-amount"], form[f"limit-{step}-unit"] = amount, unit
    form["limit-work-amount"], form["limit-work-unit"] = "2", "days"
    form.update(changes)
    return {key: value for key, value in form.items() if value is not None}


def changes_of(session, subject="case_type") -> list[AdminChange]:
    session.expire_all()
    return list(session.scalars(select(AdminChange).where(AdminChange.subject == subject)
                                .order_by(AdminChange.id)))


def test_the_list_shows_every_type_with_its_limits(admin):
    page = admin.get("/admin/types/").get_data(as_text=True)
    assert page.count('id="type-') == 16  # office/catalog.py's types
    assert "ไฟฟ้าส่องสว่างดับ" in page and "<code>streetlight</code>" in page
    assert "7 วัน" in page  # the work step of seed 001, in days


def test_an_admin_adds_a_type_with_questions_and_it_is_recorded(admin, demo_session):
    token = csrf_token(admin, "/admin/types/new")
    answer = admin.post("/admin/types/new", data=type_form(demo_session, token))
    assert answer.status_code == 303
    tree = demo_session.scalars(select(Category).where(Category.code == "tree")).one()
    assert (tree.name_th, tree.name_en, tree.icon, tree.color) == (
        "ต้นไม้ล้มขวางทาง", "Fallen tree", "road", "#15803d")
    assert (tree.contact_name, tree.contact_phone, tree.sort_order) == (
        "นายสมชาย ใจดี", "08-1234-5678", 5)
    assert (tree.active, tree.location_required, tree.emergency, tree.sensitive) == (
        True, True, False, False)
    assert tree.sla_minutes == {"acknowledge": 5, "check": 5, "inform": 5, "print": 5,
                                "set_status": 10, "work": 2 * 24 * 60, "report": 30}
    assert tree.questions == [
        {"code": "size", "datatype": "singlevaluelist", "required": True, "order": 1,
         "description_th": "ขนาดต้นไม้", "description_en": "Size of the tree",
         "values": [{"key": "small", "name_th": "เล็ก", "name_en": "Small"},
                    {"key": "big", "name_th": "ใหญ่", "name_en": "ใหญ่"}]},  # English empty: Thai
        {"code": "blocking", "datatype": "string", "required": False, "order": 2,
         "description_th": "ขวางถนนไหม", "description_en": "ขวางถนนไหม", "values": []}]
    [change] = changes_of(demo_session)
    assert (change.action, change.subject_label, change.subject_id) == ("created", "tree", tree.id)
    assert change.before is None and change.after["department"] == "engineering"
    assert change.after["time_limits"]["work"] == 2880 and len(change.after["questions"]) == 2
    assert "tree" in admin.get("/admin/changes").get_data(as_text=True)
    # The citizens' home page offers it, and its report form shows the responsible officer.
    assert "/report/tree" in admin.get("/").get_data(as_text=True)
    form = admin.get("/report/tree").get_data(as_text=True)
    assert "นายสมชาย ใจดี" in form and 'href="tel:08-1234-5678"' in form
    assert 'name="attribute[size]"' in form and 'name="attribute[blocking]"' in form


def test_an_admin_changes_a_type_and_only_what_changed_is_recorded(admin, demo_session):
    light = demo_session.scalars(select(Category).where(Category.code == "streetlight")).one()
    page = admin.get(f"/admin/types/{light.id}").get_data(as_text=True)
    assert 'value="ไฟฟ้าส่องสว่างดับ"' in page and 'name="q-1-code"' in page
    form = form_fields(page)
    form.update({"color": "#000000", "limit-check-amount": "15", "active": None})
    answer = admin.post(f"/admin/types/{light.id}", data=drop_none(form))
    assert answer.status_code == 303
    demo_session.expire_all()
    assert (light.color, light.active, light.sla_minutes["check"]) == ("#000000", False, 15)
    assert light.code == "streetlight" and len(light.questions) == 2
    [change] = changes_of(demo_session)
    assert change.action == "changed" and change.subject_label == "streetlight"
    assert set(change.before) == {"color", "active", "time_limits"}
    assert (change.before["active"], change.after["active"]) == (True, False)
    assert change.after["time_limits"]["check"] == 15
    # Not offered any more: the home page leaves it out, its report form is gone.
    assert "/report/streetlight" not in admin.get("/").get_data(as_text=True)
    assert admin.get("/report/streetlight").status_code == 404


def test_a_type_s_kind_is_chosen_once_when_it_is_added(admin, demo_session):
    token = csrf_token(admin, "/admin/types/new")
    answer = admin.post("/admin/types/new", data=type_form(
        demo_session, token, code="elderly", kind="registration", location_required=None))
    assert answer.status_code == 303
    elderly = demo_session.scalars(select(Category).where(Category.code == "elderly")).one()
    assert elderly.kind == "registration"
    [change] = changes_of(demo_session)
    assert change.after["kind"] == "registration"
    # The edit page says the kind and offers no choice; a kind sent anyway changes nothing.
    page = admin.get(f"/admin/types/{elderly.id}", headers={"Accept-Language": "en"})
    text = page.get_data(as_text=True)
    assert "Registration with documents" in text and 'name="kind"' not in text
    form = form_fields(text)
    form.update(kind="payment", color="#000000")
    assert admin.post(f"/admin/types/{elderly.id}", data=form).status_code == 303
    demo_session.expire_all()
    assert (elderly.kind, elderly.color) == ("registration", "#000000")
    # The types every organization starts with have their kinds.
    kinds = dict(demo_session.execute(select(Category.code, Category.kind).where(
        Category.organization_id == elderly.organization_id)).all())
    assert (kinds["info_request"], kinds["appointment"], kinds["dev_plan"], kinds["road"]) == (
        "information", "appointment", "proposal", "report")


def form_fields(page: str) -> dict:
    """The fields of the page's form as a browser would send them (no button)."""
    fields: dict = {}
    for tag in re.findall(r"<(?:input|select|textarea)\b[^>]*>", page):
        name = re.search(r'name="([^"]+)"', tag)
        if not name or "type=\"submit\"" in tag:
            continue
        value = re.search(r'value="([^"]*)"', tag)
        if 'type="checkbox"' in tag or 'type="radio"' in tag:
            if "checked" in tag:
                fields[name[1]] = value[1] if value else "on"
            continue
        if tag.startswith("<select"):
            select = page[page.index(tag):].split("</select>")[0]
            chosen = re.search(r'<option value="([^"]*)"[^>]*selected', select) \
                or re.search(r'<option value="([^"]*)"', select)
            fields[name[1]] = chosen[1] if chosen else ""
            continue
        fields[name[1]] = unescape(value[1]) if value else ""
    return fields


def unescape(text: str) -> str:
    import html
    return html.unescape(text)


def drop_none(form: dict) -> dict:
    return {key: value for key, value in form.items() if value is not None}


@pytest.mark.parametrize("changes, field, words", [
    ({"color": "green"}, "color", "#rrggbb"),
    ({"color": "#12345"}, "color", "#rrggbb"),
    ({"limit-work-amount": "-1"}, "limit-work-amount", "0"),
    ({"limit-check-amount": "soon"}, "limit-check-amount", "0"),
    ({"limit-work-amount": "400", "limit-work-unit": "days"}, "limit-work-amount", "365"),
    ({"q-1-code": ""}, "q-1-code", "code"),
    ({"q-1-code": "with space"}, "q-1-code", "a-z"),
    ({"q-1-code": "size"}, "q-1-code", "size"),
    ({"q-0-v-0-key": "", "q-0-v-0-name_th": "", "q-0-v-0-name_en": "",
      "q-0-v-1-key": "", "q-0-v-1-name_th": "", "q-0-v-1-name_en": ""}, "q-0-values", "list"),
    ({"q-0-v-1-key": "small"}, "q-0-v-1-key", "small"),
    ({"q-0-v-1-key": ""}, "q-0-v-1-key", "key"),
    ({"q-1-description_th": ""}, "q-1-description_th", "Thai"),
    ({"name_th": ""}, "name_th", "Thai"),
    ({"code": "Tree!"}, "code", "a-z"),
    ({"code": "streetlight"}, "code", "streetlight"),
    ({"icon": "../secret"}, "icon", "icon"),
    ({"department_id": "999999"}, "department_id", "department"),
    ({"sort_order": "first"}, "sort_order", "order"),
    ({"kind": "lottery"}, "kind", "kind of service"),
])
def test_bad_values_are_refused_and_what_was_typed_stays(admin, demo_session, changes, field,
                                                        words):
    token = csrf_token(admin, "/admin/types/new")
    form = type_form(demo_session, token, name_en="Typed English", **changes)
    answer = admin.post("/admin/types/new", data=form, headers={"Accept-Language": "en"})
    assert answer.status_code == 400
    page = answer.get_data(as_text=True)
    error = re.search(r'id="form-error"[^>]*>\s*<p lang="th">(.*?)</p>\s*<p lang="en">(.*?)</p>',
                      page, re.S)
    assert error and error[1].strip() and words in error[2], error and error[2]
    assert re.search(rf'name="{re.escape(field)}"[^>]*aria-invalid="true"', page) \
        or re.search(rf'id="{field.rsplit("-", 1)[0]}"[^>]*aria-invalid="true"', page), field
    typed = form_fields(page)
    for name, value in form.items():
        if name in ("icon", "department_id", "kind") and name == field:
            continue  # a choice the page does not offer cannot be shown as chosen
        if name != "csrf_token" and not (name.startswith("q-") and not value):
            assert typed.get(name, "") == value, name
    assert demo_session.scalars(select(Category).where(Category.code == "tree")).first() is None
    assert changes_of(demo_session) == []


def test_the_question_editor_works_without_javascript(admin, demo_session):
    token = csrf_token(admin, "/admin/types/new")
    form = type_form(demo_session, token)

    def press(button: str, fields: dict) -> dict:
        answer = admin.post("/admin/types/new", data={**fields, "edit": button})
        assert answer.status_code == 200
        return form_fields(answer.get_data(as_text=True))

    added = press("add-question", form)
    assert added["q-2-datatype"] == "string" and added["q-2-code"] == ""
    moved = press("up-q-1", form)
    assert (moved["q-0-code"], moved["q-1-code"]) == ("blocking", "size")
    assert moved["q-1-v-1-key"] == "big"  # the answers to choose move with their question
    removed = press("remove-q-0", form)
    assert removed["q-0-code"] == "blocking" and "q-1-code" not in removed
    value = press("add-value-0", form)
    assert value["q-0-v-2-key"] == "" and value["q-0-v-1-key"] == "big"
    swapped = press("down-v-0-0", form)
    assert (swapped["q-0-v-0-key"], swapped["q-0-v-1-key"]) == ("big", "small")
    gone = press("remove-v-0-1", form)
    assert gone["q-0-v-0-key"] == "small" and "q-0-v-1-key" not in gone
    # Nothing is stored until "save"; an empty added question is left out then.
    assert demo_session.scalars(select(Category).where(Category.code == "tree")).first() is None
    assert admin.post("/admin/types/new", data=added).status_code == 303
    tree = demo_session.scalars(select(Category).where(Category.code == "tree")).one()
    assert [q["code"] for q in tree.questions] == ["size", "blocking"]


@pytest.mark.parametrize("role", ["dispatcher", "officer", "crew"])
def test_only_admins_see_or_change_case_types(demo_client, demo_session, role):
    login(demo_client, f"{role}@demo.mapdash.test", "demo-password")
    light = demo_session.scalars(select(Category).where(Category.code == "streetlight")).one()
    for path in ("/admin/types/", "/admin/types/new", f"/admin/types/{light.id}"):
        assert demo_client.get(path).status_code == 403
    token = csrf_token(demo_client, "/")
    for path in ("/admin/types/new", f"/admin/types/{light.id}"):
        assert demo_client.post(path, data=type_form(demo_session, token)).status_code == 403
    assert changes_of(demo_session) == []


def test_another_organizations_type_is_not_found(admin, demo_session):
    from tests.factories import make_org
    other = make_org(demo_session, slug="other-tambon")
    demo_session.commit()
    theirs = demo_session.scalars(select(Category).where(
        Category.organization_id == other.id)).first()
    assert admin.get(f"/admin/types/{theirs.id}").status_code == 404
    token = csrf_token(admin, "/admin/types/new")
    assert admin.post(f"/admin/types/{theirs.id}",
                      data=type_form(demo_session, token, code=None)).status_code == 404
    assert admin.get("/admin/types/99999999999").status_code == 404
