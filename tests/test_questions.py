"""The extra questions of a case type: checked once in the intake for every channel, asked on
the web form (without JavaScript too), shown to the dispatcher, and given by sql/007 to
organizations that existed before it."""
import re

import pytest
from sqlalchemy import select, text, update

from mapdash import db
from mapdash.cases import intake
from mapdash.cases.questions import answer_rows, check_answers
from mapdash.errors import UserError
from mapdash.models import Category, Incident
from mapdash.office.catalog import CATEGORIES
from tests.factories import make_org
from tests.support import login
from tests.test_public_report import PIN, open_form, send

QUESTIONS = [
    {"code": "size", "datatype": "number", "required": True, "order": 2,
     "description_th": "ขนาดหลุม (ซม.)", "description_en": "Pothole size (cm)", "values": []},
    {"code": "when", "datatype": "datetime", "required": False, "order": 3,
     "description_th": "เวลาที่พบ", "description_en": "Seen at", "values": []},
    {"code": "lanes", "datatype": "multivaluelist", "required": False, "order": 4,
     "description_th": "ช่องทาง", "description_en": "Lanes", "values": [
         {"key": "left", "name_th": "ซ้าย", "name_en": "Left"},
         {"key": "right", "name_th": "ขวา", "name_en": "Right"}]},
    {"code": "note", "datatype": "text", "required": False, "order": 5,
     "description_th": "หมายเหตุ", "description_en": "Note", "values": []},
    {"code": "kind", "datatype": "singlevaluelist", "required": False, "order": 1,
     "description_th": "ชนิด", "description_en": "Kind", "values": [
         {"key": "hole", "name_th": "หลุม", "name_en": "Hole"}]},
    {"code": "who", "datatype": "string", "required": False, "order": 6,
     "description_th": "ผู้พบ", "description_en": "Found by", "values": []},
]


def test_answers_are_checked_and_normalised():
    answers = check_answers(QUESTIONS, {
        "size": ["๑๒"], "when": "2026-11-21T09:30", "lanes": ["left", "right", "left"],
        "note": "บรรทัด 1\nบรรทัด 2", "kind": "hole", "who": "  ชาว\nบ้าน "})
    assert answers == {"size": 12, "when": "2026-11-21T09:30:00+07:00", "lanes": ["left", "right"],
                       "note": "บรรทัด 1\nบรรทัด 2", "kind": "hole", "who": "ชาว บ้าน"}
    assert check_answers(QUESTIONS, {"size": "2.5", "kind": ""}) == {"size": 2.5}


@pytest.mark.parametrize("raw, code, named", [
    ({}, "missing_answer", "ขนาดหลุม"),
    ({"size": "  "}, "missing_answer", "ขนาดหลุม"),
    ({"size": "big"}, "bad_answer", "ขนาดหลุม"),
    ({"size": "inf"}, "bad_answer", "ขนาดหลุม"),
    ({"size": ["1", "2"]}, "bad_answer", "ขนาดหลุม"),
    ({"size": "1", "when": "tomorrow"}, "bad_answer", "เวลาที่พบ"),
    ({"size": "1", "when": "2026-02-30T10:00"}, "bad_answer", "เวลาที่พบ"),
    ({"size": "1", "lanes": ["left", "middle"]}, "bad_answer", "ช่องทาง"),
    ({"size": "1", "kind": "crack"}, "bad_answer", "ชนิด"),
    ({"size": "1", "who": "x" * 201}, "bad_answer", "ผู้พบ"),
    ({"size": "1", "colour": "red"}, "unknown_question", "colour"),
])
def test_bad_answers_name_the_question_in_thai_and_english(raw, code, named):
    with pytest.raises(UserError) as refused:
        check_answers(QUESTIONS, raw)
    assert refused.value.code == code and named in refused.value.message_th
    assert refused.value.message_en and refused.value.status == 400


def test_answers_read_in_words_for_staff():
    answers = {"lanes": ["left", "right"], "kind": "hole", "size": 3}
    assert answer_rows(QUESTIONS, answers, "th") == [
        ("ชนิด", "หลุม"), ("ขนาดหลุม (ซม.)", "3"), ("ช่องทาง", "ซ้าย, ขวา")]
    assert answer_rows(QUESTIONS, answers, "en")[0] == ("Kind", "Hole")


def test_the_intake_refuses_a_missing_required_answer_and_stores_nothing(session):
    org = make_org(session)
    session.execute(update(Category).where(Category.organization_id == org.id,
                                           Category.code == "road").values(questions=QUESTIONS))
    with pytest.raises(UserError):
        intake.create_incident(session, intake.Report(category_code="road", lon=100.005,
                                                      lat=10.005))
    incident = intake.create_incident(session, intake.Report(
        category_code="road", lon=100.005, lat=10.005, attributes={"size": "40"}))
    assert incident.attributes == {"size": 40}


