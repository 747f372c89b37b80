"""Pages: Thai first, English on request, assets served by the app itself."""
import re

import pytest


def test_home_is_thai_by_default(demo_client):
    page = demo_client.get("/").get_data(as_text=True)
    assert '<html lang="th">' in page
    assert "อบต.ตัวอย่าง (ข้อมูลสาธิต)" in page
    assert "ไฟฟ้าส่องสว่างดับ" in page
    assert 'href="tel:1669"' in page and 'href="tel:191"' in page and 'href="tel:199"' in page


def test_english_is_available_and_remembered(demo_client):
    page = demo_client.get("/?lang=en").get_data(as_text=True)
    assert '<html lang="en">' in page and "Streetlight out" in page
    assert '<html lang="en">' in demo_client.get("/").get_data(as_text=True)  # from the cookie
    assert '<html lang="th">' in demo_client.get("/?lang=th").get_data(as_text=True)


def test_language_switch_keeps_the_rest_of_the_address(demo_client):
    page = demo_client.get("/login?next=/dispatch/").get_data(as_text=True)
    assert 'href="/login?next=%2Fdispatch%2F&amp;lang=en"' in page


def test_home_without_any_organization_explains_what_to_do(client):
    page = client.get("/").get_data(as_text=True)
    assert "ยังไม่มีหน่วยงานในระบบ" in page


@pytest.mark.parametrize("path", ["/", "/login"])
def test_pages_load_nothing_from_other_hosts(demo_client, path):
    page = demo_client.get(path).get_data(as_text=True)
    sources = re.findall(r'(?:src|href)="([^"]+)"', page)
    external = [s for s in sources if s.startswith(("http:", "https:", "//"))]
    assert external == []
    assert "cdn" not in page.lower()


def test_leaflet_is_served_locally(demo_client):
    page = demo_client.get("/").get_data(as_text=True)
    script = re.search(r'<script src="(/vendor/leaflet/leaflet\.js\?v=[0-9a-f]+)"', page)
    assert script
    asset = demo_client.get(script.group(1))
    assert asset.status_code == 200 and b"Leaflet" in asset.data[:2000]
    assert demo_client.get("/vendor/markercluster/leaflet.markercluster.js").status_code == 200
    assert demo_client.get("/vendor/leaflet/../../../etc/passwd").status_code == 404


def test_unknown_page_answers_in_both_languages(demo_client):
    response = demo_client.get("/no-such-page")
    assert response.status_code == 404
    body = response.get_data(as_text=True)
    assert "ไม่พบหน้าที่ต้องการ" in body and "Page not found" in body


def test_buddhist_era_dates():
    from datetime import datetime, timezone

    from mapdash.i18n import format_date

    moment = datetime(2022, 9, 13, 3, 0, tzinfo=timezone.utc)  # 10:00 in Bangkok
    assert format_date(moment, lang="th") == "13 ก.ย. 2565"
    assert format_date(moment, with_time=True, lang="th") == "13 ก.ย. 2565 10:00"
    assert format_date(moment, lang="en") == "13 Sep 2022"
