"""The crew's offline map pack in a real Chromium phone (390x844): downloaded from a local tile
server stand-in (tests/tile_standin.py) with progress and size, only the tiles of its list and
within its cap, two at a time; drawn from the phone with the network off; updated; removed."""
import io
import threading

import pytest
from PIL import Image
from sqlalchemy import select
from werkzeug.serving import make_server

from mapdash.models import Incident, Organization, User
from tests.support import make_app
from tests.tile_standin import COLOUR, TileStandIn

CREW_EMAIL = "crew@demo.mapdash.test"
PASSWORD = "demo-password"
MAX_MB = 1
TILE_BYTES = 3000  # what the stand-in's tiles weigh; the server estimates 2,000


@pytest.fixture
def tiles():
    stand_in = TileStandIn(tile_bytes=TILE_BYTES).start()
    yield stand_in
    stand_in.stop()


@pytest.fixture
def pack_server(demo_database_url, tmp_path, tiles):
    """The demo app with its tiles from the stand-in, a pack to zoom 16 and 1 MB."""
    app = make_app(demo_database_url, tmp_path / "photos", TILE_URL=tiles.url,
                   MAP_PACK_TILE_BYTES=2000)
    from mapdash import db
    with db.new_session(app) as session:
        org = session.scalars(select(Organization).where(Organization.slug == "demo-tambon")).one()
        org.map_pack_max_zoom, org.map_pack_max_mb = 16, MAX_MB
        crew = session.scalars(select(User).where(User.email == CREW_EMAIL)).one()
        lon, lat = session.execute(
            select(Incident.location.ST_X(), Incident.location.ST_Y())
            .where(Incident.assigned_to == crew.id, Incident.location.is_not(None),
                   Incident.status.in_(("assigned", "in_progress"))).order_by(Incident.id).limit(1)).one()
        session.commit()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield {"url": f"http://127.0.0.1:{server.server_port}", "lon": lon, "lat": lat}
    server.shutdown()
    thread.join()
    app.extensions["db_engine"].dispose()


@pytest.fixture
def phone(browser, pack_server):
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, locale="th-TH", device_scale_factor=2,
        is_mobile=True, has_touch=True, service_workers="allow", permissions=["geolocation"],
        geolocation={"latitude": pack_server["lat"], "longitude": pack_server["lon"], "accuracy": 10})
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield page
    context.close()
    assert errors == []


def magenta_share(png: bytes) -> float:
    """The share of the picture drawn in the stand-in's colour (under the faint village fill)."""
    image = Image.open(io.BytesIO(png)).convert("RGB").resize((195, 245))
    pixels = [image.getpixel((x, y)) for x in range(image.width) for y in range(image.height)]
    near = [p for p in pixels if abs(p[0] - COLOUR[0]) < 40 and p[1] < 60 and abs(p[2] - COLOUR[2]) < 40]
    return len(near) / len(pixels)


