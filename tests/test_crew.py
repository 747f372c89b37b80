"""The crew's pages and endpoints over HTTP: roles, my cases, start, close, bad input."""
import io
import json
import re
import uuid
from pathlib import Path

import pytest
from flask import render_template
from sqlalchemy import func, select

from mapdash.cases import workflow
from mapdash.field import evidence
from mapdash.models import Closing, Incident, IncidentEvent, Photo, User
from tests.crew_support import (
    CASE_LAT,
    CASE_LON,
    PASSWORD,
    assigned_case,
    jpeg,
    make_field,
    scene,
)
from tests.factories import make_incident
from tests.photo_samples import sliver
from tests.support import login


@pytest.fixture
def field(app, session):
    with app.app_context():
        made = make_field(session)
    session.commit()
    return made


@pytest.fixture
def crew_client(client, field):
    assert login(client, field.crew.email, PASSWORD).status_code == 302
    return client


def token(client) -> str:
    return client.get("/crew/token.json").get_json()["csrf_token"]


def post_closing(client, case_id, photos=None, key=None, **fields):
    form = {"idempotency_key": key or str(uuid.uuid4()), "result": "fixed",
            "note": "เปลี่ยนหลอดไฟแล้ว", "lat": str(CASE_LAT), "lon": str(CASE_LON),
            "accuracy": "12", **fields}
    if photos is None:
        photos = [jpeg(scene(500))]
    form["photos"] = [(io.BytesIO(data), f"photo-{i}.jpg") for i, data in enumerate(photos)]
    return client.post(f"/crew/cases/{case_id}/close", data=form, content_type="multipart/form-data",
                       headers={"X-CSRFToken": token(client), "Accept": "application/json"})


def stored_files(app) -> set[Path]:
    root = Path(app.config["PHOTO_DIR"])
    return {path for path in root.rglob("*") if path.is_file()}


def counts(session, case_id) -> tuple:
    session.expire_all()
    return (session.scalar(select(func.count()).select_from(Closing)),
            session.scalar(select(func.count()).select_from(IncidentEvent)
                           .where(IncidentEvent.incident_id == case_id)),
            session.scalar(select(func.count()).select_from(Photo).where(Photo.kind == "evidence")),
            session.get(Incident, case_id).status)


# ---- the page -------------------------------------------------------------------------------

def test_crew_page_is_for_crews_only(client, field):
    assert "/login" in client.get("/crew/").headers["Location"]
    login(client, field.dispatcher.email, PASSWORD)
    assert client.get("/crew/").status_code == 403
    assert client.get("/crew/cases.json").status_code == 403
    assert client.post(f"/crew/cases/{field.case.id}/close").status_code in (400, 403)


def test_crew_page_has_the_map_the_camera_and_the_offline_parts(crew_client):
    page = crew_client.get("/crew/").get_data(as_text=True)
    assert '<html lang="th">' in page
    assert re.search(r'src="/vendor/leaflet/leaflet\.js\?v=[0-9a-f]{16}"', page)
    assert 'accept="image/*" capture="environment" multiple' in page
    assert 'rel="manifest" href="/crew/manifest.webmanifest"' in page
    assert "ปิดงาน" in page and "แก้ไขไม่ได้" in page
    sources = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert [s for s in sources if s.startswith(("http:", "https:", "//"))] == []
    config = json.loads(re.search(r'<script type="application/json" id="crew-page">(.*?)</script>',
                                  page, re.S).group(1))
    assert config["urls"]["worker"] == "/crew/sw.js" and config["urls"]["scope"] == "/crew/"
    messages = json.loads(re.search(
        r'<script type="application/json" id="mapdash-messages">(.*?)</script>', page, re.S).group(1))
    assert messages["Waiting to send"] == "รอส่ง"


def test_service_worker_keeps_every_file_the_crew_page_asks_for(crew_client):
    response = crew_client.get("/crew/sw.js")
    assert response.status_code == 200
    assert response.mimetype == "text/javascript"
    assert response.headers["Service-Worker-Allowed"] == "/crew/"
    assert "no-cache" in response.headers["Cache-Control"]
    assert crew_client.get("/crew/sw.js", headers={
        "If-None-Match": response.headers["ETag"]}).status_code == 304
    addresses = json.loads(re.search(r"^const ADDRESSES = (.*);$", response.get_data(as_text=True),
                                      re.M).group(1))
    # The very addresses the page asks for, fingerprints included: found offline.
    page = crew_client.get("/crew/").get_data(as_text=True)
    files = {address for address in re.findall(r'(?:src|href)="([^"]+)"', page)
             if address.startswith(("/static/", "/vendor/", "/crew/")) and "lang=" not in address}
    assert files and files <= set(addresses["shell"]) | {"/crew/sw.js"}
    assert {"/crew/", "/crew/cases.json", "/crew/manifest.webmanifest"} <= set(addresses["shell"])
    assert addresses["outbox"] in addresses["shell"]
    for address in addresses["shell"]:
        assert crew_client.get(address).status_code == 200, address


