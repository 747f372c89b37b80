"""Working a case fully (issue 19) over HTTP: forwarding a case to another organization on the
server, referring it to an outside agency, its priority, internal notes that stay inside, one
action on many cases, and the response template picker."""
import re

import pytest
from shapely.geometry import box
from sqlalchemy import func, select, update

from mapdash.cases import workflow
from mapdash.models import (
    Category,
    Department,
    Incident,
    IncidentEvent,
    Notification,
    ResponseTemplate,
)
from mapdash.office.auth import create_user
from tests.factories import make_incident, make_org
from tests.support import csrf_token, login

PASSWORD = "correct horse battery"
SECRET_NOTE = "โทรหาผู้ใหญ่บ้านแล้ว เบอร์ส่วนตัว 089-999-0000"


@pytest.fixture
def orgs(session):
    """A tambon and the province around it, each with its staff; a case in the tambon."""
    tambon = make_org(session)
    province = make_org(session, slug="province", kind="province",
                        villages=((1, "ทั้งจังหวัด", box(99.9, 9.9, 100.1, 10.1)),))
    users = {}
    for org, place in ((tambon, "tambon"), (province, "province")):
        for role in ("admin", "dispatcher", "officer", "crew"):
            users[f"{place}_{role}"] = create_user(
                session, organization_id=org.id, email=f"{role}.{place}@example.test",
                password=PASSWORD, role=role, display_name=f"{role} {place}",
                department_code="engineering" if role in ("officer", "crew") else None)
    case = make_incident(session, description="ไฟฟ้าส่องสว่างดับหน้าวัด",
                         reporter_phone="080-000-4321")
    session.commit()
    return {"tambon": tambon, "province": province, "users": users, "case": case}


def staff(app, who: str):
    role, place = who.split("_")[1], who.split("_")[0]
    client = app.test_client()
    assert login(client, f"{role}.{place}@example.test", PASSWORD).status_code == 302
    return client


def act(client, case_id, **form):
    token = csrf_token(client, "/login")
    return client.post(f"/dispatch/cases/{case_id}/actions", data={"csrf_token": token, **form},
                       headers={"Accept": "application/json"})


def on_map(client) -> set[int]:
    return {feature["properties"]["id"] for feature in
            client.get("/api/dispatch/cases.geojson").get_json()["features"]}


def actions_of(session, case_id) -> list[str]:
    session.expire_all()
    return list(session.scalars(select(IncidentEvent.action).where(
        IncidentEvent.incident_id == case_id).order_by(IncidentEvent.id)))


def test_forward_moves_the_case_with_its_history_to_the_other_organization(app, session, orgs):
    case, province = orgs["case"], orgs["province"]
    # The province gives the type other time limits: a forwarded case runs on the receiver's.
    session.execute(update(Category).where(
        Category.organization_id == province.id, Category.code == "streetlight")
        .values(sla_minutes={"acknowledge": 60, "work": 20160}))
    session.commit()
    tambon_desk, province_desk = staff(app, "tambon_dispatcher"), staff(app, "province_dispatcher")
    assert act(tambon_desk, case.id, action="accept").status_code == 200
    assert act(tambon_desk, case.id, action="comment", note=SECRET_NOTE).status_code == 200
    assert case.id in on_map(tambon_desk) and case.id not in on_map(province_desk)

    answer = act(tambon_desk, case.id, action="forward", organization_id=str(province.id),
                 note="ถนนสายนี้เป็นทางหลวงจังหวัด")
    assert answer.status_code == 200
    assert answer.get_json()["gone"] is True and answer.get_json()["status"] == "new"

    # It left the tambon's map and panel, and is in the province's intake, its history with it.
    assert case.id not in on_map(tambon_desk) and case.id in on_map(province_desk)
    assert tambon_desk.get(f"/dispatch/cases/{case.id}").status_code == 404
    panel = province_desk.get(f"/dispatch/cases/{case.id}").get_data(as_text=True)
    assert 'class="forwarded-from"' in panel and "อบต.test-tambon" in panel
    for event in ("event-report", "event-accept", "event-comment", "event-forward"):
        assert event in panel, event
    assert SECRET_NOTE in panel  # staff's notes travel with the case, to staff
    assert actions_of(session, case.id) == ["report", "accept", "comment", "forward"]

    # Routed again by its type code; the tracking code stays.
    moved = session.get(Incident, case.id)
    assert moved.organization_id == province.id and moved.tracking_code == case.tracking_code
    assert moved.category.organization_id == province.id and moved.category.code == "streetlight"
    assert moved.department.organization_id == province.id
    assert moved.village.organization_id == province.id and moved.status == "new"
    assert (moved.time_limits.minutes["acknowledge"], moved.time_limits.minutes["work"]) == (
        60, 20160)

    # The tambon's live feed says it changed, so its open map drops it.
    feed = tambon_desk.get("/api/dispatch/changes?since=2000-01-01T00:00:00Z").get_json()
    assert case.id in {change["id"] for change in feed["changed"]}

    # The citizen reads where it went, and never the staff's note.
    page = app.test_client().get(f"/track/{case.tracking_code}").get_data(as_text=True)
    assert 'id="where-it-went"' in page and "อบต.province" in page
    assert "ถนนสายนี้เป็นทางหลวงจังหวัด" in page  # why: the citizen is told
    assert SECRET_NOTE not in page

    # The province may take it on as any new case.
    assert act(province_desk, case.id, action="accept").status_code == 200


