"""Information requests (issue 13, item 2) and every form saying what it is (item 5): the form
without place or photos, the request stored with how to receive it, the legal clock from the
organization's days (fixed instants), the office's overdue following it, the setting on
/admin/organization, and every bad input refused with what was typed kept and nothing stored."""
import io
import re
from datetime import UTC, date, datetime, timedelta

import pytest
from fpdf import FPDF
from sqlalchemy import func, select

from mapdash.cases import information, intake, workflow
from mapdash.cases.information import Delivery
from mapdash.i18n import LOCAL_TZ
from mapdash.integrations.notify import overdue
from mapdash.maps import geo
from mapdash.models import (
    AdminChange,
    CaseDocument,
    Category,
    Incident,
    InformationRequest,
    Notification,
    Organization,
    OverdueAlert,
    User,
)
from mapdash.office import organization
from mapdash.stats import figures
from mapdash.stats.period import Period
from tests.crew_support import PASSWORD, make_user
from tests.support import csrf_token, login

# A Wednesday morning, Thai time: the request is asked on 4 March 2026 (2569 BE).
ASKED = datetime(2026, 3, 4, 10, 30, tzinfo=LOCAL_TZ)
DEMO_PASSWORD = "demo-password"


def open_form(client, category="info_request"):
    html = client.get(f"/report/{category}").get_data(as_text=True)
    return {"csrf_token": re.search(r'name="csrf_token" value="([^"]+)"', html).group(1),
            "idempotency_key": re.search(r'name="idempotency_key" value="([^"]+)"', html).group(1)}


GOOD = {"description": "งบประมาณและสัญญาจ้างซ่อมถนนหมู่ 3 ปีงบประมาณ 2568",
        "delivery": "post", "postal_address": "12/3 หมู่ 3 ต.ปางหมู อ.เมือง จ.แม่ฮ่องสอน 58000",
        "certified": "1", "reporter_name": "สมหญิง ขอดู", "reporter_phone": "0812345678"}


def send(client, **fields):
    return client.post("/report/info_request", data={**open_form(client), **fields})


def counts(session) -> tuple[int, int]:
    session.expire_all()
    return (session.scalar(select(func.count()).select_from(Incident)),
            session.scalar(select(func.count()).select_from(InformationRequest)))


def the_org(session) -> Organization:
    return session.scalars(select(Organization).order_by(Organization.id)).first()


def ask(session, asked_at=ASKED, **delivery) -> Incident:
    """An information request asked at `asked_at`, as the form stores it."""
    org = the_org(session)
    incident = intake.create_incident(session, intake.Report(
        category_code="info_request", organization_slug=org.slug, description="รายงานการประชุมสภา",
        reporter_name="สมหญิง"), created_at=asked_at)
    information.store(session, incident, Delivery(**{
        "delivery": "office", "postal_address": None, "certified": False, **delivery}))
    session.flush()
    return incident


def test_an_information_request_form_asks_no_place_and_no_photos_and_says_what_it_is(demo_client):
    page = demo_client.get("/report/info_request").get_data(as_text=True)
    assert 'id="place-step"' not in page and 'name="photos"' not in page
    assert 'name="lat"' not in page and "data-map=" not in page
    assert "เกิดอะไรขึ้น" not in page  # no "what happened, where"
    assert "พระราชบัญญัติข้อมูลข่าวสารของราชการ" in page and "15 วัน" in page
    assert "ข้อมูลที่ต้องการ" in page and "ส่งคำขอ" in page
    assert page.count('name="delivery"') == 3 and 'name="postal_address"' in page
    # Its steps are numbered from 1 without gaps: the information, delivery, who asks.
    assert re.findall(r'class="step-no">(\d+)<', page) == ["1", "2", "3"]
    # A problem report keeps its place, its photos and its own words.
    report = demo_client.get("/report/streetlight").get_data(as_text=True)
    assert 'id="place-step"' in report and 'name="photos"' in report
    assert "เกิดอะไรขึ้น" in report and 'name="delivery"' not in report
    assert re.findall(r'class="step-no">(\d+)<', report) == ["1", "2", "3", "4"]


def test_every_kind_of_form_shows_the_responsible_officer_and_phone(demo_client, demo_session):
    org = the_org(demo_session)
    org.phone = "053 611 234"
    demo_session.commit()
    for code in ("info_request", "streetlight", "appointment", "dev_plan"):
        page = demo_client.get(f"/report/{code}").get_data(as_text=True)
        assert 'id="type-contact"' in page and "053 611 234" in page, code
    response = send(demo_client, **GOOD)
    track = demo_client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'id="type-contact"' in track and "053 611 234" in track


