"""The home page in a real Chromium, with map tiles out of reach."""


def test_home_map_shows_villages_without_tiles(live_server, phone, screenshot_dir):
    errors = []
    phone.on("pageerror", lambda exc: errors.append(str(exc)))
    phone.goto(live_server + "/")
    phone.wait_for_selector("#village-map[data-loaded='13']")
    assert phone.locator(".leaflet-overlay-pane path").count() == 13
    labels = phone.locator(".count-label").all_inner_texts()
    assert len(labels) == 13 and all(label.isdigit() for label in labels)
    assert phone.locator("a[href='tel:1669']").is_visible()
    assert errors == []
    phone.screenshot(path=str(screenshot_dir / "home-phone.png"), full_page=True, scale="css")


def test_home_at_desktop_size_in_english(live_server, desktop, screenshot_dir):
    desktop.goto(live_server + "/?lang=en")
    desktop.wait_for_selector("#village-map[data-loaded='13']")
    assert desktop.locator("html").get_attribute("lang") == "en"
    assert desktop.get_by_text("Streetlight out").is_visible()
    desktop.screenshot(path=str(screenshot_dir / "home-desktop-en.png"), full_page=True, scale="css")


def test_login_page_on_a_phone(live_server, phone, screenshot_dir):
    phone.goto(live_server + "/dispatch/")
    assert "/login" in phone.url
    phone.fill("input[name=email]", "dispatcher@demo.mapdash.test")
    phone.fill("input[name=password]", "demo-password")
    phone.screenshot(path=str(screenshot_dir / "login-phone.png"))
    phone.click("button[type=submit]")
    phone.wait_for_url("**/dispatch/")
    phone.locator(".case-row").first.wait_for()  # the live map's list, filled from the map API
    phone.screenshot(path=str(screenshot_dir / "dispatch-phone.png"))
    # The filters besides the layers are folded: the map starts in the top fifth of the screen.
    assert not phone.locator("select[name=status]").is_visible()
    assert phone.locator(".map-pane").bounding_box()["y"] < 844 / 5
    phone.click("#more-filters summary")
    phone.select_option("select[name=status]", "new")
    assert phone.inner_text("#filter-count") == "1"
    phone.screenshot(path=str(screenshot_dir / "dispatch-phone-filters.png"))
