"""Issue 12 in a real Chromium at phone size: a citizen who reported on the web form rates
the result of their resolved case days later, with the reply code the browser kept, and sees
their rating; the "not fixed" answer is offered within the organization's days only; the
dispatcher's panel shows the stars and the reopens."""
import re
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update

from mapdash import db
from mapdash.cases import workflow
from mapdash.models import CaseRating, Incident, User
from tests.test_browser_admin_office import sign_in as admin_sign_in
from tests.test_browser_case_work import open_panel
from tests.test_browser_dispatch import sign_in

COMMENT = "ซ่อมเร็วมาก ขอบคุณค่ะ"


def resolve(app, code: str) -> int:
    """The office accepts and resolves the case (just reported: the events' times follow)."""
    with db.new_session(app) as session:
        incident = session.scalars(select(Incident).where(Incident.tracking_code == code)).one()
        dispatcher = session.scalars(select(User).where(User.role == "dispatcher")).first()
        workflow.perform(session, incident.id, "accept", dispatcher)
        workflow.perform(session, incident.id, "resolve", dispatcher, note="เปลี่ยนหลอดไฟแล้ว")
        session.commit()
        return incident.id


def report(phone, base: str) -> str:
    phone.goto(base + "/report/streetlight")
    phone.wait_for_selector("#place-map[data-loaded='13']")
    phone.locator("#place-map").scroll_into_view_if_needed()
    box = phone.locator("#place-map").bounding_box()
    phone.touchscreen.tap(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    phone.wait_for_selector("#place-village.inside")
    phone.fill("#description", "ไฟดับหน้าศาลากลางบ้าน")
    phone.get_by_role("button", name="ส่งเรื่อง").tap()
    phone.wait_for_url(re.compile(r".*/track/[A-Z0-9]{4}-[A-Z0-9]{4}\?new=1$"))
    return phone.locator("#tracking-code").inner_text().strip()


def test_a_citizen_rates_their_resolved_case_on_a_phone(live_server, demo_app, phone, desktop,
                                                        browser, screenshot_dir):
    errors = []
    for page in (phone, desktop):
        page.on("pageerror", lambda exc: errors.append(str(exc)))
    code = report(phone, live_server)
    reply_code = phone.locator("#reply-code").inner_text().strip()
    case_id = resolve(demo_app, code)
    # Later: the server no longer remembers this browser; its localStorage still does.
    phone.context.clear_cookies()
    phone.goto(f"{live_server}/track/{code}")
    form = phone.locator("#rating-form")
    form.wait_for()
    assert phone.locator("#rating-reply-code").input_value() == reply_code
    assert phone.locator("#not-fixed-reply-code").input_value() == reply_code
    # Five stars, each at least a thumb wide; nothing chosen yet.
    stars = phone.locator(".stars .star")
    assert stars.count() == 5
    assert all(stars.nth(i).bounding_box()["width"] >= 44 for i in range(5))
    phone.locator("#feedback").scroll_into_view_if_needed()
    phone.screenshot(path=str(screenshot_dir / "track-resolved-form-390.png"), full_page=True, scale="css")

    # A tap on the fourth star checks it and lights the first four.
    stars.nth(3).tap()
    assert phone.locator("input[name=stars][value='4']").is_checked()
    lit = [stars.nth(i).locator(".star-glyph").evaluate("e => getComputedStyle(e).color")
           for i in range(5)]
    assert lit[0] == lit[3] != lit[4]
    phone.fill("#rating-comment-input", COMMENT)
    phone.locator("#send-rating").tap()
    phone.wait_for_selector("#rating-thanks")
    assert phone.locator("#rating-shown").get_attribute("data-stars") == "4"
    assert phone.locator("#rating-comment").inner_text() == COMMENT
    assert phone.locator("#rating-form").count() == 0
    phone.screenshot(path=str(screenshot_dir / "track-rated-390.png"), full_page=True, scale="css")
    with db.new_session(demo_app) as session:
        rating = session.get(CaseRating, case_id)
        assert (rating.stars, rating.comment) == (4, COMMENT)

    # Within the days: "not fixed" opens with a required note.
    phone.locator("#not-fixed summary").tap()
    phone.locator("#not-fixed-note").wait_for()
    phone.locator("#not-fixed").scroll_into_view_if_needed()
    phone.screenshot(path=str(screenshot_dir / "track-not-fixed-open-390.png"), full_page=True, scale="css")
    desktop.goto(f"{live_server}/track/{code}")
    desktop.screenshot(path=str(screenshot_dir / "track-rated-1440.png"), full_page=True, scale="css")
    tablet_context = browser.new_context(viewport={"width": 820, "height": 1180}, locale="th-TH")
    tablet = tablet_context.new_page()
    tablet.goto(f"{live_server}/track/{code}")
    tablet.screenshot(path=str(screenshot_dir / "track-rated-820.png"), full_page=True, scale="css")

    # After the organization's 14 days: no button, a hint to report again.
    with db.new_session(demo_app) as session:
        session.execute(update(Incident).where(Incident.id == case_id).values(
            closed_at=datetime.now(UTC) - timedelta(days=15)))
        session.commit()
    phone.reload()
    phone.locator("#not-fixed-closed").wait_for()
    assert phone.locator("#not-fixed").count() == 0
    phone.screenshot(path=str(screenshot_dir / "track-window-closed-390.png"), full_page=True, scale="css")
    desktop.reload()
    desktop.screenshot(path=str(screenshot_dir / "track-window-closed-1440.png"), full_page=True, scale="css")

    # Another resolved case, not rated: the form at desktop size.
    other = report(phone, live_server)
    resolve(demo_app, other)
    desktop.goto(f"{live_server}/track/{other}")
    desktop.locator("#feedback").scroll_into_view_if_needed()
    desktop.screenshot(path=str(screenshot_dir / "track-resolved-form-1440.png"), full_page=True, scale="css")

    # The dispatcher's panel: the stars, the comment, the reopens.
    with db.new_session(demo_app) as session:
        session.execute(update(Incident).where(Incident.id == case_id).values(reopen_count=1))
        session.commit()
    sign_in(desktop, live_server)
    open_panel(desktop, case_id)
    rating_fact = desktop.locator("#panel-rating")
    assert "4 จาก 5 ดาว" in rating_fact.inner_text() and COMMENT in rating_fact.inner_text()
    assert desktop.locator("#reopen-count").inner_text() == "1"
    desktop.locator("#case-panel").screenshot(path=str(screenshot_dir / "panel-rating-1440.png"))

    # The administrator's setting of the days, on a tablet.
    admin_sign_in(tablet, live_server, "admin@demo.mapdash.test", "demo-password",
                  "/admin/organization/")
    tablet.locator("input[name=not_fixed_days]").fill("30")
    tablet.locator("#not-fixed button[type=submit]").click()
    tablet.wait_for_url("**/admin/organization/#not-fixed")
    assert tablet.locator("input[name=not_fixed_days]").input_value() == "30"
    tablet.locator("#not-fixed").screenshot(path=str(screenshot_dir / "admin-not-fixed-days-820.png"))
    tablet_context.close()
    assert errors == []