def test_the_panel_offers_the_organizations_whose_area_meets_the_tambons_only(app, session, orgs):
    """The neighbours and the province around it, by name; not one far away (a national server
    holds thousands)."""
    make_org(session, slug="neighbour", villages=((1, "บ้านติดกัน", box(100.02, 10.00, 100.03, 10.01)),))
    make_org(session, slug="far-away", villages=((1, "บ้านไกล", box(104.0, 17.0, 104.01, 17.01)),))
    session.commit()
    panel = staff(app, "tambon_dispatcher").get(f"/dispatch/cases/{orgs['case'].id}").get_data(
        as_text=True)
    offered = re.findall(r'<option value="(\d+)">([^<]*)</option>', panel.split('name="organization_id"')[1]
                         .split("</select>")[0])
    assert [name for _id, name in offered] == ["อบต.neighbour", "อบต.province"]


def test_forward_refusals_change_nothing(app, session, orgs):
    case, province = orgs["case"], orgs["province"]
    desk = staff(app, "tambon_dispatcher")
    refusals = [
        (staff(app, "tambon_officer"), {"organization_id": str(province.id)}, 403),
        (staff(app, "tambon_crew"), {"organization_id": str(province.id)}, 403),
        (desk, {"organization_id": str(orgs["tambon"].id)}, 400),   # to itself
        (desk, {"organization_id": "999999"}, 400),                  # no such organization
        (desk, {"organization_id": "abc"}, 400),
        (desk, {"organization_id": "99999999999"}, 400),              # past an integer
        (desk, {"organization_id": str(province.id), "note": ""}, 400),  # why is required
    ]
    for client, form, status in refusals:
        answer = act(client, case.id, action="forward", **{"note": "ของจังหวัด", **form})
        assert answer.status_code == status, (form, answer.get_json())
    # A province that has no such type cannot take it.
    session.execute(update(Category).where(Category.organization_id == province.id,
                                           Category.code == "streetlight").values(active=False))
    session.commit()
    answer = act(desk, case.id, action="forward", organization_id=str(province.id), note="x")
    assert answer.status_code == 400 and answer.get_json()["error"] == "no_such_type_there"
    # Closed cases are not forwarded.
    assert act(desk, case.id, action="reject", note="ซ้ำซ้อน").status_code == 200
    answer = act(desk, case.id, action="forward", organization_id=str(province.id), note="x")
    assert answer.status_code == 409
    assert actions_of(session, case.id) == ["report", "reject"]
    assert session.get(Incident, case.id).organization_id == orgs["tambon"].id