def test_manifest_and_its_icons_exist(client):
    response = client.get("/crew/manifest.webmanifest")
    assert response.status_code == 200 and response.mimetype == "application/manifest+json"
    manifest = json.loads(response.data)
    assert manifest["start_url"] == "/crew/" and manifest["display"] == "standalone"
    for icon in manifest["icons"]:
        assert client.get(icon["src"]).status_code == 200
        assert icon["sizes"] in ("192x192", "512x512")


# ---- my cases -------------------------------------------------------------------------------

def test_my_cases_and_the_open_cases_near_me(crew_client, field, session):
    near = make_incident(session, lon=CASE_LON + 0.002, lat=CASE_LAT)  # ~220 m east
    far_away = make_incident(session, lon=100.019, lat=10.009)  # ~1.6 km, still in range
    other_department = make_incident(session, category="fire", lon=CASE_LON, lat=CASE_LAT + 0.001)
    secret = make_incident(session, category="drug_tip", lon=CASE_LON, lat=CASE_LAT + 0.001)
    session.commit()

    mine_only = crew_client.get("/crew/cases.json").get_json()
    assert [f["id"] for f in mine_only["features"]] == [field.case.id]
    mine = mine_only["features"][0]["properties"]
    assert mine["mine"] and mine["can_start"] and mine["can_close"]
    assert len(mine["photos"]) == 1

    here = crew_client.get(f"/crew/cases.json?lat={CASE_LAT}&lon={CASE_LON + 0.0021}").get_json()
    ids = [f["id"] for f in here["features"]]
    assert ids == [near.id, field.case.id, far_away.id]  # nearest first
    assert other_department.id not in ids and secret.id not in ids
    nearby = here["features"][0]["properties"]
    assert not nearby["mine"] and not nearby["can_close"] and not nearby["can_start"]
    assert nearby["distance_m"] < 30


def test_a_bad_position_is_refused(crew_client):
    response = crew_client.get("/crew/cases.json?lat=abc&lon=100", headers={"Accept": "application/json"})
    assert response.status_code == 400
    assert "พิกัด" in response.get_json()["message_th"]


def test_start_work_once(crew_client, field, session):
    url = f"/crew/cases/{field.case.id}/start"
    headers = {"X-CSRFToken": token(crew_client), "Accept": "application/json"}
    assert crew_client.post(url, headers=headers).get_json()["status"] == "in_progress"
    # Sent again from the outbox after it went through: nothing more happens.
    assert crew_client.post(url, headers=headers).status_code == 200
    starts = session.scalar(select(func.count()).select_from(IncidentEvent).where(
        IncidentEvent.incident_id == field.case.id, IncidentEvent.action == "start"))
    assert starts == 1


# ---- closing --------------------------------------------------------------------------------

def test_close_with_a_photo(crew_client, field, session):
    response = post_closing(crew_client, field.case.id)
    assert response.status_code == 201
    answer = response.get_json()
    assert answer["status"] == "resolved" and answer["needs_review"] is False
    assert answer["replayed"] is False and answer["case"] == field.case.tracking_code
    closing = session.get(Closing, answer["closing"])
    assert closing.crew_id == field.crew.id and closing.position_accuracy_m == 12
    assert [p.kind for p in closing.photos] == ["evidence"]


def test_a_replayed_closing_returns_the_first(crew_client, field, session, app):
    key = str(uuid.uuid4())
    first = post_closing(crew_client, field.case.id, key=key).get_json()
    files = stored_files(app)
    again = post_closing(crew_client, field.case.id, key=key, photos=[jpeg(scene(501))])
    assert again.status_code == 200
    assert again.get_json() == {**first, "replayed": True}
    assert counts(session, field.case.id)[:3] == (1, 4, 1)  # report, accept, assign, resolve
    assert stored_files(app) == files


