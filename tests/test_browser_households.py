"""Households in a real Chromium, map tiles out of reach: a citizen scans a sticker on a phone
and the report form starts at the house; an admin imports a survey file (a bad one first),
places a house on the map and sees the household layer on the dispatcher's map."""
import pytest

from mapdash.demo import data

ADMIN = "admin@demo.mapdash.test"
PASSWORD = "demo-password"


@pytest.fixture
def page_errors():
    errors: list[str] = []
    yield errors
    assert errors == []


def shoot(page, screenshot_dir, name):
    page.screenshot(path=str(screenshot_dir / f"households-{name}.png"), full_page=True)


def test_a_scanned_sticker_presets_the_house_on_a_phone(live_server, phone, page_errors,
                                                        screenshot_dir):
    page = phone
    page.on("pageerror", lambda exc: page_errors.append(str(exc)))
    first = data.households()[0]
    page.goto(f"{live_server}/h/{first['qr_key']}")
    banner = page.locator("#household-banner")
    assert banner.inner_text().startswith("บ้านเลขที่ 1 หมู่ 1 บ้านโนนสวรรค์")
    shoot(page, screenshot_dir, "home-phone")

    page.click("a.category-tile[href*='/report/streetlight']")
    page.wait_for_selector("#place-map .leaflet-marker-icon")
    assert page.input_value("#lat") == f"{first['lat']:.6f}"
    assert page.input_value("#lon") == f"{first['lon']:.6f}"
    # The server names the village; the script checks the pin again on load ("Checking...").
    page.wait_for_selector("#place-village.inside")
    assert "หมู่ 1 บ้านโนนสวรรค์" in page.inner_text("#place-village")
    assert page.locator("#house-pin-note").is_visible()
    shoot(page, screenshot_dir, "report-phone")

    page.click("#household-clear")
    page.wait_for_selector("#report-form")
    assert page.locator("#household-banner").count() == 0
    assert page.input_value("#lat") == ""

    missing = page.goto(f"{live_server}/h/notAStickerKey")
    assert missing.status == 404
    assert "ไม่รู้จักคิวอาร์โค้ดนี้" in page.inner_text("main")
    shoot(page, screenshot_dir, "unknown-phone")


def test_an_admin_imports_places_and_sees_the_houses(live_server, browser, page_errors,
                                                     screenshot_dir, tmp_path):
    context = browser.new_context(viewport={"width": 1440, "height": 900}, locale="th-TH")
    page = context.new_page()
    page.on("pageerror", lambda exc: page_errors.append(str(exc)))
    page.goto(live_server + "/admin/households/")
    page.fill("input[name=email]", ADMIN)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/admin/households/")
    assert "24" in page.inner_text("#household-village-1")
    shoot(page, screenshot_dir, "admin-desktop")

    bad = tmp_path / "survey.csv"
    bad.write_text("house_number,village,lat,lon\n1,1,17.35,104.62\n,2,17.36,104.64\n", encoding="utf-8")
    page.set_input_files("input[name=file]", str(bad))
    page.click("#check-households")
    page.wait_for_selector("#household-problems li")
    problems = page.locator("#household-problems li").all_inner_texts()
    assert problems[0].startswith("แถว 2:") and problems[-1].startswith("แถว 3:")
    shoot(page, screenshot_dir, "preview-errors-desktop")

    # Two new houses in the middle of village 1's houses (numbered 1 to 23 in the demo).
    village_1 = [house for house in data.households() if house["village"] == 1]
    lon = round(sum(house["lon"] for house in village_1) / len(village_1), 6)
    lat = round(sum(house["lat"] for house in village_1) / len(village_1), 6)
    good = tmp_path / "survey2.csv"
    good.write_text("house_number,village,lat,lon\n"
                    f"101,หมู่ 1,{lat + 0.0003},{lon}\n102,บ้านโนนสวรรค์,{lat},{lon + 0.0003}\n",
                    encoding="utf-8")
    page.goto(live_server + "/admin/households/")
    page.set_input_files("input[name=file]", str(good))
    page.click("#check-households")
    page.wait_for_selector("#household-preview[data-loaded='2']")
    assert page.locator("#household-preview path.leaflet-interactive").count() == 2
    shoot(page, screenshot_dir, "preview-desktop")
    page.click("#confirm-households")
    page.wait_for_url("**/admin/households/")
    assert "26" in page.inner_text("#household-village-1")

    page.click("#household-map-link")
    page.wait_for_url("**/households/")
    editor = page.locator("#household-editor")
    editor.wait_for()
    page.evaluate(f"() => window[document.getElementById('household-editor').dataset.map]"
                  f".setView([{lat}, {lon}], 16, {{animate: false}})")
    page.wait_for_function("() => Number(document.getElementById('household-editor').dataset.loaded) > 10")
    page.click("#add-household")
    box = page.locator(".editor-map").bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.2, box["y"] + box["height"] * 0.2)
    page.fill(".house-popup input[name=house_number]", "103")
    page.click(".house-popup button[type=submit]")
    page.wait_for_function("() => document.getElementById('editor-status').textContent.includes('103')")
    assert "หมู่ 1" in page.inner_text("#editor-status")
    assert editor.locator(".house-dot").count() > 10
    shoot(page, screenshot_dir, "editor-desktop")

    page.goto(live_server + "/dispatch/")
    page.wait_for_selector("#dispatch[data-villages='13'][data-loaded]")
    page.check("#household-layer")
    assert "ขยายแผนที่" in page.inner_text("#household-layer-note")
    page.evaluate(f"() => window[document.getElementById('dispatch').dataset.map]"
                  f".setView([{lat}, {lon}], 16, {{animate: false}})")
    page.wait_for_function("() => /ในแผนที่มี \\d+ หลัง/.test("
                           "document.getElementById('household-layer-note').textContent)")
    assert page.locator(".leaflet-households-pane path").count() > 10
    shoot(page, screenshot_dir, "dispatch-desktop")
    page.uncheck("#household-layer")
    assert page.locator(".leaflet-households-pane path").count() == 0
    context.close()