def test_referral_closes_the_case_and_the_citizen_sees_the_agency(app, session, orgs):
    case = orgs["case"]
    desk = staff(app, "tambon_dispatcher")
    sent = "ส่งหนังสือ ที่ มท 0001/123 พร้อมเบอร์ผู้แจ้ง 080-000-4321"
    for form, status in (({"agency": ""}, 400), ({"agency": "ก" * 201}, 400),
                         ({"note": ""}, 400)):
        answer = act(desk, case.id, action="refer", **{"agency": "การไฟฟ้าส่วนภูมิภาค",
                                                       "note": sent, **form})
        assert answer.status_code == status, form
    assert act(staff(app, "tambon_crew"), case.id, action="refer", agency="กฟภ.",
               note=sent).status_code in (403, 404)
    answer = act(desk, case.id, action="refer", agency="  การไฟฟ้าส่วนภูมิภาค  อำเภอเมือง ",
                 note=sent)
    assert answer.status_code == 200 and answer.get_json()["status"] == "referred"
    session.expire_all()
    referred = session.get(Incident, case.id)
    assert referred.status == "referred" and referred.closed_at is not None
    event = session.scalars(select(IncidentEvent).where(IncidentEvent.action == "refer")).one()
    assert event.detail == {"agency": "การไฟฟ้าส่วนภูมิภาค อำเภอเมือง"} and event.note == sent

    page = app.test_client().get(f"/track/{case.tracking_code}").get_data(as_text=True)
    assert 'id="where-it-went"' in page and "การไฟฟ้าส่วนภูมิภาค อำเภอเมือง" in page
    assert sent not in page  # what was sent may carry the reporter's number
    open311 = app.test_client().get(
        f"/open311/v2/requests/{case.tracking_code}.json?jurisdiction_id=test-tambon").get_json()
    assert open311[0]["status"] == "closed" and sent not in str(open311)
    # Not taken up by the agency: the office reopens it.
    assert act(desk, case.id, action="reopen", note="การไฟฟ้าแจ้งว่าไม่ใช่เสาของตน").status_code == 200


def test_priority_is_set_by_staff_shown_in_the_panel_and_recorded(app, session, orgs):
    case = orgs["case"]
    desk = staff(app, "tambon_dispatcher")
    assert act(desk, case.id, action="set_priority", priority="sky-high").status_code == 400
    assert act(desk, case.id, action="set_priority").status_code == 400
    assert act(staff(app, "tambon_crew"), case.id, action="set_priority",
               priority="urgent").status_code in (403, 404)
    assert act(desk, case.id, action="set_priority", priority="normal").status_code == 409  # same
    assert act(desk, case.id, action="set_priority", priority="urgent").status_code == 200
    session.expire_all()
    assert session.get(Incident, case.id).priority == "urgent"
    event = session.scalars(select(IncidentEvent).where(
        IncidentEvent.action == "set_priority")).one()
    assert event.detail == {"priority": "urgent", "before": "normal"} and not event.public
    panel = desk.get(f"/dispatch/cases/{case.id}").get_data(as_text=True)
    assert 'class="priority priority-urgent"' in panel
    assert re.search(r'<option value="urgent" selected>', panel)
    assert "ปกติ → ด่วนมาก" in panel
    assert {f["properties"]["priority"] for f in desk.get(
        "/api/dispatch/cases.geojson").get_json()["features"]} == {"urgent"}
    page = app.test_client().get(f"/track/{case.tracking_code}").get_data(as_text=True)
    assert "ด่วนมาก" not in page
    # A closed case keeps the priority it had.
    assert act(desk, case.id, action="reject", note="นอกพื้นที่").status_code == 200
    assert act(desk, case.id, action="set_priority", priority="high").status_code == 409


