"""Issue 19 in a real Chromium: a reporter with no e-mail or LINE answers a question on a phone
with the reply code the browser kept; a dispatcher works a case with the panel's new actions
(priority, internal note, referral) on a desktop and a tablet; the citizen sees where it
went."""
import re

from sqlalchemy import select

from mapdash import db
from mapdash.cases import workflow
from mapdash.models import Incident, IncidentEvent, User
from tests.test_browser_dispatch import TIMEOUT_MS, report_now, sign_in

ANSWER = "เสาต้นที่ 3 หน้าบ้านเลขที่ 12 ค่ะ"


def open_panel(page, case_id):
    page.evaluate("(id) => window.DispatchPanel.open(id)", case_id)
    page.wait_for_selector(f"#case-panel .panel[data-case-id='{case_id}']")


def test_a_reporter_without_email_or_line_answers_with_the_reply_code(
        live_server, demo_app, phone, desktop, browser, screenshot_dir):
    errors = []
    for page in (phone, desktop):
        page.on("pageerror", lambda exc: errors.append(str(exc)))

    # The citizen reports on a phone, leaving no contact at all.
    phone.goto(live_server + "/report/streetlight")
    phone.wait_for_selector("#place-map[data-loaded='13']")
    phone.locator("#place-map").scroll_into_view_if_needed()
    box = phone.locator("#place-map").bounding_box()
    phone.touchscreen.tap(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    phone.wait_for_selector("#place-village.inside")
    phone.fill("#description", "ไฟดับ 2 ต้น หน้าศาลากลางบ้าน")
    phone.get_by_role("button", name="ส่งเรื่อง").tap()
    phone.wait_for_url(re.compile(r".*/track/[A-Z0-9]{4}-[A-Z0-9]{4}\?new=1$"))
    code = phone.locator("#tracking-code").inner_text().strip()
    reply_code = phone.locator("#reply-code").inner_text().strip()
    assert re.fullmatch(r"[2-9A-HJKMNP-Z]{4}(-[2-9A-HJKMNP-Z]{4}){2}", reply_code)
    phone.locator("#reply-code").scroll_into_view_if_needed()
    phone.screenshot(path=str(screenshot_dir / "reply-code-received-phone.png"))
    with db.new_session(demo_app) as session:
        case_id = session.scalar(select(Incident.id).where(Incident.tracking_code == code))
    # The same citizen's pages on a desktop (the same browser session).
    wide_context = browser.new_context(viewport={"width": 1440, "height": 900}, locale="th-TH")
    wide_context.add_cookies(phone.context.cookies())
    wide = wide_context.new_page()
    wide.goto(f"{live_server}/track/{code}?new=1")
    assert wide.inner_text("#reply-code") == reply_code
    wide.screenshot(path=str(screenshot_dir / "reply-code-received-desktop.png"), full_page=True, scale="css")

    # The dispatcher is told only the reply code can reach them, and asks.
    sign_in(desktop, live_server)
    open_panel(desktop, case_id)
    assert "รหัสตอบกลับในหน้าติดตามเรื่อง" in desktop.inner_text("#reach")
    desktop.click(".action-request_info summary")
    warning = desktop.locator("#reach-warning")
    assert warning.get_attribute("data-reach") == "partial" and "รหัสตอบกลับ" in warning.inner_text()
    warning.scroll_into_view_if_needed()
    desktop.screenshot(path=str(screenshot_dir / "panel-reach-warning-desktop.png"))
    desktop.fill(".action-request_info textarea[name=note]", "เสาไฟต้นไหนครับ ใกล้บ้านเลขที่เท่าไร")
    desktop.click(".action-request_info button[type=submit]")
    desktop.wait_for_selector("#case-panel .panel[data-status='info_requested']")

    wide.goto(f"{live_server}/track/{code}")
    assert wide.input_value("#reply-code-input") == reply_code
    wide.screenshot(path=str(screenshot_dir / "reply-code-question-desktop.png"))
    wide_context.close()

    # Days later, in a browser session the server has forgotten: the page still has the code.
    phone.context.clear_cookies()
    phone.goto(f"{live_server}/track/{code}")
    assert "เสาไฟต้นไหนครับ" in phone.inner_text("#open-question")
    phone.wait_for_function(
        "(code) => document.getElementById('reply-code-input').value === code", arg=reply_code)
    phone.screenshot(path=str(screenshot_dir / "reply-code-question-phone.png"), full_page=True, scale="css")
    phone.click("#answer-with-code")
    phone.wait_for_url(f"**/reply/{code}?t=*")
    phone.fill("#answer", ANSWER)
    phone.click("#send-reply")
    phone.wait_for_selector("#reply-thanks")
    assert phone.text_content("#case-status").strip() == "รับเรื่องแล้ว"

    # The dispatcher's open panel follows: the answer is in the timeline.
    desktop.wait_for_selector("#case-panel .panel[data-status='accepted']", timeout=TIMEOUT_MS)
    assert ANSWER in desktop.inner_text("#case-panel .timeline .event-reply")
    desktop.screenshot(path=str(screenshot_dir / "panel-answer-by-reply-code-desktop.png"))
    assert errors == []


def test_a_dispatcher_sets_priority_notes_and_refers_a_case(live_server, demo_app, desktop,
                                                          browser, screenshot_dir):
    incident = report_now(demo_app, category_code="streetlight", lon=104.6205, lat=17.3502,
                          description="เสาไฟฟ้าเอียง สายไฟหย่อนเกือบถึงพื้น",
                          reporter_phone="080-000-1234")
    page = desktop
    sign_in(page, live_server)
    open_panel(page, incident.id)
    page.select_option(".action-set_priority select[name=priority]", "urgent")
    page.click(".action-set_priority button[type=submit]")
    page.wait_for_selector("#case-panel .priority-urgent")
    page.fill(".internal-notes textarea[name=note]", "เสาของการไฟฟ้า ไม่ใช่ของ อบต.")
    page.click(".internal-notes button[type=submit]")
    page.wait_for_selector("#case-panel .timeline .event-comment .internal-tag")
    page.click(".action-refer summary")
    page.fill(".action-refer input[name=agency]", "การไฟฟ้าส่วนภูมิภาค อำเภอเมือง")
    page.fill(".action-refer textarea[name=note]", "ส่งหนังสือแจ้ง กฟภ. พร้อมรูปถ่ายและพิกัด")
    page.screenshot(path=str(screenshot_dir / "panel-case-work-desktop.png"))
    page.locator("#case-panel .internal-notes").scroll_into_view_if_needed()
    page.screenshot(path=str(screenshot_dir / "panel-internal-notes-desktop.png"))

    tablet_context = browser.new_context(viewport={"width": 820, "height": 1180}, locale="th-TH",
                                         has_touch=True)
    tablet = tablet_context.new_page()
    sign_in(tablet, live_server)
    open_panel(tablet, incident.id)
    tablet.click(".action-refer summary")
    tablet.screenshot(path=str(screenshot_dir / "panel-case-work-tablet.png"))
    tablet.locator("#case-panel .internal-notes").scroll_into_view_if_needed()
    tablet.screenshot(path=str(screenshot_dir / "panel-internal-notes-tablet.png"))
    tablet_context.close()

    page.click(".action-refer button[type=submit]")
    page.wait_for_selector("#case-panel .panel[data-status='referred']")
    with db.new_session(demo_app, expire_on_commit=True) as session:
        actions = session.scalars(select(IncidentEvent.action).where(
            IncidentEvent.incident_id == incident.id).order_by(IncidentEvent.id)).all()
        assert actions == ["report", "set_priority", "comment", "refer"]

    # The citizen reads where it went, on a desktop and on a phone; never the staff's note.
    page.goto(f"{live_server}/track/{incident.tracking_code}")
    assert "การไฟฟ้าส่วนภูมิภาค อำเภอเมือง" in page.inner_text("#where-it-went")
    assert "ไม่ใช่ของ อบต." not in page.content()
    page.screenshot(path=str(screenshot_dir / "track-referred-desktop.png"), full_page=True, scale="css")
    phone_context = browser.new_context(viewport={"width": 390, "height": 844}, locale="th-TH",
                                        device_scale_factor=2, is_mobile=True, has_touch=True)
    phone = phone_context.new_page()
    phone.goto(f"{live_server}/track/{incident.tracking_code}")
    phone.screenshot(path=str(screenshot_dir / "track-referred-phone.png"), full_page=True, scale="css")
    phone_context.close()


def test_accept_is_one_click_and_may_carry_a_message(live_server, demo_app, desktop,
                                                     screenshot_dir):
    incident = report_now(demo_app, category_code="streetlight", lon=104.6205, lat=17.3502,
                          description="ไฟดับหน้าตลาด", reporter_email="somchai@example.test")
    sign_in(desktop, live_server)
    open_panel(desktop, incident.id)
    desktop.click(".action-accept .optional-note summary")
    desktop.fill(".action-accept textarea[name=note]", "รับเรื่องแล้ว ช่างจะเข้าตรวจภายใน 3 วัน")
    desktop.screenshot(path=str(screenshot_dir / "panel-accept-with-message-desktop.png"))
    desktop.click(".action-accept button[type=submit]")
    desktop.wait_for_selector("#case-panel .panel[data-status='accepted']")
    assert "ช่างจะเข้าตรวจภายใน 3 วัน" in desktop.inner_text("#case-panel .timeline .event-accept")


def test_a_closing_under_review_on_the_status_page(live_server, demo_app, demo_session, phone,
                                                   screenshot_dir):
    dispatcher = demo_session.scalars(select(User).where(User.role == "dispatcher")).first()
    crew = demo_session.scalars(select(User).where(User.role == "crew")).first()
    with demo_app.app_context():
        incident = report_now(demo_app, category_code="streetlight", lon=104.6205, lat=17.3502,
                              description="ไฟดับหน้าโรงเรียน")
    workflow.perform(demo_session, incident.id, "accept", dispatcher)
    workflow.perform(demo_session, incident.id, "assign", dispatcher, assignee_id=crew.id)
    workflow.perform(demo_session, incident.id, "resolve", crew, note="เปลี่ยนหลอดแล้ว")
    demo_session.get(Incident, incident.id).evidence_review = "needs_review"
    demo_session.commit()
    phone.goto(f"{live_server}/track/{incident.tracking_code}")
    assert phone.inner_text("#case-status") == "แจ้งว่าเสร็จแล้ว กำลังตรวจสอบ"
    assert phone.locator("#under-review").is_visible()
    phone.screenshot(path=str(screenshot_dir / "track-under-review-phone.png"), full_page=True, scale="css")


def test_the_notifications_page_says_what_is_not_set_up(live_server, desktop, browser,
                                                         screenshot_dir):
    desktop.goto(live_server + "/login")
    desktop.fill("input[name=email]", "admin@demo.mapdash.test")
    desktop.fill("input[name=password]", "demo-password")
    desktop.click("button[type=submit]")
    desktop.wait_for_load_state()
    desktop.goto(live_server + "/admin/notifications/")
    assert "SMTP_HOST" in desktop.inner_text("#not-configured")
    desktop.screenshot(path=str(screenshot_dir / "admin-notifications-not-set-up-desktop.png"))
    tablet_context = browser.new_context(viewport={"width": 820, "height": 1180}, locale="th-TH")
    tablet_context.add_cookies(desktop.context.cookies())
    tablet = tablet_context.new_page()
    tablet.goto(live_server + "/admin/notifications/")
    tablet.screenshot(path=str(screenshot_dir / "admin-notifications-not-set-up-tablet.png"))
    tablet_context.close()


def test_a_case_forwarded_by_another_dispatcher_says_so_in_the_open_panel(
        live_server, demo_app, desktop, screenshot_dir):
    """The panel stays open on one screen while another dispatcher forwards the case: the next
    load, or the next action, says where it went instead of "That did not work"."""
    from tests.factories import make_org

    incident = report_now(demo_app, category_code="road", lon=104.6205, lat=17.3502,
                          description="ถนนเป็นหลุมเป็นบ่อ")
    sign_in(desktop, live_server)
    open_panel(desktop, incident.id)
    with db.new_session(demo_app, expire_on_commit=True) as session:
        other = make_org(session, slug="neighbour-tambon")
        dispatcher = session.scalars(select(User).where(User.role == "dispatcher")).first()
        workflow.perform(session, incident.id, "forward", dispatcher, organization_id=other.id,
                         note="อยู่ในเขตตำบลข้างเคียง")
        session.commit()
    desktop.click(".action-accept button[type=submit]")  # the action on the case as it was
    gone = desktop.wait_for_selector("#case-panel .panel-gone")
    assert "ส่งต่อไปยังหน่วยงานอื่น" in gone.inner_text()
    desktop.screenshot(path=str(screenshot_dir / "panel-forwarded-away-desktop.png"))
    desktop.click("#case-panel button:has-text('กลับไปที่รายการ')")
    desktop.wait_for_selector("#case-list:not([hidden])")
