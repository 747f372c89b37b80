"""The admin's notifications page in a real Chromium, at phone and desktop size."""
import pytest
from sqlalchemy import select, update

from mapdash.models import Department, Incident, Notification

ADMIN = "admin@demo.mapdash.test"
PASSWORD = "demo-password"


def arrange_failures(session) -> Incident:
    """One message refused for good and one still waiting on a LINE group, on a demo case."""
    case = session.scalars(select(Incident).order_by(Incident.id)).first()
    payload = {"kind": "accepted", "subject_th": "รับเรื่อง", "subject_en": "Accepted",
               "text_th": "รับเรื่อง", "text_en": "Accepted", "url": "http://127.0.0.1/track/x"}
    session.add(Notification(incident_id=case.id, kind="accepted", channel="email",
                             recipient="somchai.jaidee@example.test", payload=payload,
                             dedupe_key="browser:1", status="failed", attempts=1,
                             last_error="550 5.1.1 No such user here"))
    session.add(Notification(incident_id=case.id, kind="new_case", channel="line",
                             recipient="C" + "0123456789abcdef" * 2, payload=payload,
                             dedupe_key="browser:2", status="failed", attempts=10,
                             last_error="LINE answered 500: upstream unavailable"))
    session.execute(update(Department).where(Department.code == "engineering")
                    .values(notify_email="engineering@demo.mapdash.test"))
    session.commit()
    return case


@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_admin_sees_failures_and_retries_one(size, request, live_server, demo_session,
                                             screenshot_dir):
    case = arrange_failures(demo_session)
    page = request.getfixturevalue(size)
    page.goto(live_server + "/admin/")
    page.fill("input[name=email]", ADMIN)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/admin/")
    page.click("a[href='/admin/notifications/']")
    page.wait_for_selector(".notify-problems")
    assert page.locator(".notify-problems tbody tr").count() == 2
    assert "550 5.1.1 No such user here" in page.inner_text(".notify-problems")
    assert case.tracking_code in page.inner_text(".notify-problems")
    assert "engineering@demo.mapdash.test" in page.inner_text(".alerts-summary")
    page.screenshot(path=str(screenshot_dir / f"admin-notifications-{size}.png"), full_page=True, scale="css")

    page.locator(".notify-problems button.retry").first.click()
    page.wait_for_selector(".flash")
    # Due again at once: it leaves the list (it would come back if it kept failing).
    assert page.locator(".notify-problems tbody tr").count() == 1

    # The alert settings themselves are changed on the departments page
    # (tests/test_browser_admin_office.py).
    page.click(".notify-admin a[href='/admin/departments/']")
    page.wait_for_selector("form.department input[value='engineering@demo.mapdash.test']")