def test_internal_notes_are_never_public(app, session, orgs):
    case = orgs["case"]
    desk = staff(app, "tambon_dispatcher")
    panel = desk.get(f"/dispatch/cases/{case.id}").get_data(as_text=True)
    assert 'class="internal-notes"' in panel and "เฉพาะเจ้าหน้าที่" in panel
    assert act(desk, case.id, action="comment", note="").status_code == 400
    assert act(desk, case.id, action="comment", note=SECRET_NOTE).status_code == 200
    assert act(desk, case.id, action="accept", note="รับเรื่องแล้ว จะเข้าตรวจสอบพรุ่งนี้").status_code == 200
    panel = desk.get(f"/dispatch/cases/{case.id}").get_data(as_text=True)
    assert SECRET_NOTE in panel and 'class="internal-tag"' in panel

    public = app.test_client()
    tambon = "?jurisdiction_id=test-tambon"
    for url in (f"/track/{case.tracking_code}",
                f"/open311/v2/requests/{case.tracking_code}.json{tambon}",
                f"/open311/v2/requests/{case.tracking_code}.xml{tambon}",
                f"/open311/v2/requests.json{tambon}", "/api/opendata/cases.csv",
                "/api/opendata/cases.geojson", "/cases"):
        answer = public.get(url)
        assert answer.status_code == 200, url
        assert case.tracking_code in answer.get_data(as_text=True), url  # the case is there
        assert SECRET_NOTE not in answer.get_data(as_text=True), url
    # The public message of the acceptance is the citizen's.
    assert "จะเข้าตรวจสอบพรุ่งนี้" in public.get(f"/track/{case.tracking_code}").get_data(as_text=True)


def test_one_action_on_many_cases_writes_one_event_per_case(app, session, orgs):
    users = orgs["users"]
    cases = [orgs["case"]] + [make_incident(session, lon=100.005 + i / 1000) for i in range(1, 3)]
    closed = make_incident(session, lon=100.009)
    workflow.perform(session, closed.id, "reject", users["tambon_dispatcher"], note="ซ้ำ")
    theirs = make_incident(session, lon=100.05, lat=10.05)  # only the province covers it
    session.commit()
    desk = staff(app, "tambon_dispatcher")

    def bulk(client, ids, **form):
        return client.post("/dispatch/cases/actions.json", data={
            "ids": ",".join(str(i) for i in ids), **form},
            headers={"X-CSRFToken": csrf_token(client, "/login")})

    answer = bulk(desk, [c.id for c in cases] + [closed.id, theirs.id, cases[0].id],
                  action="accept")
    assert answer.status_code == 200
    body = answer.get_json()
    assert sorted(done["id"] for done in body["done"]) == sorted(c.id for c in cases)
    assert {r["id"]: r["error"] for r in body["refused"]} == {closed.id: "bad_transition",
                                                               theirs.id: "not_found"}
    for case in cases:
        assert actions_of(session, case.id) == ["report", "accept"]
    assert actions_of(session, closed.id) == ["report", "reject"]

    crew = users["tambon_crew"]
    answer = bulk(desk, [c.id for c in cases[:2]], action="assign", assignee_id=str(crew.id))
    assert [d["status"] for d in answer.get_json()["done"]] == ["assigned", "assigned"]
    answer = bulk(desk, [cases[2].id], action="mark_duplicate",
                  duplicate_code=cases[0].tracking_code.lower())
    assert answer.get_json()["done"][0]["status"] == "duplicate"
    answer = bulk(desk, [c.id for c in cases[:2]], action="set_priority", priority="high")
    assert len(answer.get_json()["done"]) == 2
    assert actions_of(session, cases[0].id) == ["report", "accept", "assign", "set_priority"]

    # Refused as a whole: nothing changes.
    before = session.scalar(select(func.count()).select_from(IncidentEvent))
    for client, ids, form, status in (
            (desk, [cases[0].id], {"action": "reject"}, 400),     # not a bulk action
            (desk, [], {"action": "accept"}, 400),
            (desk, ["x"], {"action": "accept"}, 400),
            (desk, list(range(1, 202)), {"action": "accept"}, 400),  # too many
            (desk, [cases[0].id], {"action": "assign", "assignee_id": "abc"}, 400),
            (staff(app, "tambon_crew"), [cases[0].id], {"action": "accept"}, 403)):
        assert bulk(client, ids, **form).status_code == status, (ids, form)
    assert desk.post("/dispatch/cases/actions.json",
                     data={"ids": str(cases[0].id), "action": "accept"}).status_code == 400  # CSRF
    assert bulk(app.test_client(), [cases[0].id], action="accept").status_code == 401
    assert session.scalar(select(func.count()).select_from(IncidentEvent)) == before