@pytest.mark.parametrize("first, again", [
    ({}, {"note": "ซ่อมสายไฟอีกจุด"}),
    ({}, {"result": "cannot_fix", "reason": "no_access"}),
    ({"result": "cannot_fix", "reason": "needs_parts"}, {"result": "cannot_fix", "reason": "no_access"}),
    ({}, {"photos": [jpeg(scene(520)), jpeg(scene(521))]}),
])
def test_the_same_key_with_other_content_is_a_conflict_that_keeps_the_first(
        crew_client, field, session, app, first, again):
    key = str(uuid.uuid4())
    made = post_closing(crew_client, field.case.id, key=key, **first)
    assert made.status_code == 201
    before, files = counts(session, field.case.id), stored_files(app)
    response = post_closing(crew_client, field.case.id, key=key, **again)
    assert response.status_code == 409
    answer = response.get_json()
    assert (answer["error"], answer["field"]) == ("closing_conflict", "idempotency_key")
    assert "ปิดงาน" in answer["message_th"] and "closing" in answer["message_en"]
    assert answer["first_closing"] == {
        "closing": made.get_json()["closing"], "case": field.case.tracking_code,
        "result": first.get("result", "fixed"), "reason": first.get("reason"),
        "note": "เปลี่ยนหลอดไฟแล้ว", "photos": 1}
    assert counts(session, field.case.id) == before and stored_files(app) == files


def test_an_idempotency_key_cannot_close_another_case(crew_client, field, session, app):
    key = str(uuid.uuid4())
    post_closing(crew_client, field.case.id, key=key)
    other = assigned_case(session, field.dispatcher, field.crew)
    session.commit()
    response = post_closing(crew_client, other.id, key=key)
    assert response.status_code == 409
    assert response.get_json()["error"] == "key_reused"
    assert session.get(Incident, other.id).status == "assigned"


@pytest.mark.parametrize("photos, status, code", [
    ([b"%PDF-1.4 this is not a photo" * 50], 415, "photo_type"),
    ([b"\xff\xd8\xff\xe0" + bytes(30 * 1024 * 1024)], 413, "photo_too_large"),
    ([], 400, "photo_required"),
    ([jpeg(scene(510)), b"GIF89a not really"], 415, "photo_type"),
    ([jpeg(scene(511)), sliver()], 400, "photo_proportions"),  # a valid 1x40000 JPEG
])
def test_bad_photos_are_refused_and_nothing_is_kept(crew_client, field, session, app, photos,
                                                      status, code):
    before, files = counts(session, field.case.id), stored_files(app)
    response = post_closing(crew_client, field.case.id, photos=photos)
    assert response.status_code == status
    answer = response.get_json()
    assert answer["error"] == code and answer["message_th"] and answer["message_en"]
    assert counts(session, field.case.id) == before
    assert stored_files(app) == files


@pytest.mark.parametrize("stamp, offset", [("2026:03:04 09:30:00", "+99:00"),
                                           ("0001:01:01 00:00:00", "+14:00")])
def test_a_photo_with_an_impossible_capture_time_still_closes(crew_client, field, stamp, offset):
    photo = scene(512)
    out = io.BytesIO()
    exif = photo.getexif()
    exif.get_ifd(0x8769).update({36867: stamp, 36881: offset})
    photo.save(out, "JPEG", exif=exif)
    response = post_closing(crew_client, field.case.id, photos=[out.getvalue()])
    assert response.status_code == 201, response.get_data(as_text=True)[:300]
    # The dispatcher reads the evidence, capture time included.
    crew_client.post("/logout", headers={"X-CSRFToken": token(crew_client)})
    login(crew_client, field.dispatcher.email, PASSWORD)
    assert crew_client.get(f"/dispatch/cases/{field.case.id}").status_code == 200


@pytest.mark.parametrize("fields, code", [
    ({"result": "maybe"}, "bad_result"),
    ({"result": "cannot_fix"}, "reason_required"),
    ({"note": "   "}, "note_required"),
    ({"idempotency_key": "x"}, "bad_key"),
    ({"lat": "95"}, "bad_position"),
    ({"accuracy": "1e300"}, "bad_position"),  # past PostgreSQL's real
])
def test_bad_form_fields_are_refused(crew_client, field, session, app, fields, code):
    before = counts(session, field.case.id)
    response = post_closing(crew_client, field.case.id, **fields)
    assert response.status_code == 400 and response.get_json()["error"] == code
    assert counts(session, field.case.id) == before


def test_closing_a_case_not_assigned_to_me_is_refused(client, field, session, app):
    login(client, field.other_crew.email, PASSWORD)
    before, files = counts(session, field.case.id), stored_files(app)
    response = post_closing(client, field.case.id)
    assert response.status_code == 404
    assert "ไม่มีสิทธิ์" in response.get_json()["message_th"]
    assert counts(session, field.case.id) == before and stored_files(app) == files


def test_closing_an_already_closed_case_is_refused(crew_client, field, session, app):
    assert post_closing(crew_client, field.case.id).status_code == 201
    before, files = counts(session, field.case.id), stored_files(app)
    response = post_closing(crew_client, field.case.id)  # a new key: a second closing
    assert response.status_code == 409 and response.get_json()["error"] == "bad_transition"
    assert counts(session, field.case.id) == before and stored_files(app) == files


