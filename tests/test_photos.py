"""Photos: real images only, the clean copy (upright, no metadata), all-or-nothing storage,
and who may see them."""
import hashlib
import io
import os
import time
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import select

from mapdash.cases import photos
from mapdash.errors import UserError
from mapdash.models import Incident, Photo
from tests import photo_samples as samples
from tests.factories import make_incident
from tests.support import login


def refused(data: bytes) -> UserError:
    with pytest.raises(UserError) as caught:
        photos.process_image(data)
    assert caught.value.message_th and caught.value.message_en
    return caught.value


def files_under(root) -> list[Path]:
    return sorted(p for p in Path(root).rglob("*") if p.is_file())


def assert_no_metadata(data: bytes):
    image = Image.open(io.BytesIO(data))
    assert image.format == "JPEG"
    assert len(image.getexif()) == 0
    assert not {"exif", "xmp", "comment", "icc_profile"} & set(image.info)
    for secret in (b"Exif", b"SecretPhone", b"PhoneMaker", b"GPSLatitude", b"xmpmeta", b"Somchai"):
        assert secret not in data


@pytest.mark.parametrize("make, source", [(samples.jpeg, "JPEG"), (samples.png, "PNG"),
                                          (samples.webp, "WEBP")])
def test_jpeg_png_and_webp_are_accepted_and_stored_without_any_metadata(make, source):
    original = make()
    assert b"SecretPhone" in original  # the phone's EXIF is really there
    processed = photos.process_image(original)
    assert processed.source_format == source
    assert processed.content_type == "image/jpeg"
    assert_no_metadata(processed.data)
    assert_no_metadata(processed.thumb)
    assert processed.sha256 == hashlib.sha256(processed.data).hexdigest()
    stored = Image.open(io.BytesIO(processed.data))
    assert (processed.width, processed.height) == stored.size == Image.open(io.BytesIO(original)).size


def test_the_gps_position_in_a_phone_photo_is_really_there_before_and_gone_after():
    original = samples.jpeg()
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(samples.GPS_IFD)[2] == (17.0, 21.0, 5.3)
    stored = photos.process_image(original).data
    assert Image.open(io.BytesIO(stored)).getexif().get_ifd(samples.GPS_IFD) == {}


def test_exif_orientation_is_applied_to_the_pixels():
    # Orientation 6: the phone held upright stores the picture turned; it must show turned back.
    processed = photos.process_image(samples.jpeg(size=(64, 48), orientation=6))
    assert (processed.width, processed.height) == (48, 64)
    image = Image.open(io.BytesIO(processed.data)).convert("RGB")
    red, _, blue = image.getpixel((24, 5))
    assert red > 200 and blue < 60          # the left (red) half is now on top
    red, _, blue = image.getpixel((24, 58))
    assert blue > 200 and red < 60


def test_transparency_is_flattened_on_white():
    processed = photos.process_image(samples.png(mode="RGBA"))
    assert Image.open(io.BytesIO(processed.data)).convert("RGB").getpixel((0, 0))[0] > 240


@pytest.mark.parametrize("mode", ["P", "LA", "L", "I;16", "1"])
def test_other_pixel_modes_become_rgb(mode):
    out = io.BytesIO()
    samples.picture((20, 10)).convert("L").convert(mode).save(out, "PNG")
    processed = photos.process_image(out.getvalue())
    assert Image.open(io.BytesIO(processed.data)).mode == "RGB"


def test_big_photos_are_scaled_to_2000_px_with_a_small_thumbnail():
    processed = photos.process_image(samples.jpeg(size=(4000, 3000)))
    assert (processed.width, processed.height) == (2000, 1500)
    assert Image.open(io.BytesIO(processed.thumb)).size == (480, 360)
    wide = photos.process_image(samples.png(size=(3000, 1000), mode="RGB"))
    assert (wide.width, wide.height) == (2000, 667)


@pytest.mark.parametrize("size, kind", [((1, 40000), "JPEG"), ((40000, 1), "JPEG"),
                                        ((1, 2001), "JPEG"), ((1, 40000), "PNG"),
                                        ((100, 2001), "WEBP")])
