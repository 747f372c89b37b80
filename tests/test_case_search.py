"""Finding any case (/dispatch/cases, cases/search.py): by code, phone, name, Thai text and
village, open and closed; paging and sorting; the officer's department; refusals."""
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from mapdash.cases import search, workflow
from mapdash.cases.intake import Report, create_incident
from mapdash.models import Incident, IncidentEvent
from tests.factories import make_incident, make_org, make_staff
from tests.support import csrf_token, login

PASSWORD = "correct horse battery"
DAY = datetime(2026, 11, 2, 3, 0, tzinfo=UTC)


@pytest.fixture
def office(session):
    org = make_org(session)
    staff = make_staff(session, org)
    light = create_incident(session, Report(
        "streetlight", lon=100.005, lat=10.005, reporter_name="สมศรี ใจดี",
        description="ไฟฟ้าส่องสว่างดับ 3 ต้น หน้าวัดป่าช้างเผือก", reporter_phone="081-234 5678"),
        created_at=DAY)
    road = create_incident(session, Report(
        "road", lon=100.015, lat=10.005, description="ถนนทรุดเป็นหลุมลึก",
        reporter_name="Somchai Rakdee"), created_at=DAY + timedelta(days=1))
    complaint = create_incident(session, Report(
        "complaint", organization_slug=org.slug, description="เสียงดังจากโรงงานช่างเชื่อม",
        reporter_phone="+66 89 765 4321"), created_at=DAY + timedelta(days=2))
    # Closed: a citizen searching for it again months later still finds it.
    workflow.perform(session, light.id, "reject", staff["dispatcher"], note="ซ้ำกับงานเดิม",
                     now=DAY + timedelta(hours=1))
    session.commit()
    return {"org": org, "staff": staff, "light": light, "road": road, "complaint": complaint}


def codes(session, user, **params):
    rows, _ = search.search_cases(session, user, search.CaseListQuery(**params))
    return [row["code"] for row in rows]


@pytest.mark.parametrize("typed, which", [
    ("{light}", "light"),                        # the code as printed
    ("{light_loose}", "light"),                  # lower case, no dash
    ("0812345678", "light"), ("081 234-5678", "light"), ("+66812345678", "light"),
    ("๐๘๑๒๓๔๕๖๗๘", "light"),                     # Thai digits
    ("5678", "light"),                           # the end of the number
    ("0897654321", "complaint"),                 # stored as +66 ...
    ("สมศรี", "light"), ("somchai", "road"),     # names, any case
    ("ช้างเผือก", "light"),                      # a Thai substring, no spaces
    ("ช่างเชื่อม", "complaint"),                 # not "ช้าง": the tone marks count
    ("หลุมลึก", "road"),
])
def test_search_finds_open_and_closed_cases(session, office, typed, which):
    light = office["light"].tracking_code
    typed = typed.format(light=light, light_loose=light.replace("-", "").lower())
    assert codes(session, office["staff"]["dispatcher"], q=typed) == [office[which].tracking_code]


def test_filters_village_status_dates_and_cases_without_a_place(session, office):
    dispatcher = office["staff"]["dispatcher"]
    assert codes(session, dispatcher, village=["2"]) == [office["road"].tracking_code]
    assert codes(session, dispatcher, status=["rejected"]) == [office["light"].tracking_code]
    assert codes(session, dispatcher, **{"from": "2026-11-03", "to": "2026-11-03"}) == [
        office["road"].tracking_code]
    # No place on the map: listed like any other.
    rows, _ = search.search_cases(session, dispatcher, search.CaseListQuery(q="โรงงาน"))
    assert rows[0]["no_place"] and rows[0]["village_number"] is None


def test_sorting_and_paging(session, office, monkeypatch):
    dispatcher = office["staff"]["dispatcher"]
    newest_first = [office[name].tracking_code for name in ("complaint", "road", "light")]
    assert codes(session, dispatcher) == newest_first
    assert codes(session, dispatcher, order="asc") == newest_first[::-1]
    # In the workflow's order: new before the closed statuses.
    assert codes(session, dispatcher, sort="status", order="asc")[-1] == office["light"].tracking_code
    assert codes(session, dispatcher, sort="status")[0] == office["light"].tracking_code
    assert codes(session, dispatcher, sort="village", order="asc") == [
        office["light"].tracking_code, office["road"].tracking_code, office["complaint"].tracking_code]
    monkeypatch.setattr(search, "PAGE_SIZE", 2)
    first, more = search.search_cases(session, dispatcher, search.CaseListQuery(page="1"))
    second, more_after = search.search_cases(session, dispatcher, search.CaseListQuery(page="2"))
    assert more and not more_after
    assert [r["code"] for r in first + second] == newest_first
    # Paging through groups: each group read from its own index, in order.
    by_village = [search.search_cases(session, dispatcher, search.CaseListQuery(
        sort="village", order="asc", page=str(n)))[0] for n in (1, 2)]
    assert [r["code"] for r in by_village[0] + by_village[1]] == [
        office["light"].tracking_code, office["road"].tracking_code, office["complaint"].tracking_code]
    # Types in the map's order (streetlight, road, ... complaint), newest first within each.
    assert codes(session, dispatcher, sort="type", order="asc", q="ทรุด") == [office["road"].tracking_code]
    monkeypatch.setattr(search, "PAGE_SIZE", 50)
    assert codes(session, dispatcher, sort="type", order="asc") == [
        office[name].tracking_code for name in ("light", "road", "complaint")]