def test_a_request_is_stored_with_how_to_receive_it_and_the_citizen_sees_the_due_day(
        demo_client, demo_session):
    before = counts(demo_session)
    response = send(demo_client, **GOOD)
    assert response.status_code == 303
    code = re.search(r"/track/([A-Z0-9-]+)\?new=1", response.headers["Location"]).group(1)
    incident = demo_session.scalars(select(Incident).where(Incident.tracking_code == code)).one()
    row = demo_session.get(InformationRequest, incident.id)
    assert counts(demo_session) == (before[0] + 1, before[1] + 1)
    assert incident.location is None and incident.description == GOOD["description"]
    assert (row.delivery, row.postal_address, row.certified) == ("post", GOOD["postal_address"], True)
    asked_on = incident.created_at.astimezone(LOCAL_TZ).date()
    assert row.answer_due_on == asked_on + timedelta(days=15)
    # The open counts' clock (sql/039) is the legal one too: the end of that day, Thai time.
    assert incident.due_at == datetime.combine(row.answer_due_on + timedelta(days=1),
                                               datetime.min.time(), LOCAL_TZ)
    page = demo_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "ส่งคำขอข้อมูลข่าวสารแล้ว" in page and code in page
    due = row.answer_due_on
    assert f"{due.day} " in page and str(due.year + 543) in page
    assert re.search(r'id="answer-due">.*?(อีก \d+ วัน)', page, re.S)
    assert GOOD["postal_address"] not in page  # the address is for the staff only


@pytest.mark.parametrize("change, field, words", [
    ({"description": "  "}, "description", ("ระบุข้อมูลที่ต้องการ", "name the information")),
    ({"reporter_name": ""}, "reporter_name", ("ชื่อ", "your name")),
    ({"postal_address": ""}, "postal_address", ("ที่อยู่", "postal address")),
    ({"delivery": "pigeon"}, "delivery", ("วิธีรับ", "how you want")),
    ({"delivery": "email", "reporter_email": ""}, "reporter_email", ("อีเมล", "e-mail")),
    ({"delivery": "email", "reporter_email": "not-an-address"}, "reporter_email",
     ("อีเมล", "e-mail")),
])
def test_a_bad_request_is_refused_with_what_was_typed_and_nothing_stored(
        demo_client, demo_session, change, field, words):
    before = counts(demo_session)
    for lang in ("th", "en"):
        demo_client.set_cookie("lang", lang)
        response = send(demo_client, **{**GOOD, **change})
        assert response.status_code == 400
        page = response.get_data(as_text=True)
        assert words[0 if lang == "th" else 1] in page
        assert re.search(rf'name="{field}"[^>]*aria-invalid="true"', page, re.S) or \
            'id="delivery-step" aria-invalid="true"' in page
        for kept in (GOOD["reporter_phone"], GOOD["description"] if field != "description" else ""):
            assert kept in page
    assert counts(demo_session) == before


def test_the_due_day_is_the_organizations_days_and_a_change_applies_to_new_requests(
        demo_session):
    first = ask(demo_session)
    assert demo_session.get(InformationRequest, first.id).answer_due_on == date(2026, 3, 19)
    admin = demo_session.scalars(select(User).where(User.email == "admin@demo.mapdash.test")).one()
    organization.set_information_days(demo_session, admin, 30)
    second = ask(demo_session, asked_at=ASKED + timedelta(hours=1))
    demo_session.expire_all()
    assert demo_session.get(InformationRequest, first.id).answer_due_on == date(2026, 3, 19)
    assert demo_session.get(InformationRequest, second.id).answer_due_on == date(2026, 4, 3)
    # Asked just before midnight Thai time (still 17:00 UTC of the day before): a Thai day.
    late = ask(demo_session, asked_at=datetime(2026, 3, 4, 16, 59, tzinfo=UTC))
    assert demo_session.get(InformationRequest, late.id).answer_due_on == date(2026, 4, 3)


def test_the_clock_counts_down_to_the_end_of_the_last_day_then_is_overdue(demo_session):
    row = demo_session.get(InformationRequest, ask(demo_session).id)
    last_minute = datetime(2026, 3, 19, 23, 59, tzinfo=LOCAL_TZ)
    assert information.clock(row, ASKED, True) == information.Clock(
        datetime(2026, 3, 19), 15, False)
    assert information.clock(row, last_minute, True).days_left == 0
    assert not information.clock(row, last_minute, True).overdue
    after = datetime(2026, 3, 20, 0, 0, tzinfo=LOCAL_TZ)
    assert information.clock(row, after, True).overdue
    assert information.clock(row, after, True).days_left == -1
    assert not information.clock(row, after, False).overdue  # answered: no longer late


