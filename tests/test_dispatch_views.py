"""The /dispatch page, the case panel and its actions over HTTP: who may open them, what they
show, and how the server refuses."""
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from mapdash.models import Follower, Incident, IncidentEvent
from mapdash.office.auth import create_user
from mapdash.views.dispatch import duration
from tests.factories import make_incident, make_org
from tests.support import csrf_token, login

PASSWORD = "correct horse battery"


@pytest.fixture
def office(session):
    org = make_org(session)
    users = {role: create_user(session, organization_id=org.id, email=f"{role}@example.test",
                               password=PASSWORD, role=role, display_name=f"{role} สาธิต",
                               department_code="engineering" if role in ("officer", "crew") else None)
             for role in ("dispatcher", "officer", "crew")}
    light = make_incident(session, description="ไฟฟ้าส่องสว่างดับ 3 ต้น หน้าวัด",
                          reporter_name="สมศรี ใจดี", reporter_phone="080-000-4321")
    ems = make_incident(session, category="ems", lon=100.006, lat=10.006,
                        description="รถจักรยานยนต์ล้ม มีผู้บาดเจ็บ")
    session.commit()
    return {"org": org, "users": users, "light": light, "ems": ems}


def signed_in(client, role):
    login(client, f"{role}@example.test", PASSWORD)
    return client


def act(client, case_id, **form):
    token = csrf_token(client, "/dispatch/")
    return client.post(f"/dispatch/cases/{case_id}/actions", data={"csrf_token": token, **form},
                       headers={"Accept": "application/json"})


def events_of(session, case_id):
    session.expire_all()
    return session.scalars(select(IncidentEvent.action).where(
        IncidentEvent.incident_id == case_id).order_by(IncidentEvent.id)).all()


def test_the_page_uses_only_our_own_assets(client, office):
    page = signed_in(client, "dispatcher").get("/dispatch/").get_data(as_text=True)
    assert "/vendor/leaflet/leaflet.js" in page and "/vendor/markercluster/leaflet.markercluster.js" in page
    assert not re.search(r'(src|href)="https?://', page)  # no CDN
    assert 'name="type" value="streetlight"' in page and 'value="public_health"' in page
    assert "ไฟฟ้าส่องสว่างดับ" in page  # the type toggles, in Thai


@pytest.mark.parametrize("role, status", [("crew", 403), (None, 302)])
def test_the_office_is_closed_to_others(role, status, client, office):
    if role:
        signed_in(client, role)
    assert client.get("/dispatch/").status_code == status
    assert client.get(f"/dispatch/cases/{office['light'].id}").status_code == status


def test_an_officers_filters_offer_only_their_department(client, office):
    page = signed_in(client, "officer").get("/dispatch/").get_data(as_text=True)
    department = re.search(r'<select name="department"[^>]*>(.*?)</select>', page, re.S)
    assert "disabled" in department.group(0)
    assert re.findall(r'value="([a-z_]+)"', department.group(1)) == ["engineering"]


def test_the_panel_shows_the_case_with_its_contact_and_actions(client, office):
    html = signed_in(client, "dispatcher").get(f"/dispatch/cases/{office['light'].id}").get_data(as_text=True)
    for text in ("ไฟฟ้าส่องสว่างดับ 3 ต้น หน้าวัด", "สมศรี ใจดี", "080-000-4321",
                 office["light"].tracking_code, "หมู่บ้าน 1 บ้านตะวันตก", "กองช่าง",
                 "รับเรื่องและตรวจสอบ", "ประชาชนแจ้งเรื่อง"):
        assert text in html, text
    actions = re.findall(r'name="action" value="([a-z_]+)"', html)
    # The priority first; the workflow's in its order (forward: no other organization here);
    # the internal note last, in a box of its own.
    assert actions == ["set_priority", "accept", "request_info", "reject", "mark_duplicate",
                       "refer", "comment"]
    assert "/form.pdf" in html


def test_an_officer_cannot_open_another_departments_case(client, office):
    signed_in(client, "officer")
    assert client.get(f"/dispatch/cases/{office['ems'].id}").status_code == 404
    assert client.get(f"/dispatch/cases/{office['light'].id}").status_code == 200
    refused = act(client, office["ems"].id, action="accept")
    assert refused.status_code == 404 and refused.get_json()["message_th"]