def test_the_catalog_questions_are_valid_and_match_the_migration(session):
    for category in CATEGORIES:
        for question in category["questions"]:
            assert question["datatype"] in ("string", "number", "datetime", "text",
                                            "singlevaluelist", "multivaluelist")
            assert bool(question["values"]) == question["datatype"].endswith("valuelist")
            assert not question["required"]  # an emergency is never refused for an answer
    # An organization made before sql/007 gets the same questions from its UPDATEs.
    org = make_org(session)
    session.execute(update(Category).values(questions=[]))
    # sql/033 drops the appointment's date question: the booking's slot picker asks it.
    for name in ("007_open311.sql", "033_bookings.sql"):
        migration = (db.MIGRATIONS_DIR / name).read_text()
        for statement in re.findall(r"^UPDATE categories .*?;$", migration, re.M | re.S):
            session.execute(text(statement.replace(":", r"\:")))
    stored = dict(session.execute(select(Category.code, Category.questions).where(
        Category.organization_id == org.id)).all())
    assert stored == {c["code"]: c["questions"] for c in CATEGORIES}


def test_the_web_form_asks_the_questions_and_keeps_the_answers(demo_client, demo_session):
    page = demo_client.get("/report/disaster").get_data(as_text=True)
    assert "ลักษณะภัย" in page and 'type="checkbox" name="attribute[hazards]" value="flood"' in page
    page = demo_client.get("/report/ems?lang=en").get_data(as_text=True)
    assert '<select name="attribute[main_type]"' in page and "Sudden illness" in page
    form = open_form(demo_client, "disaster")
    response = send(demo_client, "disaster", form=form, **PIN,
                    **{"attribute[hazards]": ["flood", "storm"]})
    assert response.status_code == 303
    code = response.headers["Location"].split("/track/")[1].split("?")[0]
    incident = demo_session.scalars(select(Incident).where(Incident.tracking_code == code)).one()
    assert incident.attributes == {"hazards": ["flood", "storm"]}


def test_a_bad_answer_on_the_web_form_is_shown_with_what_was_typed(demo_client, demo_session):
    before = demo_session.query(Incident).count()
    response = send(demo_client, "streetlight", **PIN, description="เสาหน้าวัด",
                    **{"attribute[lights_out]": "หลายดวง", "attribute[pole_number]": "PL-12"})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "จำนวนดวงที่ดับ: ต้องเป็นตัวเลข" in page and "How many lights are out" in page
    assert 'value="PL-12"' in page and 'value="หลายดวง"' in page and "เสาหน้าวัด" in page
    assert demo_session.query(Incident).count() == before


def test_the_dispatcher_sees_the_answers(demo_client, demo_session):
    incident = intake.create_incident(demo_session, intake.Report(
        category_code="water", lon=104.62, lat=17.35, attributes={"still_flowing": "yes"}))
    demo_session.commit()
    login(demo_client, "dispatcher@demo.mapdash.test", "demo-password")
    panel = demo_client.get(f"/dispatch/cases/{incident.id}").get_data(as_text=True)
    assert "น้ำยังไหลออกมาอยู่หรือไม่" in panel and "ยังไหลอยู่" in panel


def test_the_questions_on_the_report_form_at_phone_and_desktop(live_server, phone, desktop,
                                                                screenshot_dir):
    for page, size in ((phone, "phone"), (desktop, "desktop")):
        page.goto(f"{live_server}/report/disaster")
        page.check("input[name='attribute[hazards]'][value=flood]")
        page.locator(".questions").scroll_into_view_if_needed()
        page.screenshot(path=str(screenshot_dir / f"report-questions-disaster-{size}.png"))
        page.goto(f"{live_server}/report/streetlight")
        page.fill("input[name='attribute[lights_out]']", "สอง")
        page.locator("#coords summary").click()
        page.fill("#lat", "17.35")
        page.fill("#lon", "104.62")
        page.locator("#lat").dispatch_event("change")
        page.wait_for_selector("#place-village:has-text('1')")
        page.click("#submit-report")
        page.wait_for_selector("#form-error")
        assert page.input_value("input[name='attribute[lights_out]']") == "สอง"
        page.locator(".questions").scroll_into_view_if_needed()
        page.screenshot(path=str(screenshot_dir / f"report-questions-error-{size}.png"))


def test_the_printed_request_form_shows_the_answers(app, session):
    from tests.test_pdf import build, pdf_text, shows
    make_org(session)
    incident = intake.create_incident(session, intake.Report(
        category_code="streetlight", lon=100.004, lat=10.006,
        attributes={"pole_number": "PL-0457", "lights_out": "3"}, address="หมู่ 1 หน้าวัด"))
    session.commit()
    text = pdf_text(build(app, session, incident))
    for detail in ("หมายเลขเสาไฟฟ้า (ถ้าเห็น)", "PL-0457", "จำนวนดวงที่ดับ", "ที่อยู่ที่แจ้งมา",
                   "หน้าวัด"):
        assert shows(text, detail), detail