def test_a_duplicate_shows_the_other_cases_code(session, office):
    dispatcher = office["staff"]["dispatcher"]
    again = make_incident(session, description="ถนนทรุดอีกครั้ง", lon=100.015, lat=10.005,
                          category="road")
    workflow.perform(session, again.id, "mark_duplicate", dispatcher,
                     duplicate_of=office["road"].id)
    rows, _ = search.search_cases(session, dispatcher, search.CaseListQuery(q="ทรุดอีก"))
    assert rows[0]["duplicate_of"] == office["road"].tracking_code


def test_an_officer_never_finds_another_departments_cases(session, office):
    officer = office["staff"]["officer"]  # engineering: streetlights and roads, not complaints
    assert codes(session, officer, q="0897654321") == []
    assert sorted(codes(session, officer)) == sorted(
        [office["light"].tracking_code, office["road"].tracking_code])


def test_the_list_page(client, office):
    login(client, "dispatcher@example.test", PASSWORD)
    page = client.get("/dispatch/cases?q=081-234-5678")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert office["light"].tracking_code in html and office["road"].tracking_code not in html
    assert "/dispatch/?case=" in html
    listed = client.get("/dispatch/cases?sort=village&order=asc").get_data(as_text=True)
    assert listed.index(office["light"].tracking_code) < listed.index(office["road"].tracking_code)
    assert "ไม่อยู่บนแผนที่" in listed or "Not on the map" in listed


@pytest.mark.parametrize("query, code", [
    ("status=lost", "bad_status"), ("sort=reporter", "bad_sort"), ("order=up", "bad_sort"),
    ("page=0", "bad_page"), ("page=abc", "bad_page"), ("village=x", "bad_village"),
    ("from=2026-13-01", "bad_date"), ("type=unicorn", "bad_type"),
    ("q=" + "ก" * 101, "bad_query"), ("q=ab", "short_query"),
    ("from=2026-11-05&to=2026-11-01", "bad_dates"),
])
def test_bad_parameters_are_refused_on_the_page(client, office, query, code):
    login(client, "dispatcher@example.test", PASSWORD)
    page = client.get(f"/dispatch/cases?{query}")
    assert page.status_code == 400, code
    assert 'class="form-error"' in page.get_data(as_text=True)


def test_an_officer_may_not_ask_for_another_department(client, office):
    login(client, "officer@example.test", PASSWORD)
    assert client.get("/dispatch/cases?department=legal").status_code == 403


@pytest.mark.parametrize("role, status", [("crew", 403), (None, 302)])
def test_crews_and_strangers_are_refused(client, office, role, status):
    if role:
        login(client, f"{role}@example.test", PASSWORD)
    assert client.get("/dispatch/cases").status_code == status


def test_search_text_follows_the_case(session, office):
    """Generated by PostgreSQL: a corrected phone number is found at once."""
    light = session.get(Incident, office["light"].id)
    light.reporter_phone = "02 999 8888"
    session.flush()
    assert codes(session, office["staff"]["dispatcher"], q="029998888") == [light.tracking_code]


def test_ticked_cases_take_one_action_each_with_their_own_event(client, session, office):
    """The list's bulk form: the same action on each ticked case, one event per case; a case the
    action does not fit (the rejected one) is named and left as it was; back to the same list."""
    light, road, complaint = office["light"], office["road"], office["complaint"]
    login(client, "dispatcher@example.test", PASSWORD)
    listed = "/dispatch/cases?sort=date&order=asc"
    page = client.get(listed).get_data(as_text=True)
    assert f'name="ids" value="{road.id}" form="bulk-form"' in page
    token = csrf_token(client, listed)
    ticked = {"csrf_token": token, "action": "accept", "ids": [str(light.id), str(road.id),
                                                                str(complaint.id)]}
    assert client.post("/dispatch/cases", data={**ticked, "csrf_token": ""}).status_code == 400

    answer = client.post("/dispatch/cases?sort=date&order=asc", data=ticked)
    assert answer.status_code == 303
    assert answer.headers["Location"].endswith("/dispatch/cases?sort=date&order=asc&page=1")
    shown = client.get(answer.headers["Location"]).get_data(as_text=True)
    assert "2" in shown and light.tracking_code in shown  # done on two, the rejected one named
    session.expire_all()
    assert [session.get(Incident, case.id).status for case in (light, road, complaint)] == [
        "rejected", "accepted", "accepted"]
    accepts = session.scalars(select(IncidentEvent.incident_id).where(
        IncidentEvent.action == "accept")).all()
    assert sorted(accepts) == sorted([road.id, complaint.id])

    # Its inputs: a priority for each; a bad one is a message, and nothing changes.
    assert client.post("/dispatch/cases", data={**ticked, "action": "set_priority",
                                                "priority": "whenever"}).status_code == 303
    assert "normal" == session.get(Incident, road.id).priority
    assert client.post("/dispatch/cases", data={**ticked, "action": "set_priority",
                                                "priority": "urgent"}).status_code == 303
    session.expire_all()
    assert [session.get(Incident, case.id).priority for case in (road, complaint)] == [
        "urgent", "urgent"]
    client.post("/logout", data={"csrf_token": token})
    login(client, "crew@example.test", PASSWORD)
    assert client.post("/dispatch/cases", data=ticked).status_code == 403
