"""Booking the hall on a phone (390x844, Thai) in a real Chromium (issue 13, item 1): a
citizen picks a free slot and gets the confirmation with the Buddhist Era date and the QR; a
second citizen sees that slot taken. Then staff see the day's list and print it, and the admin
pages; each page is photographed at phone and desktop size."""
import re

PHONE = dict(viewport={"width": 390, "height": 844}, locale="th-TH", device_scale_factor=2,
             is_mobile=True, has_touch=True)
HALL = "หอประชุม อบต."


def test_a_citizen_books_the_hall_and_the_next_one_sees_the_slot_taken(
        live_server, browser, phone, desktop, screenshot_dir):
    shots = screenshot_dir
    errors = []
    phone.on("pageerror", lambda exc: errors.append(str(exc)))

    # 1. From the home page to the appointment form; choose the hall.
    phone.goto(live_server + "/report/appointment")
    assert phone.locator(".resource-choice").count() == 2
    phone.screenshot(path=str(shots / "booking-1-form-phone.png"), full_page=True, scale="css")
    hall_link = phone.get_by_role("link", name=re.compile(HALL))
    hall_id = re.search(r"resource=(\d+)", hall_link.get_attribute("href")).group(1)
    hall_link.tap()
    phone.wait_for_selector("#booking-form")
    assert phone.locator("#resource-title").is_visible()

    # 2. The first free slot of the week, a reason and a phone number.
    free = phone.locator("label.slot:not(.taken)").first
    slot_value = free.locator("input").get_attribute("value")
    free.scroll_into_view_if_needed()
    free.tap()
    assert free.locator("input").is_checked()
    phone.screenshot(path=str(shots / "booking-2-slot-phone.png"))
    phone.fill("#description", "ประชุมกลุ่มแม่บ้าน หมู่ 3 ประมาณ 40 คน")
    phone.fill("input[name=reporter_name]", "สมศรี ใจดี")
    phone.fill("input[name=reporter_phone]", "080-000-1234")
    phone.get_by_role("button", name="จองเวลานี้").tap()

    # 3. The confirmation: booked time in the Buddhist Era, the hall, the QR to the tracking page.
    phone.wait_for_url(re.compile(r".*/track/[A-Z0-9]{4}-[A-Z0-9]{4}\?new=1$"))
    assert phone.get_by_text("จองเวลาเรียบร้อยแล้ว").is_visible()
    when = phone.locator("#booked-when").inner_text()
    year_be = int(slot_value[:4]) + 543
    assert str(year_be) in when and slot_value[11:16] in when, when
    assert phone.locator("img.qr").evaluate("img => img.complete && img.naturalWidth > 0")
    assert phone.locator("#due").count() == 0  # no "expected completion" for a booking
    assert phone.locator("#booking-cancel").count() == 1
    phone.screenshot(path=str(shots / "booking-3-confirmation-phone.png"), full_page=True, scale="css")
    code = phone.locator("#tracking-code").inner_text().strip()

    # 4. A second citizen (another phone) sees that slot taken and cannot choose it.
    other = browser.new_context(**PHONE).new_page()
    other.goto(live_server + f"/report/appointment?resource={hall_id}"
               f"&from={slot_value[:10]}")
    taken = other.locator(f"label.slot:has(input[value='{slot_value}'])")
    assert "taken" in taken.get_attribute("class")
    assert taken.locator("input").is_disabled()
    assert "เต็มแล้ว" in taken.inner_text()
    taken.scroll_into_view_if_needed()
    other.screenshot(path=str(shots / "booking-4-taken-phone.png"))
    # Sent anyway (an old page): refused with a clear message, the typed text kept.
    other.evaluate("v => { const i = document.querySelector(`input[value='${v}']`);"
                   " i.disabled = false; i.checked = true; }", slot_value)
    other.fill("#description", "ขอใช้หอประชุม")
    other.fill("input[name=reporter_phone]", "080-000-5678")
    other.get_by_role("button", name="จองเวลานี้").tap()
    other.wait_for_selector("#form-error")
    assert "มีผู้จองเวลานี้ไปแล้ว" in other.locator("#form-error").inner_text()
    assert other.input_value("#description") == "ขอใช้หอประชุม"
    other.screenshot(path=str(shots / "booking-5-refused-phone.png"), full_page=True, scale="css")
    other.context.close()

    # 5. The citizen's tracking page on a desktop, the cancel form opened.
    desktop.goto(live_server + f"/track/{code}")
    desktop.locator("#booking-cancel summary").click()
    desktop.screenshot(path=str(shots / "booking-6-track-desktop.png"), full_page=True, scale="css")
    desktop.goto(live_server + "/report/appointment")
    desktop.get_by_role("link", name=re.compile(HALL)).click()
    desktop.screenshot(path=str(shots / "booking-1-form-desktop.png"), full_page=True, scale="css")

    # 6. Staff: the day's list (and its print-out), the move page; the admin's pages.
    desktop.goto(live_server + "/login")
    desktop.fill("input[name=email]", "admin@demo.mapdash.test")
    desktop.fill("input[name=password]", "demo-password")
    desktop.locator("button[type=submit]").last.click()
    desktop.wait_for_load_state()
    desktop.goto(live_server + f"/office/bookings?day={slot_value[:10]}")
    row = desktop.locator("tr", has_text="ประชุมกลุ่มแม่บ้าน")
    assert row.count() == 1 and code in row.inner_text()
    desktop.screenshot(path=str(shots / "booking-7-day-desktop.png"), full_page=True, scale="css")
    desktop.emulate_media(media="print")
    desktop.screenshot(path=str(shots / "booking-7-day-print.png"), full_page=True, scale="css")
    assert not desktop.locator(".topbar").is_visible()
    desktop.emulate_media(media="screen")
    row.get_by_role("link", name="เลื่อน").click()
    desktop.wait_for_selector("#move-form")
    desktop.screenshot(path=str(shots / "booking-8-move-desktop.png"), full_page=True, scale="css")
    desktop.goto(live_server + "/admin/bookings/")
    desktop.screenshot(path=str(shots / "booking-9-admin-resources-desktop.png"), full_page=True, scale="css")
    desktop.goto(live_server + "/admin/closed-days/")
    assert desktop.locator(".closed-days tr").count() > 3
    desktop.screenshot(path=str(shots / "booking-10-closed-days-desktop.png"), full_page=True, scale="css")
    for path, name in ((f"/office/bookings?day={slot_value[:10]}", "booking-7-day-phone"),
                       ("/admin/bookings/", "booking-9-admin-resources-phone"),
                       ("/admin/closed-days/", "booking-10-closed-days-phone")):
        _phone_as(browser, live_server, path, shots / f"{name}.png")
    assert errors == []


def _phone_as(browser, live_server, path, out) -> None:
    page = browser.new_context(**PHONE).new_page()
    page.goto(live_server + "/login")
    page.fill("input[name=email]", "admin@demo.mapdash.test")
    page.fill("input[name=password]", "demo-password")
    page.locator("button[type=submit]").last.click()
    page.wait_for_load_state()
    page.goto(live_server + path)
    page.screenshot(path=str(out), full_page=True, scale="css")
    page.context.close()
