"""Staff intake (/dispatch/intake): a request by phone, at the counter, by letter or from
Facebook, through the one intake to the dispatcher's map, and the receipt to print."""
import re

import pytest
from sqlalchemy import select

from mapdash.models import Incident
from tests.factories import make_org, make_staff
from tests.support import csrf_token, login

PASSWORD = "correct horse battery"


@pytest.fixture
def office(session):
    org = make_org(session)
    staff = make_staff(session, org)
    session.commit()
    return {"org": org, "staff": staff}


def enter(client, category="streetlight", **form):
    token = csrf_token(client, f"/dispatch/intake/{category}")
    return client.post(f"/dispatch/intake/{category}", data={"csrf_token": token, **form})


def test_a_phone_request_reaches_the_map_with_its_channel(client, session, office):
    login(client, "dispatcher@example.test", PASSWORD)
    answer = enter(client, channel="phone", lat="10.005", lon="100.015",
                   description="ไฟดับหน้าบ้าน", reporter_name="ป้าแดง", reporter_phone="0891112222",
                   **{"attribute[lights_out]": "2"})
    assert answer.status_code == 303
    code = re.search(r"/dispatch/receipt/([A-Z0-9-]+)$", answer.headers["Location"]).group(1)
    case = session.scalars(select(Incident).where(Incident.tracking_code == code)).one()
    assert (case.channel, case.village.number, case.reporter_phone) == ("phone", 2, "0891112222")
    assert case.attributes == {"lights_out": 2}
    assert case.events[0].actor_label == office["staff"]["dispatcher"].display_name
    features = client.get("/api/dispatch/cases.geojson").get_json()["features"]
    mine = [f["properties"] for f in features if f["properties"]["code"] == code]
    assert mine and mine[0]["channel"] == "phone"


def test_a_village_is_enough_and_no_rate_limit_applies(client, session, office, app):
    app.config["RATELIMIT_REPORTS"] = 1
    login(client, "officer@example.test", PASSWORD)
    for n in range(3):  # a busy counter: more than a citizen's address may send
        answer = enter(client, category="road", channel="counter", village="1",
                       description=f"ถนนหน้าโรงเรียน {n}")
        assert answer.status_code == 303
    cases = session.scalars(select(Incident).where(Incident.channel == "counter")).all()
    assert len(cases) == 3 and all(c.location is None and c.village.number == 1 for c in cases)


def test_an_information_request_needs_no_place(client, session, office):
    login(client, "dispatcher@example.test", PASSWORD)
    answer = enter(client, category="info_request", channel="letter",
                   description="ขอสำเนาแผนพัฒนาท้องถิ่น")
    assert answer.status_code == 303
    assert session.scalars(select(Incident.channel)).one() == "letter"


@pytest.mark.parametrize("form, field", [
    ({"channel": "web"}, "channel"),            # staff channels only
    ({"channel": "pigeon"}, "channel"),
    ({"channel": "phone", "village": "9"}, "village"),
    ({"channel": "phone", "village": "x"}, "village"),
    ({"channel": "phone"}, "location"),          # a streetlight needs a pin or a village
    ({"channel": "phone", "lat": "13.7", "lon": "100.5"}, "location"),  # outside our area
    ({"channel": "phone", "village": "1", "reporter_email": "not-an-address"}, "reporter_email"),
])
def test_bad_values_are_refused_and_what_was_typed_is_kept(client, session, office, form, field):
    login(client, "dispatcher@example.test", PASSWORD)
    answer = enter(client, description="รายละเอียดที่พิมพ์ไว้", **form)
    page = answer.get_data(as_text=True)
    assert 400 <= answer.status_code < 500, field
    assert 'class="form-error"' in page and "รายละเอียดที่พิมพ์ไว้" in page
    assert session.scalars(select(Incident)).first() is None


def test_the_receipt(client, session, office):
    office["org"].phone, office["org"].office_hours = "042 511 234", "จันทร์ถึงศุกร์ 08:30-16:30 น."
    session.commit()
    login(client, "dispatcher@example.test", PASSWORD)
    location = enter(client, channel="counter", village="2", reporter_name="ลุงมี").headers["Location"]
    page = client.get(location).get_data(as_text=True)
    code = location.rsplit("/", 1)[1]
    assert code in page and f"/track/{code}/qr.svg" in page and f"/track/{code}" in page
    assert "2569" in page  # the date in the Buddhist Era
    assert "ไฟฟ้าส่องสว่างดับ" in page and "ที่เคาน์เตอร์" in page
    assert "042 511 234" in page and "08:30-16:30" in page  # whom to ask, and when
    # A reply code: a citizen without e-mail or LINE answers a staff question with it.
    reply_code = re.search(r'id="receipt-reply-code">([A-Z0-9-]+)<', page).group(1)
    incident = session.scalars(select(Incident).where(Incident.tracking_code == code)).one()
    asked = client.post(f"/dispatch/cases/{incident.id}/actions", headers={"Accept": "application/json"},
                        data={"csrf_token": csrf_token(client, "/dispatch/"),
                              "action": "request_info", "note": "เสาต้นไหน"})
    assert asked.status_code == 200, asked.get_data(as_text=True)
    citizen, track = client.application.test_client(), f"/track/{code}"
    opened = citizen.post(f"{track}/answer", data={"csrf_token": csrf_token(citizen, track),
                                                   "reply_code": reply_code})
    assert opened.status_code == 303 and opened.headers["Location"].startswith(f"/reply/{code}?t=")
    # Another organization's staff cannot read it.
    other = make_staff(session, make_org(session, slug="other"), domain="other.test")
    session.commit()
    client.post("/logout", data={"csrf_token": csrf_token(client, "/dispatch/")})
    login(client, "dispatcher@other.test", PASSWORD)
    assert other and client.get(location).status_code == 404


@pytest.mark.parametrize("role, status", [("crew", 403), (None, 302)])
def test_crews_and_strangers_are_refused(client, office, role, status):
    if role:
        login(client, f"{role}@example.test", PASSWORD)
    assert client.get("/dispatch/intake").status_code == status
    assert client.get("/dispatch/intake/streetlight").status_code == status
