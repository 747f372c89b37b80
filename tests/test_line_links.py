"""The signed LINE link: from a LINE reply through the report form (and the +1) to the case."""
import re
import time

from itsdangerous import TimestampSigner, URLSafeTimedSerializer
from sqlalchemy import select

from mapdash.integrations.line import links
from mapdash.models import Follower, Incident
from tests.factories import make_incident

USER = "U" + "4" * 32
SECRET = "test-secret"  # tests.support.make_app's SECRET_KEY


def form_fields(client, path: str) -> tuple[str, dict]:
    page = client.get(path).get_data(as_text=True)
    fields = dict(re.findall(r'<input type="hidden" name="([a-z_]+)" value="([^"]*)"', page))
    return page, fields


def send_report(client, path: str, **extra):
    page, fields = form_fields(client, path)
    data = {**fields, "lat": "17.35", "lon": "104.62", "description": "ไฟดับหน้าวัด", **extra}
    return page, client.post("/report/streetlight", data=data)


def reported(session) -> Incident:
    return session.scalars(select(Incident).where(Incident.description == "ไฟดับหน้าวัด")).one()


def old_token(user: str, age_seconds: int) -> str:
    class Earlier(TimestampSigner):
        def get_timestamp(self):
            return int(time.time()) - age_seconds
    return URLSafeTimedSerializer(SECRET, salt=links.SALT, signer=Earlier).dumps(user)


def test_a_report_through_the_signed_link_remembers_the_line_user(demo_client, demo_session):
    token = links.sign_user(SECRET, USER)
    page, response = send_report(demo_client, f"/report/streetlight?line={token}")
    assert "คุณจะได้รับแจ้งความคืบหน้าทาง LINE" in page and USER not in page
    assert response.status_code == 303
    assert reported(demo_session).reporter_line_user == USER
    status_page = demo_client.get(response.headers["Location"]).get_data(as_text=True)
    assert USER not in status_page and token not in status_page


def test_a_forged_token_reports_without_the_line_user(demo_client, demo_session):
    forged = links.sign_user("another-secret", USER)
    page, response = send_report(demo_client, f"/report/streetlight?line={forged}",
                                 line=forged)
    assert "ลิงก์จาก LINE หมดอายุแล้ว" in page and 'name="line"' not in page
    assert response.status_code == 303
    assert reported(demo_session).reporter_line_user is None


def test_an_expired_token_reports_without_the_line_user(demo_client, demo_session):
    stale = old_token(USER, links.MAX_AGE_SECONDS + 60)
    _, response = send_report(demo_client, "/report/streetlight", line=stale)
    assert response.status_code == 303
    assert reported(demo_session).reporter_line_user is None
    assert links.user_from_token(SECRET, old_token(USER, links.MAX_AGE_SECONDS - 60)) == USER


def test_tokens_that_are_not_a_line_user_are_refused():
    assert links.user_from_token(SECRET, None) is None
    assert links.user_from_token(SECRET, "garbage") is None
    other_salt = URLSafeTimedSerializer(SECRET, salt="another-purpose").dumps(USER)
    assert links.user_from_token(SECRET, other_salt) is None
    for payload in (["U1"], "", "U" * 65):
        assert links.user_from_token(SECRET, URLSafeTimedSerializer(
            SECRET, salt=links.SALT).dumps(payload)) is None


def test_same_problem_from_the_line_link_lets_line_tell_the_follower(demo_app, demo_client,
                                                                     demo_session):
    with demo_app.app_context():
        case = make_incident(demo_session, lon=104.62, lat=17.35)
        demo_session.commit()
    token = links.sign_user(SECRET, USER)
    _, fields = form_fields(demo_client, f"/report/streetlight?line={token}")
    response = demo_client.post(f"/track/{case.tracking_code}/follow", data=fields)
    assert response.status_code == 303
    follower = demo_session.scalars(select(Follower).where(Follower.incident_id == case.id)).one()
    assert follower.line_user == USER


def test_the_line_user_survives_a_form_error(demo_client, demo_session):
    token = links.sign_user(SECRET, USER)
    _, fields = form_fields(demo_client, f"/report/streetlight?line={token}")
    refused = demo_client.post("/report/streetlight", data={**fields, "description": "ไฟดับหน้าวัด"})
    assert refused.status_code == 400  # no place given
    page = refused.get_data(as_text=True)
    assert f'name="line" value="{token}"' in page and USER not in page
    fields = dict(re.findall(r'<input type="hidden" name="([a-z_]+)" value="([^"]*)"', page))
    response = demo_client.post("/report/streetlight", data={
        **fields, "lat": "17.35", "lon": "104.62", "description": "ไฟดับหน้าวัด"})
    assert response.status_code == 303
    assert reported(demo_session).reporter_line_user == USER