def test_photos_of_extreme_proportions_are_refused_before_any_resize(size, kind):
    error = refused(samples.sliver(size, kind))
    assert (error.code, error.status) == ("photo_proportions", 400)
    assert "20" in error.message_en and "20" in error.message_th


@pytest.mark.parametrize("size", [(4000, 500), (2000, 100), (100, 2000)])
def test_panoramas_up_to_20_to_1_are_photos(size):
    processed = photos.process_image(samples.sliver(size))
    long_side = min(max(size), photos.MAX_EDGE)
    assert max(processed.width, processed.height) == long_side
    thumb = Image.open(io.BytesIO(processed.thumb))
    assert max(thumb.size) == photos.THUMB_EDGE and min(thumb.size) >= photos.THUMB_EDGE // 20


def test_a_pdf_renamed_jpg_is_refused_by_its_content():
    error = refused(samples.PDF)
    assert error.code == "photo_type" and error.status == 415
    assert "JPEG" in error.message_th and "JPEG" in error.message_en


@pytest.mark.parametrize("data", [b"just some text, named photo.jpg", b"GIF89a" + b"\x00" * 40,
                                  b"\xff\xd8\xff\xe0 not really a jpeg"])
def test_other_files_are_not_images(data):
    assert refused(data).status in (400, 415)


def test_a_gif_is_a_real_image_but_not_an_accepted_type():
    out = io.BytesIO()
    samples.picture().save(out, "GIF")
    assert refused(out.getvalue()).code == "photo_type"


