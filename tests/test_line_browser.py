"""The report form opened from a LINE location reply, in a phone's and a desktop's browser:
the pin is set where the citizen was, the village is named, LINE will tell them."""
from mapdash.integrations.line import links

USER = "U" + "5" * 32


def open_from_line(page, live_server) -> None:
    token = links.sign_user("test-secret", USER)
    page.goto(f"{live_server}/?lat=17.350000&lon=104.620000&line={token}")
    page.click("a.category-tile[href*='/report/streetlight']")
    page.wait_for_selector("#place-map[data-loaded='13']")
    page.wait_for_selector("#place-village.inside")
    assert page.locator(".leaflet-marker-icon").count() == 1
    # closer in, on the pin, so it can be dragged to the exact pole
    page.wait_for_function("() => window[document.getElementById('place-map').dataset.map]"
                           ".getZoom() >= 15")
    assert page.input_value("#lat") == "17.350000" and page.input_value("#lon") == "104.620000"
    assert page.input_value("input[name=line]") == token
    assert page.locator("#place-village").inner_text().startswith("หมู่ 1 ")
    assert page.locator(".line-linked").is_visible()
    assert USER not in page.content()


def test_the_form_from_a_line_location_on_a_phone(live_server, phone, screenshot_dir):
    open_from_line(phone, live_server)
    phone.screenshot(path=str(screenshot_dir / "line-report-form-phone.png"))


def test_the_form_from_a_line_location_on_a_desktop(live_server, desktop, screenshot_dir):
    open_from_line(desktop, live_server)
    desktop.screenshot(path=str(screenshot_dir / "line-report-form-desktop.png"))