def test_the_panel_offers_response_templates_to_edit(app, session, orgs):
    """The panel offers the templates an admin stored (/admin/templates) for the case's type and
    for every type, above a message that stays the dispatcher's to edit; another type's, another
    organization's or one out of use are not offered."""
    case, tambon = orgs["case"], orgs["tambon"]
    other_type = session.scalars(select(Category).where(
        Category.organization_id == tambon.id, Category.id != case.category_id)).first()
    for category_id, action, title, text, active, org in (
            (case.category_id, "accept", "รับเรื่องแล้ว", "รับเรื่องแล้ว จะเข้าตรวจภายใน 3 วัน", True,
             tambon),
            (None, "reject", "นอกเขต", 'อยู่นอกเขต "อบต." <ติดต่ออำเภอ>', True, tambon),
            (other_type.id, "accept", "ของประเภทอื่น", "ไม่ควรเห็น", True, tambon),
            (None, "accept", "เลิกใช้แล้ว", "ไม่ควรเห็น", False, tambon),
            (None, "accept", "ของจังหวัด", "ไม่ควรเห็น", True, orgs["province"])):
        session.add(ResponseTemplate(organization_id=org.id, category_id=category_id,
                                     action=action, title=title, text_th=text, active=active))
    session.commit()
    html = staff(app, "tambon_dispatcher").get(f"/dispatch/cases/{case.id}").get_data(as_text=True)
    assert "ไม่ควรเห็น" not in html
    accept = re.search(r'action-accept".*?</form>', html, re.S).group(0)
    assert 'data-template-picker' in accept and 'data-text="รับเรื่องแล้ว จะเข้าตรวจภายใน 3 วัน"' in accept
    reject = re.search(r'action-reject".*?</form>', html, re.S).group(0)
    assert 'data-text="อยู่นอกเขต &#34;อบต.&#34; &lt;ติดต่ออำเภอ&gt;"' in reject
    request_info = re.search(r'action-request_info".*?</form>', html, re.S).group(0)
    assert "data-template-picker" not in request_info  # none for this action


def test_the_citizen_hears_where_the_case_went_and_the_new_department_of_a_new_case(
        app, session, orgs):
    province = orgs["province"]
    engineering = session.scalars(select(Department).where(
        Department.organization_id == province.id, Department.code == "engineering")).one()
    engineering.notify_email = "engineering@province.example.test"
    forwarded = make_incident(session, description="ไฟดับ", reporter_email="somchai@example.test")
    referred = make_incident(session, description="ท่อแตก", reporter_email="somsri@example.test")
    session.commit()
    desk = staff(app, "tambon_dispatcher")
    assert act(desk, forwarded.id, action="forward", organization_id=str(province.id),
               note="ทางหลวงจังหวัด").status_code == 200
    assert act(desk, referred.id, action="refer", agency="การประปาส่วนภูมิภาค",
               note="ส่งหนังสือแล้ว").status_code == 200
    session.expire_all()
    sent = {(n.incident_id, n.kind, n.recipient): n.payload for n in session.scalars(
        select(Notification).where(Notification.incident_id.in_((forwarded.id, referred.id))))}
    assert set(sent) == {(forwarded.id, "forwarded", "somchai@example.test"),
                         (forwarded.id, "new_case", "engineering@province.example.test"),
                         (referred.id, "referred", "somsri@example.test")}
    told = str(sent[forwarded.id, "forwarded", "somchai@example.test"])
    assert "อบต.province" in told and "ทางหลวงจังหวัด" in told and forwarded.tracking_code in told
    told = str(sent[referred.id, "referred", "somsri@example.test"])
    assert "การประปาส่วนภูมิภาค" in told and "ส่งหนังสือแล้ว" not in told