def test_a_truncated_jpeg_is_damaged():
    data = samples.jpeg(size=(400, 300))
    error = refused(data[: len(data) // 2])
    assert error.code == "photo_damaged" and error.status == 400


@pytest.mark.parametrize("side", [10_000, 30_000])  # 100 and 900 megapixels in a few kB
def test_decompression_bombs_are_refused_before_decoding(side):
    bomb = samples.png_bomb(side)
    assert len(bomb) < 1_200_000
    error = refused(bomb)
    assert error.code == "photo_too_many_pixels" and error.status == 413


def test_a_30_mb_photo_is_refused_without_reading_it_all():
    upload = io.BytesIO(samples.jpeg() + b"\x00" * (30 * 1024 * 1024))
    with pytest.raises(UserError) as caught:
        photos.read_upload(upload)
    assert caught.value.status == 413 and "10 MB" in caught.value.message_en
    assert upload.tell() == photos.MAX_PHOTO_BYTES + 1


def test_an_empty_file_is_refused():
    with pytest.raises(UserError) as caught:
        photos.read_upload(io.BytesIO(b""))
    assert caught.value.code == "photo_empty"


class Upload:
    """What werkzeug gives for one file part of a form."""
    def __init__(self, data: bytes, filename: str = "photo.jpg"):
        self.stream, self.filename = io.BytesIO(data), filename


def test_at_most_five_photos_and_the_empty_part_of_an_unused_input_is_ignored():
    assert photos.receive_uploads([Upload(b"", filename="")]) == []
    assert len(photos.receive_uploads([Upload(samples.jpeg()) for _ in range(5)])) == 5
    with pytest.raises(UserError) as caught:
        photos.receive_uploads([Upload(samples.jpeg()) for _ in range(20)])
    assert caught.value.code == "too_many_photos" and "5" in caught.value.message_th


# ---- storage ------------------------------------------------------------------------------

def test_stored_files_stay_after_commit_and_no_temporary_file_is_left(app, session, incident):
    with app.app_context():
        photo = photos.store_photo(session, incident, photos.process_image(samples.jpeg()), "report")
        session.commit()
        stored = photos.photo_path(photo).read_bytes()
        assert hashlib.sha256(stored).hexdigest() == photo.sha256
        assert photo.size_bytes == len(stored) and stored[:2] == b"\xff\xd8"
        assert photos.photo_path(photo, thumb=True).exists()
    names = [p.name for p in files_under(app.config["PHOTO_DIR"])]
    assert len(names) == 2 and not any(name.startswith(".tmp") for name in names)


def test_files_of_a_rolled_back_transaction_are_deleted(app, session, incident):
    with app.app_context():
        photos.store_photo(session, incident, photos.process_image(samples.jpeg()), "report")
        photos.store_photo(session, incident, photos.process_image(samples.png()), "report")
        assert len(files_under(app.config["PHOTO_DIR"])) == 4  # in place once flushed
        session.rollback()
    assert files_under(app.config["PHOTO_DIR"]) == []
    assert session.scalars(select(Photo)).all() == []


def test_a_row_that_cannot_be_stored_leaves_no_file(app, session, incident):
    with app.app_context(), pytest.raises(Exception, match="photos_kind_check"):
        photos.store_photo(session, incident, photos.process_image(samples.jpeg()), "selfie")
    assert files_under(app.config["PHOTO_DIR"]) == []


def run(app, *args):
    return app.test_cli_runner().invoke(args=list(args))


def test_the_sweep_removes_only_old_files_no_photo_points_at(app, session, incident):
    with app.app_context():
        kept = photos.store_photo(session, incident, photos.process_image(samples.jpeg()), "report")
        session.commit()
        folder = photos.photo_path(kept).parent
    old = time.time() - 3 * 24 * 3600
    crashed = [folder / "left-by-a-crash.jpg", folder / ".tmp-0123456789abcdef"]
    for path in crashed:
        path.write_bytes(b"x")
    for path in [*crashed, *folder.iterdir()]:
        os.utime(path, (old, old))
    in_flight = folder / "a-transaction-still-running.jpg"
    in_flight.write_bytes(b"x")

    listed = run(app, "photos", "sweep", "--dry-run")
    assert listed.exit_code == 0 and "2 stray" in listed.output
    assert all(path.exists() for path in crashed)
    swept = run(app, "photos", "sweep")
    assert swept.exit_code == 0 and "removed 2" in swept.output
    assert not any(path.exists() for path in crashed)
    with app.app_context():
        assert photos.photo_path(kept).exists() and photos.photo_path(kept, thumb=True).exists()
    assert in_flight.exists()


# ---- who sees them ------------------------------------------------------------------------

def _photo_of(demo_app, demo_session, category: str, status: str | None = None) -> Photo:
    with demo_app.app_context():
        case = make_incident(demo_session, category=category, lon=104.62, lat=17.35)
        if status:
            case.status = status
        photo = photos.store_photo(demo_session, case, photos.process_image(samples.jpeg()), "report")
        demo_session.commit()
    return photo


def test_anyone_sees_the_clean_copy_of_a_public_case_photo(demo_app, demo_client, demo_session):
    photo = _photo_of(demo_app, demo_session, "streetlight")
    for path in (f"/photos/{photo.id}", f"/photos/{photo.id}/thumb"):
        response = demo_client.get(path)
        assert response.status_code == 200 and response.mimetype == "image/jpeg"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert_no_metadata(response.data)


def test_photos_of_sensitive_cases_are_for_staff_only(demo_app, demo_client, demo_session):
    photo = _photo_of(demo_app, demo_session, "drug_tip")
    assert demo_client.get(f"/photos/{photo.id}").status_code == 404
    assert demo_client.get(f"/photos/{photo.id}/thumb").status_code == 404
    login(demo_client, "dispatcher@demo.mapdash.test", "demo-password")
    response = demo_client.get(f"/photos/{photo.id}")
    assert response.status_code == 200
    assert "no-store" in response.headers["Cache-Control"]


def test_an_officer_of_another_department_cannot_see_a_sensitive_photo(demo_app, demo_client,
                                                                      demo_session):
    photo = _photo_of(demo_app, demo_session, "drug_tip")  # สำนักปลัด, not กองช่าง
    login(demo_client, "officer@demo.mapdash.test", "demo-password")
    assert demo_client.get(f"/photos/{photo.id}").status_code == 404


def test_photos_of_a_rejected_case_are_taken_down(demo_app, demo_client, demo_session):
    photo = _photo_of(demo_app, demo_session, "road", status="rejected")
    assert demo_client.get(f"/photos/{photo.id}").status_code == 404
    assert demo_client.get("/photos/999999").status_code == 404
    assert demo_session.get(Incident, photo.incident_id).status == "rejected"