def test_the_office_queue_and_panel_follow_the_answers_clock(demo_app, demo_client, demo_session):
    late = ask(demo_session)  # asked 4 March 2026: due 19 March 2026, long past
    on_time = ask(demo_session, asked_at=ASKED + timedelta(minutes=5))
    demo_session.get(InformationRequest, on_time.id).answer_due_on = date(2999, 12, 31)
    # The steps' clock alone would call the second late (intake's 10 minutes are long past).
    demo_session.commit()
    assert workflow.is_overdue(on_time, ASKED + timedelta(days=1))
    org = the_org(demo_session)
    cases = geo.open_cases(demo_session, geo.MapFilter(org.id), None, without_place=True).parsed()
    by_code = {f["properties"]["code"]: f["properties"] for f in cases["features"]}
    assert by_code[late.tracking_code]["overdue"] is True
    assert by_code[on_time.tracking_code]["overdue"] is False
    # the end of its last day, Thai time
    assert by_code[on_time.tracking_code]["due_at"] == "2999-12-31T17:00:00+00:00"
    overdue_only = geo.open_cases(demo_session, geo.MapFilter(org.id, overdue_only=True), None,
                                  without_place=True).parsed()
    codes = {f["properties"]["code"] for f in overdue_only["features"]}
    assert late.tracking_code in codes and on_time.tracking_code not in codes

    login(demo_client, "dispatcher@demo.mapdash.test", DEMO_PASSWORD)
    panel = demo_client.get(f"/dispatch/cases/{late.id}").get_data(as_text=True)
    assert 'id="answer-clock"' in panel and "19 มี.ค. 2569" in panel
    assert "badge-overdue" in panel and 'id="information-delivery"' in panel
    panel = demo_client.get(f"/dispatch/cases/{on_time.id}").get_data(as_text=True)
    assert "badge-overdue" not in panel.split("</header>")[0]


def test_the_days_are_set_on_the_organization_page_and_recorded(demo_client, demo_session):
    login(demo_client, "admin@demo.mapdash.test", DEMO_PASSWORD)
    token = csrf_token(demo_client, "/admin/organization/")
    for typed in ("0", "91", "ten", ""):
        response = demo_client.post("/admin/organization/information-days",
                                    data={"information_days": typed, "csrf_token": token})
        assert response.status_code == 400, typed
        page = response.get_data(as_text=True)
        assert "1 ถึง 90" in page and f'value="{typed}"' in page
    demo_session.expire_all()
    assert the_org(demo_session).information_days == 15
    assert demo_session.scalar(select(func.count()).select_from(AdminChange)) == 0
    response = demo_client.post("/admin/organization/information-days",
                                data={"information_days": "30", "csrf_token": token})
    assert response.status_code == 303
    demo_session.expire_all()
    assert the_org(demo_session).information_days == 30
    change = demo_session.scalars(select(AdminChange)).one()
    assert (change.subject, change.before, change.after) == (
        "organization", {"information_days": 15}, {"information_days": 30})
    assert "30 วัน" in demo_client.get("/report/info_request").get_data(as_text=True)


def test_the_home_page_groups_the_types_by_kind_reports_first(demo_client, demo_session):
    page = demo_client.get("/").get_data(as_text=True)
    groups = re.findall(r'<section class="kind-group" id="kind-(\w+)"', page)
    assert groups[0] == "report" and "information" in groups
    assert len(groups) == len(set(groups))
    information_part = page.split('id="kind-information"')[1].split("</section>")[0]
    assert "/report/info_request" in information_part and "/report/streetlight" not in information_part
    assert "ขอข้อมูล" in information_part  # its short description
    kinds = {c.code: c.kind for c in demo_session.scalars(select(Category))}
    report_part = page.split('id="kind-report"')[1].split("</section>")[0]
    assert all(kinds[code] == "report" for code in re.findall(r"/report/(\w+)", report_part))


def test_the_requester_is_told_the_answer_is_ready_with_a_link_to_the_tracking_page(
        demo_session):
    incident = ask(demo_session)
    incident.reporter_email = "somying@example.org"
    dispatcher = demo_session.scalars(select(User).where(
        User.email == "dispatcher@demo.mapdash.test")).one()
    workflow.perform(demo_session, incident.id, "accept", dispatcher)
    workflow.perform(demo_session, incident.id, "resolve", dispatcher,
                     note="ส่งสำเนารายงานการประชุมให้แล้ว")
    demo_session.commit()
    message = demo_session.scalars(select(Notification).where(
        Notification.incident_id == incident.id, Notification.kind == "resolved")).one()
    payload = message.payload
    assert message.recipient == "somying@example.org"
    assert "information request" in payload["subject_en"] and incident.tracking_code in payload["subject_en"]
    assert f"/track/{incident.tracking_code}" in payload["text_th"]
    assert "รหัสตอบกลับ" in payload["text_th"] and "ส่งสำเนารายงานการประชุมให้แล้ว" in payload["text_th"]