def test_the_pack_downloads_its_tiles_within_the_cap_and_draws_the_map_offline(
        phone, pack_server, tiles, screenshot_dir):
    page = phone
    lists = []
    page.on("response", lambda response: lists.append(response)
            if "/crew/map-pack.json" in response.url else None)
    page.goto(pack_server["url"] + "/crew/")
    page.fill("input[name=email]", CREW_EMAIL)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/crew/")
    page.wait_for_function("() => navigator.serviceWorker.controller !== null")
    # The first visit downloads the pack by itself, showing how far it got.
    page.wait_for_selector("#map-pack[data-state=downloading]")
    page.wait_for_function("() => document.getElementById('map-pack-progress').value >= 40")
    page.screenshot(path=str(screenshot_dir / "crew-map-pack-downloading-390.png"))
    page.wait_for_selector("#map-pack[data-state=ready]", timeout=60_000)

    assert len(lists) == 1
    listed = [tuple(tile[:3]) for tile in lists[0].json()["tiles"]]
    assert lists[0].json()["complete"] is False  # the estimate (2 kB a tile) already capped it
    assert len(listed) == MAX_MB * 1024 * 1024 // 2000
    downloaded = tiles.downloads()
    # The cap counts real sizes: 3 kB tiles fill 1 MB before the list ends.
    kept = MAX_MB * 1024 * 1024 // len(tiles.png)
    assert len(downloaded) in (kept, kept + 1)  # the tile over the cap is fetched, not kept
    assert len(set(downloaded)) == len(downloaded)  # each once
    assert set(downloaded) <= set(listed[:len(downloaded) + 1])  # the most useful first
    assert tiles.most_at_once <= 2  # the tile servers' usage policies
    # No cookie goes with a download (the map's own <img> tiles send this host's cookies here
    # only because the stand-in shares the app's host), and no page's path in a Referer.
    assert all(hit.cookie is None for hit in tiles.hits if hit.mode == "cors")
    assert {hit.referer for hit in tiles.hits} <= {None, pack_server["url"] + "/"}
    text = page.inner_text("#map-pack-text")
    assert f"แผนที่ออฟไลน์: {kept} แผ่น, 1.0 MB" in text and "หยุดเมื่อถึงขนาด" in text
    assert page.is_visible("#map-pack-refresh") and page.is_visible("#map-pack-remove")
    page.wait_for_timeout(300)
    page.screenshot(path=str(screenshot_dir / "crew-map-pack-online-390.png"))

    # No signal: the page, its cases and the map's background all come from the phone.
    page.context.set_offline(True)
    tiles.forget()
    page.reload()
    page.wait_for_selector("#crew-status:has-text('ไม่มีสัญญาณ')")
    page.wait_for_function("() => document.querySelectorAll('.leaflet-tile-loaded').length >= 4")
    page.wait_for_timeout(600)  # Leaflet fades tiles in
    assert magenta_share(page.locator("#crew-map").screenshot()) > 0.5
    assert page.evaluate("""() => [...document.querySelectorAll(".case-marker img")]
      .every((img) => img.complete && img.naturalWidth > 0)""")  # the type icons were kept
    assert tiles.hits == []
    assert "แผนที่ออฟไลน์:" in page.inner_text("#map-pack-text")
    assert not page.is_visible("#map-pack-refresh")  # nothing to download it with
    page.screenshot(path=str(screenshot_dir / "crew-map-pack-offline-390.png"))
    for width, height in ((820, 1180), (1440, 900)):
        page.set_viewport_size({"width": width, "height": height})
        page.wait_for_timeout(600)
        page.screenshot(path=str(screenshot_dir / f"crew-map-pack-offline-{width}.png"))
    page.set_viewport_size({"width": 390, "height": 844})

    # With signal again: the visit tops the pack up (nothing is missing), and "update"
    # downloads the whole list again, fresh.
    page.context.set_offline(False)
    page.reload()
    page.wait_for_selector("#map-pack[data-syncs='1'][data-state=ready]")
    assert tiles.downloads() == []
    page.click("#map-pack-refresh")
    page.wait_for_selector("#map-pack[data-syncs='2'][data-state=ready]", timeout=60_000)
    assert len(tiles.downloads()) in (kept, kept + 1)

    # Removed: gone from the phone, and not downloaded again at the next visit.
    page.click("#map-pack-remove")
    page.wait_for_selector("#map-pack[data-state=none]")
    assert page.evaluate("caches.has('mapdash-map-pack')") is False
    tiles.forget()
    page.reload()
    page.wait_for_selector("#map-pack[data-state=none]")
    page.wait_for_selector("#crew-list li")
    page.wait_for_timeout(1000)  # as long as a top-up waits for the position, and more
    assert tiles.downloads() == [] and page.get_attribute("#map-pack", "data-syncs") is None
    assert page.is_visible("#map-pack-download")
    page.click("#map-pack-download")
    page.wait_for_selector("#map-pack[data-state=ready]", timeout=60_000)
