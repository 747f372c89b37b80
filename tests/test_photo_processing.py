"""Photos cleaned off the request path: the request checks the header and keeps the upload
privately (pending); the worker makes the clean copy. Until then nothing serves it."""
import io
import os
import re
import threading
import time
from pathlib import Path

from PIL import Image
from sqlalchemy import select, text

from mapdash.cases import photo_processing, photo_sweep, photos
from mapdash.db import new_session
from mapdash.integrations.notify.worker import Worker
from mapdash.models import Incident, IncidentEvent, Photo
from tests import photo_samples as samples
from tests.crew_support import PASSWORD, make_field
from tests.factories import STAFF_PASSWORD, make_org, make_staff
from tests.support import csrf_token, login
from tests.test_crew import post_closing
from tests.test_photos import assert_no_metadata
from tests.test_public_report import PIN, send

PHONE_PHOTO = samples.jpeg(size=(2600, 1950), orientation=6)  # GPS in its EXIF, turned sideways


def files_under(root) -> list[Path]:
    return sorted(p for p in Path(root).rglob("*") if p.is_file())


def damaged_jpeg() -> bytes:
    """A valid header, half the pixel data: only decoding finds out."""
    whole = samples.jpeg(size=(800, 600))
    return whole[: len(whole) // 2]


def tracking_code(response) -> str:
    return re.search(r"/track/([A-Z0-9-]+)\?new=1", response.headers["Location"]).group(1)


def test_a_report_photo_is_kept_private_until_the_worker_cleans_it(demo_app, demo_client,
                                                                    demo_session):
    response = send(demo_client, photos=[("lamp.jpg", PHONE_PHOTO)], description="ไฟดับหน้าวัด",
                    **PIN)
    assert response.status_code == 303
    code = tracking_code(response)
    incident = demo_session.scalars(select(Incident).where(Incident.tracking_code == code)).one()
    [photo] = incident.photos
    assert photo.pending and photo.path.startswith("incoming/") and photo.process_attempts == 0
    upload = Path(demo_app.config["PHOTO_DIR"]) / photo.path
    assert upload.read_bytes() == PHONE_PHOTO  # kept as it came, for the worker

    # Nothing serves it, to the public or to staff; the pages show a placeholder instead.
    staff = demo_app.test_client()
    login(staff, "dispatcher@demo.mapdash.test", "demo-password")
    for client in (demo_client, staff):
        for path in (f"/photos/{photo.id}", f"/photos/{photo.id}/thumb"):
            assert client.get(path).status_code == 404
    page = demo_client.get(f"/track/{code}").get_data(as_text=True)
    assert "photo-pending" in page and "กำลังประมวลผลรูปภาพ" in page
    # No image or link points at it; only the placeholder says where it will be, for the
    # page to put it there once it is ready (photo-pending.js).
    assert f'src="/photos/{photo.id}' not in page and f'href="/photos/{photo.id}' not in page
    assert f'data-thumb="/photos/{photo.id}/thumb"' in page and photo.path not in page
    english = demo_client.get(f"/track/{code}?lang=en").get_data(as_text=True)
    assert "Photo being processed" in english
    panel = staff.get(f"/dispatch/cases/{incident.id}").get_data(as_text=True)
    assert "photo-pending" in panel and f"/photos/{photo.id}" not in panel
    [request] = demo_client.get(f"/open311/v2/requests/{code}.json").get_json()
    assert request["media_url"] is None

    # The worker: the clean copy (upright, no metadata, at most 2,000 px), the upload gone.
    assert Worker(demo_app).process_photos() == 1
    demo_session.expire_all()
    photo = demo_session.get(Photo, photo.id)
    assert not photo.pending and photo.process_after is None
    assert not upload.exists()
    assert (photo.width, photo.height) == (1500, 2000)  # EXIF orientation 6: turned upright
    for path in (f"/photos/{photo.id}", f"/photos/{photo.id}/thumb"):
        served = demo_client.get(path)
        assert served.status_code == 200 and served.mimetype == "image/jpeg"
        assert_no_metadata(served.data)
    clean = Image.open(io.BytesIO(demo_client.get(f"/photos/{photo.id}").data))
    assert max(clean.size) <= photos.MAX_EDGE and clean.size == (1500, 2000)
    page = demo_client.get(f"/track/{code}").get_data(as_text=True)
    assert f"/photos/{photo.id}/thumb" in page and 'class="photo-pending"' not in page
    [request] = demo_client.get(f"/open311/v2/requests/{code}.json").get_json()
    assert request["media_url"] == f"http://localhost/photos/{photo.id}"
    assert not list((Path(demo_app.config["PHOTO_DIR"]) / photos.INCOMING).iterdir())


def test_the_request_still_refuses_what_is_not_a_usable_photo(demo_app, demo_client,
                                                               demo_session):
    before = files_under(demo_app.config["PHOTO_DIR"])
    for name, content, status in (("a.pdf", samples.PDF, 415), ("s.jpg", samples.sliver(), 400),
                                  ("bomb.png", samples.png_bomb(12000), 413)):
        response = send(demo_client, photos=[("good.jpg", samples.jpeg()), (name, content)], **PIN)
        assert response.status_code == status, name
    assert files_under(demo_app.config["PHOTO_DIR"]) == before


def test_staff_intake_keeps_photos_for_the_worker_too(app, client, session):
    make_staff(session, make_org(session))
    session.commit()
    login(client, "dispatcher@example.test", STAFF_PASSWORD)

    def enter(*files):
        token = csrf_token(client, "/dispatch/intake/streetlight")
        return client.post("/dispatch/intake/streetlight", content_type="multipart/form-data",
                           data={"csrf_token": token, "channel": "counter", "village": "1",
                                 "description": "ไฟดับหน้าโรงเรียน",
                                 "photos": [(io.BytesIO(data), name) for name, data in files]})

    refused = enter(("letter.pdf", samples.PDF))
    assert refused.status_code == 415 and files_under(app.config["PHOTO_DIR"]) == []
    assert enter(("counter.jpg", samples.jpeg()), ("torn.jpg", damaged_jpeg())).status_code == 303
    case = session.scalars(select(Incident).where(Incident.channel == "counter")).one()
    assert [p.pending for p in case.photos] == [True, True]
    token = csrf_token(client, f"/dispatch/cases/{case.id}")
    printed = client.post(f"/dispatch/cases/{case.id}/form.pdf", data={"csrf_token": token})
    assert printed.status_code == 200 and printed.data.startswith(b"%PDF")
    assert b"SecretPhone" not in printed.data  # the uploads, EXIF and all, are not in it
    assert Worker(app).process_photos() == 2
    session.expire_all()
    [kept] = session.get(Incident, case.id).photos  # the torn one removed, with a note
    assert not kept.pending and client.get(f"/photos/{kept.id}/thumb").status_code == 200


def received(data: bytes = b"") -> photos.ReceivedPhoto:
    return photos.check_image(data or samples.jpeg())


def test_a_rolled_back_report_leaves_no_upload(app, session, incident):
    with app.app_context():
        photos.store_photo(session, incident, received(), "report")
        photos.store_photo(session, incident, received(samples.webp()), "report")
        assert len(files_under(app.config["PHOTO_DIR"])) == 2  # in place once flushed
        session.rollback()
    assert files_under(app.config["PHOTO_DIR"]) == []
    assert session.scalars(select(Photo)).all() == []


def test_a_photo_whose_pixels_are_damaged_is_removed_with_a_note_for_staff(app, session,
                                                                          incident):
    with app.app_context():
        photo = photos.store_photo(session, incident, received(damaged_jpeg()), "report")
        session.commit()
        photo_id = photo.id
        worker = Worker(app)
        assert worker.process_photos() == 1
        assert worker.process_photos() == 0  # gone: not tried again and again
    session.expire_all()
    assert session.get(Photo, photo_id) is None
    assert files_under(app.config["PHOTO_DIR"]) == []
    [note] = session.scalars(select(IncidentEvent).where(
        IncidentEvent.incident_id == incident.id, IncidentEvent.action == "comment")).all()
    assert not note.public and "รูปภาพ" in note.note
    assert session.get(Incident, incident.id).status == "new"  # the report itself stands


def test_a_photo_that_kept_breaking_the_worker_is_given_up(app, session, incident):
    """Three claims that never finished (the worker killed each time): the fourth gives up."""
    with app.app_context():
        photo_id = photos.store_photo(session, incident, received(), "report").id
        session.commit()
    session.execute(text("UPDATE photos SET process_attempts = :n WHERE id = :id"),
                    {"n": photo_processing.MAX_ATTEMPTS, "id": photo_id})
    session.commit()
    with app.app_context():
        assert Worker(app).process_photos() == 1
    session.expire_all()
    assert session.get(Photo, photo_id) is None and files_under(app.config["PHOTO_DIR"]) == []


def test_two_workers_never_claim_the_same_photo(app, session, incident):
    with app.app_context():
        stored = [photos.store_photo(session, incident, received(), "report") for _ in range(3)]
        session.commit()
    engine = app.extensions["db_engine"]
    with new_session(app) as first, new_session(app) as second:
        mine = photo_processing.claim(first, batch=1)  # locked until `first` commits
        theirs = photo_processing.claim(second, batch=10)
        assert [c.id for c in mine] == [stored[0].id]
        assert [c.id for c in theirs] == [stored[1].id, stored[2].id]
        first.commit()
        second.commit()
    with new_session(app) as third:
        assert photo_processing.claim(third) == []  # all leased
    with app.app_context():
        outcomes = [photo_processing.process_one(engine, c) for c in mine + theirs]
    assert outcomes == ["processed"] * 3
    session.expire_all()
    assert not any(session.get(Photo, p.id).pending for p in stored)
    assert len(files_under(app.config["PHOTO_DIR"])) == 6  # a clean copy and a thumb each


def test_a_worker_that_lost_its_lease_keeps_nothing(app, session, incident):
    with app.app_context():
        photo = photos.store_photo(session, incident, received(), "report")
        session.commit()
    engine = app.extensions["db_engine"]
    with new_session(app) as slow:
        [late] = photo_processing.claim(slow)
        slow.commit()
    session.execute(text("UPDATE photos SET process_after = now() - interval '1 second' "
                         "WHERE id = :id"), {"id": photo.id})  # its lease ran out
    session.commit()
    with new_session(app) as other:
        [taken_over] = photo_processing.claim(other)
        other.commit()
    assert taken_over.attempts == late.attempts + 1
    with app.app_context():
        assert photo_processing.process_one(engine, late) == "lost"
        assert len(files_under(app.config["PHOTO_DIR"])) == 1  # the upload only
        assert photo_processing.process_one(engine, taken_over) == "processed"
    assert len(files_under(app.config["PHOTO_DIR"])) == 2


def test_the_sweep_keeps_waiting_uploads_and_removes_orphaned_ones(app, session, incident):
    with app.app_context():
        waiting = photos.store_photo(session, incident, received(), "report")
        session.commit()
    incoming = Path(app.config["PHOTO_DIR"]) / photos.INCOMING
    kept = incoming / Path(waiting.path).name
    orphan, young = incoming / "left-by-a-crash", incoming / "a-transaction-still-running"
    for path in (orphan, young):
        path.write_bytes(b"x")
    old = time.time() - 3 * 24 * 3600
    for path in (kept, orphan):
        os.utime(path, (old, old))
    swept = photo_sweep.sweep(session, Path(app.config["PHOTO_DIR"]))
    assert swept == [orphan] and not orphan.exists()
    assert kept.exists() and young.exists()


def test_the_idle_worker_wakes_when_a_photo_is_committed(app, session, incident):
    worker = Worker(app)
    worker.wait_for_work(0.01)  # starts listening

    def report_a_photo():
        time.sleep(0.2)
        with app.app_context(), new_session(app) as other:
            photos.store_photo(other, other.get(Incident, incident.id), received(), "report")
            other.commit()

    sender = threading.Thread(target=report_a_photo)
    sender.start()
    started = time.monotonic()
    worker.wait_for_work(30)
    waited = time.monotonic() - started
    sender.join()
    worker.stop_listening()
    assert waited < 10  # woken by the NOTIFY, not the 30 s timeout
    with app.app_context():
        assert worker.process_photos() == 1


def test_the_tracking_page_shows_a_placeholder_then_the_photo(demo_app, demo_client, live_server,
                                                             browser, phone, desktop):
    response = send(demo_client, photos=[("lamp.jpg", PHONE_PHOTO)], description="ไฟดับ", **PIN)
    code = tracking_code(response)
    shots = Path(os.environ.get("SCREENSHOT_DIR", Path(__file__).parent.parent / "var" / "screenshots"))
    shots.mkdir(parents=True, exist_ok=True)
    tablet = browser.new_context(viewport={"width": 820, "height": 1180}, locale="th-TH")
    pages = {"phone": phone, "tablet": tablet.new_page(), "desktop": desktop}
    for name, page in pages.items():
        page.goto(f"{live_server}/track/{code}")
        placeholder = page.locator(".photo-grid .photo-pending")
        placeholder.scroll_into_view_if_needed()
        assert placeholder.is_visible() and "กำลังประมวลผลรูปภาพ" in placeholder.inner_text()
        box = placeholder.bounding_box()
        assert box["width"] >= 100 and box["height"] >= 100  # a tile like a photo's
        page.screenshot(path=str(shots / f"track-photo-pending-{name}.png"), full_page=True)
    assert Worker(demo_app).process_photos() == 1
    for name, page in pages.items():
        page.reload()
        thumb = page.locator(".photo-grid img").first
        thumb.scroll_into_view_if_needed()
        page.wait_for_function("() => document.querySelector('.photo-grid img').naturalWidth > 0")
        assert page.locator(".photo-pending").count() == 0
        page.screenshot(path=str(shots / f"track-photo-processed-{name}.png"), full_page=True)
    tablet.close()


def test_a_disk_the_worker_cannot_write_delays_the_photo_without_stopping_the_worker(
        app, session, incident):
    with app.app_context():
        photo_id = photos.store_photo(session, incident, received(), "report").id
        session.commit()
    folder = Path(app.config["PHOTO_DIR"])
    month = [p for p in folder.iterdir() if p.name != photos.INCOMING]
    assert month == []  # no clean copy yet: make the place for one unwritable
    blocked = folder / time.strftime("%Y", time.gmtime())
    blocked.write_bytes(b"")  # a file where the year's folder must go
    try:
        with app.app_context():
            assert Worker(app).process_photos() == 1  # tried, kept for later: no exception
    finally:
        blocked.unlink()
    session.expire_all()
    waiting = session.get(Photo, photo_id)
    assert waiting.pending and waiting.process_attempts == 1
    assert session.scalar(text("SELECT process_after > now() FROM photos WHERE id = :id"),
                          {"id": photo_id})


def test_crews_and_their_evidence_checks_pass_over_a_pending_photo(app, client, session):
    with app.app_context():
        field = make_field(session)  # a case with one clean report photo, assigned to a crew
        pending = photos.store_photo(session, field.case, received(), "report")
    session.commit()
    assert login(client, field.crew.email, PASSWORD).status_code == 302
    [mine] = client.get("/crew/cases.json").get_json()["features"]
    assert pending.id not in mine["properties"]["photos"] and len(mine["properties"]["photos"]) == 1
    closed = post_closing(client, field.case.id)  # the checks hash the clean one only
    assert closed.status_code in (200, 201), closed.get_data(as_text=True)
    session.expire_all()
    assert session.get(Photo, pending.id).phash is None
    page = client.get(f"/track/{field.case.tracking_code}").get_data(as_text=True)
    assert "before-after" in page and "photo-pending" in page  # the before side's placeholder
    assert f"/photos/{pending.id}" not in page