# ---- the answer's private files -------------------------------------------------------------

def answer_pdf() -> bytes:
    pdf = FPDF()
    pdf.set_creation_date(datetime(2026, 3, 10, tzinfo=UTC))
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    pdf.cell(text="Minutes of the council meeting, 2 March 2026")
    return bytes(pdf.output())


def act(client, case_id, files=(), **form):
    token = csrf_token(client, "/dispatch/")
    data = {"csrf_token": token, **form,
            "documents": [(io.BytesIO(content), name) for name, content in files]}
    return client.post(f"/dispatch/cases/{case_id}/actions", data=data,
                       content_type="multipart/form-data", headers={"Accept": "application/json"})


@pytest.fixture
def answered(demo_app, demo_session):
    """A request sent on the web form (its browser keeps the reply code), answered with a PDF
    by an officer of the responsible department: (citizen, incident, reply code, document)."""
    citizen = demo_app.test_client()
    response = send(citizen, **{**GOOD, "delivery": "email", "reporter_email": "somying@example.org"})
    confirmation = citizen.get(response.headers["Location"]).get_data(as_text=True)
    reply_code = re.search(r'id="reply-code">([A-Z0-9-]+)<', confirmation).group(1)
    code = re.search(r"/track/([A-Z0-9-]+)", response.headers["Location"]).group(1)
    incident = demo_session.scalars(select(Incident).where(Incident.tracking_code == code)).one()
    org = the_org(demo_session)
    make_user(demo_session, org, "officer", "palad@demo.mapdash.test",
              department=incident.department.code)
    demo_session.commit()
    officer = demo_app.test_client()
    login(officer, "palad@demo.mapdash.test", PASSWORD)
    assert act(officer, incident.id, action="accept").status_code == 200
    done = act(officer, incident.id, action="resolve", note="ส่งรายงานการประชุมตามที่ขอแล้ว",
               files=[("minutes.pdf", answer_pdf())])
    assert done.status_code == 200, done.get_json()
    demo_session.expire_all()
    document = demo_session.scalars(select(CaseDocument).where(
        CaseDocument.incident_id == incident.id)).one()
    assert (document.purpose, document.filename) == ("answer", "minutes.pdf")
    panel = officer.get(f"/dispatch/cases/{incident.id}").get_data(as_text=True)
    assert f"/documents/{document.id}" in panel  # the department reads it back
    assert officer.get(f"/documents/{document.id}").status_code == 200
    return citizen, demo_session.get(Incident, incident.id), reply_code, document


def test_the_requester_with_the_reply_code_downloads_the_answers_files(answered, demo_app):
    citizen, incident, reply_code, document = answered
    assert incident.status == "resolved"
    page = citizen.get(f"/track/{incident.tracking_code}").get_data(as_text=True)
    assert f"/documents/{document.id}" in page and "minutes.pdf" in page
    download = citizen.get(f"/documents/{document.id}")
    assert download.status_code == 200 and download.data == answer_pdf()
    assert "no-store" in download.headers["Cache-Control"]
    # On another phone: the code opens them there too.
    other = demo_app.test_client()
    token = csrf_token(other, f"/track/{incident.tracking_code}")
    opened = other.post(f"/track/{incident.tracking_code}/documents",
                        data={"reply_code": reply_code.lower().replace("-", " "), "csrf_token": token})
    assert opened.status_code == 303
    assert other.get(f"/documents/{document.id}").data == answer_pdf()