def test_accept_then_assign_writes_the_timeline(client, session, office):
    signed_in(client, "dispatcher")
    case_id = office["light"].id
    accepted = act(client, case_id, action="accept")
    assert accepted.status_code == 200 and accepted.get_json()["status"] == "accepted"
    assigned = act(client, case_id, action="assign", assignee_id=str(office["users"]["crew"].id))
    assert assigned.get_json() == {"ok": True, "action": "assign", "status": "assigned",
                                   "panel": f"/dispatch/cases/{case_id}", "gone": False}
    assert events_of(session, case_id) == ["report", "accept", "assign"]
    html = client.get(f"/dispatch/cases/{case_id}").get_data(as_text=True)
    assert "event-accept" in html and "event-assign" in html and "crew สาธิต" in html
    assert "ดำเนินการแก้ไข" in html  # now on the work step


@pytest.mark.parametrize("form, status, code", [
    ({"action": "resolve", "note": "เสร็จ"}, 409, "bad_transition"),  # not from "new"
    ({"action": "reopen", "note": "x"}, 409, "bad_transition"),
    ({"action": "reject", "note": " "}, 400, "note_required"),
    ({"action": "fly"}, 400, "unknown_action"),
    ({"action": "assign", "assignee_id": "abc"}, 400, "bad_number"),
    ({"action": "assign", "assignee_id": "99999999999"}, 400, "bad_number"),  # past integer
    ({"action": "assign", "assignee_id": "9" * 5000}, 400, "bad_number"),
    ({"action": "assign", "assignee_id": "-1"}, 400, "bad_number"),
    ({"action": "assign", "assignee_id": "0"}, 400, "bad_number"),
    ({"action": "mark_duplicate", "duplicate_code": "ZZZZ-ZZZZ"}, 400, "unknown_code"),
])
def test_refusals_are_clear_and_change_nothing(form, status, code, client, session, office):
    signed_in(client, "dispatcher")
    case_id = office["light"].id
    response = act(client, case_id, **form)
    assert response.status_code == status
    body = response.get_json()
    assert body["error"] == code and body["message_th"] and body["message_en"]
    assert events_of(session, case_id) == ["report"]
    assert session.get(Incident, case_id).status == "new"


def test_an_action_without_the_csrf_token_is_refused(client, session, office):
    signed_in(client, "dispatcher")
    response = client.post(f"/dispatch/cases/{office['light'].id}/actions", data={"action": "accept"},
                           headers={"Accept": "application/json"})
    assert response.status_code == 400 and response.get_json()["error"] == "csrf"
    assert events_of(session, office["light"].id) == ["report"]


def test_a_duplicate_is_named_by_its_tracking_code(client, session, office):
    light = office["light"]
    again = make_incident(session, lon=100.0051, lat=10.0051, description="ไฟดับหน้าวัดเหมือนกัน",
                          reporter_name="บุญมี")
    session.commit()
    signed_in(client, "dispatcher")
    typed = light.tracking_code.lower().replace("-", " ")  # as read over the phone
    response = act(client, again.id, action="mark_duplicate", duplicate_code=typed)
    assert response.status_code == 200 and response.get_json()["status"] == "duplicate"
    session.expire_all()
    assert session.get(Incident, again.id).duplicate_of == light.id
    assert session.scalar(select(func.count()).select_from(Follower).where(
        Follower.incident_id == light.id)) == 1
    # The duplicate's panel names the other case by its tracking code, a link to open it.
    panel = client.get(f"/dispatch/cases/{again.id}").get_data(as_text=True)
    assert (f'<a href="/dispatch/?case={light.id}">{light.tracking_code}</a>' in panel
            and f'class="code">{light.id}<' not in panel)


def test_durations_read_like_a_person_would_say_them(app):
    with app.test_request_context():
        assert duration(timedelta(seconds=20)) == "ไม่ถึง 1 นาที"
        assert duration(timedelta(minutes=45)) == "45 นาที"
        assert duration(timedelta(hours=2, minutes=5)) == "2 ชม. 5 นาที"
        assert duration(timedelta(days=3, hours=4, minutes=59)) == "3 วัน 4 ชม."
        assert duration(timedelta(days=7)) == "7 วัน"
    with app.test_request_context("/?lang=en"):
        app.preprocess_request()
        assert duration(timedelta(days=1, hours=1)) == "1 d 1 h"
