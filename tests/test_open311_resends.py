"""Open311 POSTs sent again (issue 16, item 5): the same Idempotency-Key from the same API key,
or without one the same form within OPEN311_SAME_REQUEST_MINUTES, answers the first
request's service_request_id and files nothing, even when the copies arrive at once; and a
rate limit per API key."""
import threading
import xml.etree.ElementTree as ET

import pytest
from sqlalchemy import func, select, text

from mapdash.models import Incident, Open311Submission
from mapdash.office import apikeys
from tests.factories import make_org

FORM = {"service_code": "road", "lat": "10.005", "long": "100.005", "description": "ถนนแตก"}


@pytest.fixture
def keys(session):
    org = make_org(session)
    made = [apikeys.create_key(session, name, org)[1] for name in ("app one", "app two")]
    session.commit()
    return made


def post(client, key, fmt="json", idempotency_key=None, **fields):
    headers = {"Idempotency-Key": idempotency_key} if idempotency_key is not None else {}
    return client.post(f"/open311/v2/requests.{fmt}", data={"api_key": key, **FORM, **fields},
                       headers=headers)


def filed_id(response) -> str:
    assert response.status_code == 200, response.data
    if response.mimetype == "application/json":
        [answer] = response.get_json()
        return answer["service_request_id"]
    return ET.fromstring(response.data).findtext("request/service_request_id")


def cases(session) -> int:
    session.expire_all()
    return session.scalar(select(func.count()).select_from(Incident))


def age_the_records(session, minutes: int) -> None:
    """As if the requests so far had been filed `minutes` ago."""
    session.execute(text("UPDATE open311_submissions SET created_at = created_at - "
                         "make_interval(mins => :minutes)"), {"minutes": minutes})
    session.commit()


def test_the_same_idempotency_key_answers_the_first_request_whenever_it_comes(
        client, session, keys):
    first = filed_id(post(client, keys[0], idempotency_key="retry-1"))
    assert filed_id(post(client, keys[0], "xml", idempotency_key="retry-1")) == first
    age_the_records(session, 60 * 24)
    assert filed_id(post(client, keys[0], idempotency_key="retry-1")) == first
    assert cases(session) == 1
    # Another key of the client, or the same key of another client: another request.
    assert filed_id(post(client, keys[0], idempotency_key="retry-2")) != first
    assert filed_id(post(client, keys[1], idempotency_key="retry-1")) != first
    assert cases(session) == 3


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_the_same_idempotency_key_with_another_form_is_refused(client, session, keys, fmt):
    filed_id(post(client, keys[0], idempotency_key="retry-1"))
    response = post(client, keys[0], fmt, idempotency_key="retry-1", description="อีกเรื่อง")
    assert response.status_code == 409
    if fmt == "json":
        [error] = response.get_json()
        code, description = error["code"], error["description"]
    else:
        root = ET.fromstring(response.data)
        code, description = int(root.findtext("error/code")), root.findtext("error/description")
    assert code == 409 and "Idempotency-Key" in description and " / " in description
    assert cases(session) == 1


def test_a_refused_request_leaves_nothing_so_its_retry_is_filed(client, session, keys):
    outside = post(client, keys[0], idempotency_key="retry-1", lat="13.75", long="100.5")
    assert outside.status_code == 400
    assert session.scalar(select(func.count()).select_from(Open311Submission)) == 0
    filed_id(post(client, keys[0], idempotency_key="retry-1"))
    assert cases(session) == 1


@pytest.mark.parametrize("value", ["x" * 256, "ไทย", "two words"])
def test_a_bad_idempotency_key_is_a_400(client, session, keys, value):
    response = client.post("/open311/v2/requests.json", data={"api_key": keys[0], **FORM},
                           headers={"Idempotency-Key": value.encode().decode("latin-1")})
    assert response.status_code == 400
    assert "Idempotency-Key" in response.get_json()[0]["description"]
    assert cases(session) == 0


def test_without_a_key_the_same_form_in_the_window_is_the_same_request(client, session, keys):
    first = filed_id(post(client, keys[0]))
    # The same fields and values, in another order and format: the same request.
    reordered = client.post("/open311/v2/requests.xml", data=dict(reversed(
        list({"api_key": keys[0], **FORM}.items()))))
    assert filed_id(reordered) == first
    assert cases(session) == 1
    # One value changed, or another client: another request.
    assert filed_id(post(client, keys[0], description="ถนนแตกอีกจุด")) != first
    assert filed_id(post(client, keys[1])) != first
    assert cases(session) == 3
    age_the_records(session, 9)
    assert filed_id(post(client, keys[0])) == first
    age_the_records(session, 2)  # 11 minutes: a new report of the same thing
    second = filed_id(post(client, keys[0]))
    assert second != first
    assert filed_id(post(client, keys[0])) == second
    assert cases(session) == 4


def test_the_window_is_a_setting(app, client, session, keys):
    app.config["OPEN311_SAME_REQUEST_MINUTES"] = 30
    first = filed_id(post(client, keys[0]))
    age_the_records(session, 20)
    assert filed_id(post(client, keys[0])) == first


@pytest.mark.parametrize("idempotency_key", ["retry-at-once", None])
def test_copies_sent_at_once_file_one_case(app, session, keys, idempotency_key):
    copies, answers = 6, []
    start = threading.Barrier(copies)

    def send():
        client = app.test_client()
        start.wait()
        answers.append(filed_id(post(client, keys[0], idempotency_key=idempotency_key)))

    threads = [threading.Thread(target=send) for _ in range(copies)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert len(answers) == copies and len(set(answers)) == 1
    assert cases(session) == 1


def test_each_api_key_has_a_rate_limit_per_minute(app, client, session, keys):
    app.config["OPEN311_RATELIMIT_PER_MINUTE"] = 3
    filed_id(post(client, keys[0]))
    assert post(client, keys[0], lat="north").status_code == 400  # refused ones count too
    filed_id(post(client, keys[0]))  # a copy sent again counts too
    for fmt in ("json", "xml"):
        response = post(client, keys[0], fmt, description="อีกเรื่อง")
        assert response.status_code == 429
        assert 0 < int(response.headers["Retry-After"]) <= 60
        if fmt == "json":
            [error] = response.get_json()
            assert error["code"] == 429 and "api_key" in error["description"]
        else:
            assert ET.fromstring(response.data).findtext("error/code") == "429"
    assert client.get("/open311/v2/requests.json").status_code == 200  # reads are not limited
    filed_id(post(client, keys[1], description="อีกเรื่อง"))  # nor other keys
    assert cases(session) == 2