def test_nobody_else_opens_the_answers_files(answered, demo_app, demo_session):
    _citizen, incident, reply_code, document = answered
    stranger = demo_app.test_client()
    page = stranger.get(f"/track/{incident.tracking_code}").get_data(as_text=True)
    assert "minutes.pdf" not in page and f"/documents/{document.id}" not in page
    assert 'name="reply_code"' in page  # asked for the code instead
    assert stranger.get(f"/documents/{document.id}").status_code == 404
    token = csrf_token(stranger, f"/track/{incident.tracking_code}")
    wrong = "2345-6789-ABCD" if reply_code != "2345-6789-ABCD" else "2345-6789-ABCE"
    refused = stranger.post(f"/track/{incident.tracking_code}/documents",
                            data={"reply_code": wrong, "csrf_token": token})
    assert refused.status_code == 403
    assert stranger.get(f"/documents/{document.id}").status_code == 404
    # Another case's reply code is no key to this one either.
    other_case = demo_app.test_client()
    other_reply = other_case.get(send(other_case, **GOOD).headers["Location"]).get_data(as_text=True)
    their_code = re.search(r'id="reply-code">([A-Z0-9-]+)<', other_reply).group(1)
    assert other_case.post(f"/track/{incident.tracking_code}/documents", data={
        "reply_code": their_code,
        "csrf_token": csrf_token(other_case, f"/track/{incident.tracking_code}")}).status_code == 403
    assert other_case.get(f"/documents/{document.id}").status_code == 404
    # Staff of another department (the engineers) and a crew: not theirs to read.
    for email in ("officer@demo.mapdash.test", "crew@demo.mapdash.test"):
        staff = demo_app.test_client()
        login(staff, email, DEMO_PASSWORD)
        assert staff.get(f"/documents/{document.id}").status_code == 404, email


def test_only_the_department_attaches_files_only_to_an_answer_and_a_bad_file_changes_nothing(
        demo_app, demo_session):
    incident = ask(demo_session)
    light = intake.create_incident(demo_session, intake.Report(
        category_code="streetlight", lon=104.62, lat=17.35))
    demo_session.commit()
    dispatcher = demo_app.test_client()
    login(dispatcher, "dispatcher@demo.mapdash.test", DEMO_PASSWORD)
    for case in (incident, light):
        assert act(dispatcher, case.id, action="accept").status_code == 200
    files = [("minutes.pdf", answer_pdf())]
    # The dispatcher is of no department: the answer's files are not theirs to attach.
    refused = act(dispatcher, incident.id, action="resolve", note="ส่งแล้ว", files=files)
    assert refused.status_code == 403 and refused.get_json()["field"] == "documents"
    admin = demo_app.test_client()
    login(admin, "admin@demo.mapdash.test", DEMO_PASSWORD)
    for case, action, status in ((light, "resolve", 400), (incident, "comment", 400)):
        answer = act(admin, case.id, action=action, note="ดูไฟล์", files=files)
        assert answer.status_code == status, (case.tracking_code, action)
    not_a_document = act(admin, incident.id, action="resolve", note="ส่งแล้ว",
                         files=[("minutes.exe", b"MZ\x90\x00 not a pdf")])
    assert not_a_document.status_code == 415
    demo_session.expire_all()
    answers = select(func.count()).where(CaseDocument.incident_id.in_((incident.id, light.id)))
    assert demo_session.scalar(answers) == 0
    assert demo_session.get(Incident, incident.id).status == "accepted"
    assert demo_session.get(Incident, light.id).status == "accepted"
    assert act(admin, incident.id, action="resolve", note="ส่งแล้ว", files=files).status_code == 200
    assert demo_session.scalar(answers) == 1


def test_the_overdue_alert_of_a_request_waits_for_its_last_day_not_the_steps_clock(
        demo_app, demo_session):
    asked = ask(demo_session)  # asked 4 March 2026: due by the end of 19 March, Thai time
    demo_session.commit()

    def alerted(at: datetime) -> bool:
        with demo_app.app_context():
            overdue.scan(demo_session, demo_app, now=at)
        demo_session.commit()
        return demo_session.scalar(select(func.count()).select_from(OverdueAlert).where(
            OverdueAlert.incident_id == asked.id)) > 0

    assert not alerted(ASKED + timedelta(days=1))  # the steps' 10 minutes long past
    assert not alerted(datetime(2026, 3, 19, 23, 59, tzinfo=LOCAL_TZ))
    assert alerted(datetime(2026, 3, 20, 0, 1, tzinfo=LOCAL_TZ))


def test_the_statistics_count_a_request_overdue_only_after_its_last_day(demo_session):
    ask(demo_session)  # asked 4 March 2026 (fiscal year 2569): due by the end of 19 March
    demo_session.commit()
    march = figures.StatsFilter(the_org(demo_session).id, Period(2569, month=3))
    on_last_day = figures.recount_one(demo_session, march,
                                      datetime(2026, 3, 19, 23, 59, tzinfo=LOCAL_TZ))
    assert (on_last_day.total.received, on_last_day.total.overdue) == (1, 0)
    after = figures.recount_one(demo_session, march, datetime(2026, 3, 20, 0, 1, tzinfo=LOCAL_TZ))
    assert after.total.overdue == 1
