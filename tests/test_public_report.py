"""The report form over HTTP: a good report, and every bad input of the issue answered with a
4xx in Thai and English while nothing stored changes."""
import io
import re
from pathlib import Path

import pytest
from sqlalchemy import func, select

from mapdash import db
from mapdash.cases import ratelimit
from mapdash.models import Follower, Incident, Photo
from tests import photo_samples as samples
from tests.factories import make_incident

PIN = {"lat": "17.35", "lon": "104.62"}  # in หมู่ 1 of the demo tambon


def open_form(client, category="streetlight", query=""):
    page = client.get(f"/report/{category}{query}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    return {"csrf_token": re.search(r'name="csrf_token" value="([^"]+)"', html).group(1),
            "idempotency_key": re.search(r'name="idempotency_key" value="([^"]+)"', html).group(1)}


def send(client, category="streetlight", photos=(), form=None, **fields):
    data = {**(form or open_form(client, category)), **fields}
    data["photos"] = [(io.BytesIO(content), name) for name, content in photos]
    return client.post(f"/report/{category}", data=data, content_type="multipart/form-data")


def stored(session, photo_dir) -> tuple:
    session.expire_all()
    return (*(session.scalar(select(func.count()).select_from(m)) for m in (Incident, Photo, Follower)),
            sorted(str(p) for p in Path(photo_dir).rglob("*") if p.is_file()))


@pytest.fixture
def before(demo_app, demo_session):
    return stored(demo_session, demo_app.config["PHOTO_DIR"])


def assert_refused(response, status, demo_app, demo_session, before, *words):
    assert response.status_code == status
    body = response.get_data(as_text=True)
    assert re.search(r"[\u0E00-\u0E7F]", body)  # Thai
    for word in words:
        assert word in body
    assert stored(demo_session, demo_app.config["PHOTO_DIR"]) == before


def test_a_report_with_a_photo_gets_a_tracking_code(demo_client, demo_session, demo_app):
    response = send(demo_client, photos=[("lamp.jpg", samples.jpeg())], description="ไฟดับหน้าวัด",
                    reporter_name="สมชาย", **PIN)
    assert response.status_code == 303
    code = re.search(r"/track/([A-Z0-9-]+)\?new=1", response.headers["Location"]).group(1)
    incident = demo_session.scalars(select(Incident).where(Incident.tracking_code == code)).one()
    assert incident.channel == "web" and incident.village.number == 1
    assert incident.reporter_name == "สมชาย" and len(incident.photos) == 1
    page = demo_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "ส่งเรื่องเรียบร้อยแล้ว" in page and code in page


def test_a_double_tapped_submit_makes_one_case(demo_client, demo_session, demo_app, before):
    form = open_form(demo_client)
    first = send(demo_client, form=form, photos=[("a.jpg", samples.jpeg())], **PIN)
    second = send(demo_client, form=form, photos=[("a.jpg", samples.jpeg())], **PIN)
    assert first.status_code == second.status_code == 303
    assert first.headers["Location"] == second.headers["Location"]
    incidents, photos, followers, files = stored(demo_session, demo_app.config["PHOTO_DIR"])
    # one upload, kept as sent for the worker (incoming/): the second send stored nothing
    assert (incidents, photos) == (before[0] + 1, before[1] + 1) and len(files) == 1


def test_an_email_left_on_the_form_is_kept_and_a_bad_one_refused(demo_client, demo_session,
                                                                  demo_app, before):
    response = send(demo_client, reporter_email="not-an-address", **PIN)
    assert_refused(response, 400, demo_app, demo_session, before, "อีเมล", "e-mail")
    response = send(demo_client, reporter_email="somchai@example.org", **PIN)
    code = re.search(r"/track/([A-Z0-9-]+)", response.headers["Location"]).group(1)
    incident = demo_session.scalars(select(Incident).where(Incident.tracking_code == code)).one()
    assert incident.reporter_email == "somchai@example.org"
    assert "somchai@example.org" not in demo_client.get(f"/track/{code}").get_data(as_text=True)


def test_types_without_a_place_ask_for_none(demo_client):
    page = demo_client.get("/report/info_request").get_data(as_text=True)
    assert 'name="lat"' not in page and 'id="place-map"' not in page
    assert send(demo_client, "info_request", description="ขอสำเนาข้อบัญญัติงบประมาณ",
                reporter_name="สมหญิง", delivery="office").status_code == 303


def test_emergency_types_show_the_numbers_first(demo_client):
    page = demo_client.get("/report/fire").get_data(as_text=True)
    assert page.index('href="tel:199"') < page.index('id="report-form"')
    assert "ไม่ใช่การแทนการโทรแจ้งเหตุฉุกเฉิน" in page
    assert 'href="tel:1669"' not in demo_client.get("/report/road").get_data(as_text=True)


# ---- bad input -----------------------------------------------------------------------------

def test_an_unknown_or_missing_type_is_a_404_in_both_languages(demo_client, demo_app, demo_session,
                                                               before):
    assert_refused(demo_client.get("/report/no-such-type"), 404, demo_app, demo_session, before,
                   "No such type of report")
    assert_refused(demo_client.post("/report/", data={**PIN}), 404, demo_app, demo_session, before,
                   "ไม่พบหน้าที่ต้องการ", "Page not found")


def test_a_missing_place_is_refused(demo_client, demo_app, demo_session, before):
    assert_refused(send(demo_client, photos=[("a.jpg", samples.jpeg())]), 400, demo_app,
                   demo_session, before, "กรุณาระบุตำแหน่งบนแผนที่", "Please mark the place on the map",
                   "กรุณาเลือกรูปภาพอีกครั้ง")


@pytest.mark.parametrize("lat, lon", [("abc", "104.62"), ("17.35", "104,62"), ("NaN", "104.62"),
                                      ("17.35", "Infinity"), ("-inf", "104.62"), ("1e999", "104.62"),
                                      ("91", "104.62"), ("17.35", "-181"), ("17.35", "")])
def test_coordinates_that_are_not_numbers_or_out_of_range_are_refused(demo_client, demo_app,
                                                                      demo_session, before, lat, lon):
    assert_refused(send(demo_client, lat=lat, lon=lon), 400, demo_app, demo_session, before,
                   "coordinate")


def test_a_pin_outside_every_area_is_refused(demo_client, demo_app, demo_session, before):
    response = send(demo_client, lat="13.7563", lon="100.5018")  # Bangkok
    assert_refused(response, 422, demo_app, demo_session, before,
                   "นอกพื้นที่", "outside every area")
    assert 'value="13.7563"' in response.get_data(as_text=True)  # what was typed is kept


def test_a_pdf_renamed_jpg_is_refused(demo_client, demo_app, demo_session, before):
    assert_refused(send(demo_client, photos=[("photo.jpg", samples.PDF)], **PIN), 415, demo_app,
                   demo_session, before, "not a JPEG, PNG or WebP")


def test_a_30_mb_photo_is_refused(demo_client, demo_app, demo_session, before):
    big = samples.jpeg() + b"\x00" * (30 * 1024 * 1024)
    assert_refused(send(demo_client, photos=[("big.jpg", big)], **PIN), 413, demo_app,
                   demo_session, before, "10 MB")


def test_a_photo_one_pixel_wide_is_refused(demo_client, demo_app, demo_session, before):
    # Anonymous, a valid 1x40000 JPEG: the thumbnail divided by zero (issue 16).
    assert_refused(send(demo_client, photos=[("sliver.jpg", samples.sliver())], **PIN), 400,
                   demo_app, demo_session, before, "20 times")


def test_twenty_photos_are_refused(demo_client, demo_app, demo_session, before):
    twenty = [(f"p{n}.jpg", samples.jpeg()) for n in range(20)]
    assert_refused(send(demo_client, photos=twenty, **PIN), 400, demo_app, demo_session, before,
                   "At most 5 photos")


def test_a_good_photo_next_to_a_bad_one_is_not_stored_either(demo_client, demo_app, demo_session,
                                                           before):
    photos = [("good.jpg", samples.jpeg()), ("bad.jpg", samples.PDF)]
    assert_refused(send(demo_client, photos=photos, **PIN), 415, demo_app, demo_session, before)


@pytest.mark.parametrize("field", ["description", "reporter_name", "reporter_phone", "reporter_line_id"])
def test_100000_characters_are_refused(demo_client, demo_app, demo_session, before, field):
    assert_refused(send(demo_client, **PIN, **{field: "ก" * 100_000}), 400, demo_app, demo_session,
                   before, "characters")


def test_a_nul_byte_in_a_field_is_refused_not_a_500(demo_client, demo_app, demo_session, before):
    response = send(demo_client, description="ไฟดับ\x00หน้าวัด", **PIN)
    assert_refused(response, 400, demo_app, demo_session, before, "NUL")
    for path in ("/cases?type=street%00light", "/track/AB%00C-DEFG",
                 "/api/public/cases.geojson?status=%00", "/report/streetlight?lat=1%00",
                 "/api/nearby?type=street%00light&lon=104.62&lat=17.35"):
        response = demo_client.get(path)
        assert response.status_code == 400, path
        assert "NUL" in response.get_data(as_text=True)


def test_script_in_every_field_is_shown_escaped(demo_client, demo_app, demo_session, before):
    script = '<script>alert("x")</script>'
    fields = {name: script for name in ("description", "reporter_name", "reporter_phone",
                                        "reporter_line_id", "lat", "lon")}
    response = send(demo_client, **fields)
    assert_refused(response, 400, demo_app, demo_session, before)
    body = response.get_data(as_text=True)
    assert script not in body and "&lt;script&gt;" in body


def test_script_in_stored_text_never_runs_on_public_pages(demo_client, demo_session):
    script = '<script>alert("x")</script>'
    response = send(demo_client, description=script, reporter_name=script, **PIN)
    code = response.headers["Location"].split("/track/")[1].split("?")[0]
    for path in (f"/track/{code}", "/cases", "/"):
        body = demo_client.get(path).get_data(as_text=True)
        assert script not in body


def test_a_form_without_its_csrf_token_is_refused(demo_client, demo_app, demo_session, before):
    response = demo_client.post("/report/streetlight", data={**PIN})
    assert_refused(response, 400, demo_app, demo_session, before, "reload the page")


def test_bursts_from_one_address_are_limited_with_a_clear_message(demo_app, demo_client,
                                                                  demo_session):
    demo_app.config["RATELIMIT_REPORTS"] = 3
    for _ in range(3):
        assert send(demo_client, **PIN).status_code == 303
    before = stored(demo_session, demo_app.config["PHOTO_DIR"])
    response = send(demo_client, **PIN)
    assert_refused(response, 429, demo_app, demo_session, before, "Too many reports", "1669")
    assert 0 < int(response.headers["Retry-After"]) <= 600
    other = demo_app.test_client()  # another address is not limited
    assert other.post("/report/streetlight", data={**open_form(other), **PIN},
                      environ_base={"REMOTE_ADDR": "10.1.2.3"}).status_code == 303


def test_plus_one_counts_toward_the_limit_too(demo_app, demo_client, demo_session):
    demo_app.config["RATELIMIT_REPORTS"] = 1
    case = make_incident(demo_session, lon=104.62, lat=17.35)
    demo_session.commit()
    form = open_form(demo_client)
    assert demo_client.post(f"/track/{case.tracking_code}/follow", data=form).status_code == 303
    response = demo_client.post(f"/track/{case.tracking_code}/follow",
                                data={**form, "idempotency_key": "another-key-1234567"})
    assert response.status_code == 429


def test_a_citizen_correcting_mistakes_is_not_locked_out(demo_app, demo_client,
                                                         demo_session):
    """Refused attempts count against their own, higher limit, not against the reports."""
    demo_app.config.update(RATELIMIT_REPORTS=2, RATELIMIT_REFUSED=6)
    case = make_incident(demo_session, lon=104.62, lat=17.35)
    demo_session.commit()
    for mistake in ({"lat": "13.75", "lon": "100.5"}, {"lat": "north", "lon": "104.62"},
                    {**PIN, "reporter_email": "not an address"}):
        assert send(demo_client, **mistake).status_code in (400, 422)
    assert demo_client.post("/track/NOPE-NOPE/follow",
                            data=open_form(demo_client)).status_code == 404
    assert send(demo_client, **PIN).status_code == 303
    form = open_form(demo_client)
    assert demo_client.post(f"/track/{case.tracking_code}/follow", data=form).status_code == 303
    before = stored(demo_session, demo_app.config["PHOTO_DIR"])
    response = send(demo_client, **PIN)  # the third accepted one is over the limit
    assert_refused(response, 429, demo_app, demo_session, before, "Too many reports")


def test_refused_attempts_have_a_limit_too(demo_app, demo_client, demo_session):
    demo_app.config.update(RATELIMIT_REPORTS=10, RATELIMIT_REFUSED=3)
    for _ in range(3):
        assert send(demo_client, lat="13.75", lon="100.5").status_code == 422
    before = stored(demo_session, demo_app.config["PHOTO_DIR"])
    response = send(demo_client, **PIN)  # even a good one, until the window ends
    assert_refused(response, 429, demo_app, demo_session, before, "Too many reports")
    assert 0 < int(response.headers["Retry-After"]) <= 600
    assert demo_client.post("/track/NOPE-NOPE/follow",
                            data=open_form(demo_client)).status_code == 429


def test_a_report_that_is_rolled_back_does_not_count(demo_app):
    """The accepted count is written in the request's transaction: gone with its rollback."""
    demo_app.config["RATELIMIT_REPORTS"] = 2
    with demo_app.test_request_context(environ_base={"REMOTE_ADDR": "10.9.9.9"}):
        for outcome in ("rollback", "rollback", "rollback", "commit", "commit"):
            with db.new_session(demo_app) as session:
                ratelimit.check_reports()
                ratelimit.count_accepted(session)
                getattr(session, outcome)()
        with pytest.raises(ratelimit.RateLimited):
            ratelimit.check_reports()
        with db.new_session(demo_app) as session, pytest.raises(ratelimit.RateLimited):
            ratelimit.count_accepted(session)  # two reports at once: the later one is over


def test_the_limit_can_be_switched_off(demo_app, demo_client):
    demo_app.config.update(RATELIMIT_REPORTS=1, RATELIMIT_ENABLED=False)
    assert all(send(demo_client, **PIN).status_code == 303 for _ in range(3))


def test_same_problem_from_the_form_follows_the_case(demo_client, demo_session):
    case = make_incident(demo_session, lon=104.62, lat=17.35)
    demo_session.commit()
    form = open_form(demo_client)
    response = demo_client.post(f"/track/{case.tracking_code}/follow",
                                data={**form, "reporter_phone": "0800000002"})
    assert response.status_code == 303 and "followed=1" in response.headers["Location"]
    assert "คุณติดตามเรื่องนี้ (+1)" in demo_client.get(response.headers["Location"]).get_data(as_text=True)
    demo_session.expire_all()
    assert demo_session.get(Incident, case.id).followers_count == 1