def test_closing_without_the_csrf_token_is_refused(crew_client, field, session):
    response = crew_client.post(f"/crew/cases/{field.case.id}/close",
                                data={"idempotency_key": str(uuid.uuid4()), "result": "fixed"},
                                headers={"Accept": "application/json"})
    assert response.status_code == 400 and response.get_json()["error"] == "csrf"
    assert session.get(Incident, field.case.id).status == "assigned"


# ---- what others show of a closing ----------------------------------------------------------

def test_before_after_partial_for_the_citizens_status_page(crew_client, field, session, app):
    post_closing(crew_client, field.case.id, result="cannot_fix", reason="needs_parts",
                 note="หม้อแปลงเสีย")
    with app.test_request_context("/"):
        app.preprocess_request()
        session.expire_all()
        case = session.get(Incident, field.case.id)
        html = render_template("crew/_before_after.html",
                               before_after=evidence.before_after(session, case))
    assert "แก้ไขไม่ได้" in html and "ต้องรออะไหล่หรืองบประมาณ" in html
    before, after = [p.id for p in case.photos if p.kind == "report"], \
        [p.id for p in case.photos if p.kind == "evidence"]
    assert f'src="/photos/{before[0]}/thumb"' in html and f'src="/photos/{after[0]}/thumb"' in html
    assert html.index("ก่อน") < html.index("หลัง")
    assert crew_client.get(f"/photos/{after[0]}/thumb").status_code == 200


def test_evidence_review_partial_for_dispatchers(crew_client, field, session, app):
    post_closing(crew_client, field.case.id, photos=[field.citizen_photo], lat=str(CASE_LAT + 0.01))
    with app.test_request_context("/"):
        app.preprocess_request()
        session.expire_all()
        case = session.get(Incident, field.case.id)
        html = render_template("crew/_evidence_review.html", review=evidence.review(session, case))
    assert "หลักฐานต้องตรวจสอบ" in html
    assert html.count('class="check-failed"') == 2  # a copy of the citizen's photo, 1.1 km away
    assert "ซ้ำกับรูปของผู้แจ้ง" in html and "ห่าง 1106 ม." in html
    assert "เปลี่ยนหลอดไฟแล้ว" in html


def test_a_case_sent_back_shows_the_dispatchers_note(crew_client, field, session):
    post_closing(crew_client, field.case.id, photos=[field.citizen_photo])
    workflow.perform(session, field.case.id, "send_back", session.get(User, field.dispatcher.id),
                     note="รูปซ้ำกับรูปของผู้แจ้ง กรุณาถ่ายใหม่")
    session.commit()
    mine = crew_client.get("/crew/cases.json").get_json()["features"][0]["properties"]
    assert mine["status"] == "in_progress" and mine["can_close"]
    assert mine["evidence_review"] == "sent_back"
    assert mine["sent_back_note"] == "รูปซ้ำกับรูปของผู้แจ้ง กรุณาถ่ายใหม่"


def test_citizens_status_page_shows_before_and_after_once_accepted(crew_client, field, session):
    # A flagged closing (the citizen's own photo): its evidence stays private until reviewed.
    post_closing(crew_client, field.case.id, photos=[field.citizen_photo])
    session.expire_all()
    case = session.get(Incident, field.case.id)
    evidence_id = next(p.id for p in case.photos if p.kind == "evidence")
    public = crew_client.application.test_client()  # a stranger, not signed in
    page = public.get(f"/track/{case.tracking_code}").get_data(as_text=True)
    assert f"/photos/{evidence_id}/" not in page
    assert public.get(f"/photos/{evidence_id}/thumb").status_code == 404

    with crew_client.application.app_context():
        workflow.perform(session, case.id, "accept_evidence", field.dispatcher, note="ตรวจแล้ว")
    session.commit()
    page = public.get(f"/track/{case.tracking_code}").get_data(as_text=True)
    assert "before-after" in page and f'src="/photos/{evidence_id}/thumb"' in page
    assert public.get(f"/photos/{evidence_id}/thumb").status_code == 200


def test_dispatchers_panel_shows_the_flagged_evidence_and_its_checks(crew_client, field, session, app):
    post_closing(crew_client, field.case.id, photos=[field.citizen_photo])
    dispatcher = app.test_client()
    login(dispatcher, field.dispatcher.email, PASSWORD)
    panel = dispatcher.get(f"/dispatch/cases/{field.case.id}").get_data(as_text=True)
    assert "evidence-review needs-review" in panel and "ซ้ำกับรูปของผู้แจ้ง" in panel
    assert 'name="action" value="accept_evidence"' in panel and 'value="send_back"' in panel
