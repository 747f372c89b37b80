"""No ID number, bank account or document of an application is reachable without the right
role (the type's department, the admins) or the applicant's tracking code and reply code:
every such URL tried anonymously, as another department's officer, as a dispatcher, and as
another citizen."""
import re

import pytest
from sqlalchemy import select

from mapdash.cases import workflow
from mapdash.models import CaseDocument, Category, Incident, Registration
from tests.crew_support import PASSWORD
from tests.registration_support import ACCOUNT, FORM_PATH, GOOD_ID, GOOD_ID_DIGITS, documents, fields, world
from tests.support import csrf_token, login

SECRETS = (GOOD_ID_DIGITS, GOOD_ID, ACCOUNT, "020-1-23456-7", "12/3 ซอยวัด")


@pytest.fixture
def applied(app, client, session):
    """An approved application with its three documents, sent from `client` (the
    applicant's phone, which keeps the reply code)."""
    people = world(session)
    session.commit()
    data = {**fields(), **documents(), "csrf_token": csrf_token(client, FORM_PATH)}
    response = client.post(FORM_PATH, data=data, content_type="multipart/form-data")
    assert response.status_code == 303
    incident = session.scalars(select(Incident).order_by(Incident.id.desc())).first()
    workflow.perform(session, incident.id, "accept", people["welfare"])
    workflow.perform(session, incident.id, "resolve", people["welfare"], note="อนุมัติ")
    session.commit()
    category_id = session.scalar(select(Category.id).where(Category.code == "elderly_allowance"))
    year = session.get(Registration, incident.id).fiscal_year
    document_ids = session.scalars(select(CaseDocument.id).where(
        CaseDocument.incident_id == incident.id)).all()
    return {"people": people, "incident": incident, "documents": document_ids, "urls": {
        "panel": f"/dispatch/cases/{incident.id}",
        "list": f"/dispatch/registrations/?type={category_id}&year={year}",
        "export": f"/dispatch/registrations/{category_id}/{year}/approved.xlsx",
        "track": f"/track/{incident.tracking_code}",
        "search": "/dispatch/cases?q=ทดสอบ",
        "public list": "/cases?org=test-tambon",
        "open data": "/opendata/cases.csv?org=test-tambon",
        "open311": "/open311/v2/requests.json?jurisdiction_id=test-tambon",
        **{f"document {n}": f"/documents/{doc_id}" for n, doc_id in enumerate(document_ids)}}}


def signed_in(app, email):
    client = app.test_client()
    login(client, email, PASSWORD)
    return client


def assert_no_secret(response, who, what):
    body = response.get_data()
    for secret in SECRETS:
        assert secret.encode() not in body, (who, what, secret)
    if what.startswith("document") or what == "export":
        assert response.status_code in (302, 403, 404), (who, what, response.status_code)


def test_every_url_refuses_who_may_not_read(app, applied):
    visitors = {
        "anonymous": app.test_client(),
        "another citizen": app.test_client(),
        "engineering officer": signed_in(app, "engineer@test.mapdash.test"),
        "dispatcher": signed_in(app, "dispatch@test.mapdash.test"),
    }
    for who, client in visitors.items():
        for what, url in applied["urls"].items():
            assert_no_secret(client.get(url), who, what)
    # What each is answered: a login page, or a 404 that says nothing of the case.
    engineer = visitors["engineering officer"]
    assert engineer.get(applied["urls"]["panel"]).status_code == 404
    assert engineer.get(applied["urls"]["list"]).status_code == 403
    assert engineer.get(applied["urls"]["export"]).status_code == 404
    anonymous = visitors["anonymous"]
    for what in ("panel", "list", "export"):
        assert anonymous.get(applied["urls"][what]).status_code == 302
    # A dispatcher sees the case (its contact, to call), not the numbers nor the documents.
    panel = visitors["dispatcher"].get(applied["urls"]["panel"]).get_data(as_text=True)
    assert 'id="registration-private"' in panel and "/documents/" not in panel


def test_the_department_the_admin_and_the_applicant_may(app, client, applied):
    for email in ("welfare@test.mapdash.test", "admin@test.mapdash.test"):
        staff = signed_in(app, email)
        panel = staff.get(applied["urls"]["panel"]).get_data(as_text=True)
        assert GOOD_ID in panel and ACCOUNT in panel
        assert all(staff.get(f"/documents/{doc_id}").status_code == 200
                   for doc_id in applied["documents"])
        assert staff.get(applied["urls"]["export"]).status_code == 200
        listed = staff.get(applied["urls"]["list"]).get_data(as_text=True)
        assert "1-2345-xxxxx-12-1" in listed and GOOD_ID not in listed
    # The applicant's phone kept the reply code: their own documents open, with no-store.
    own = client.get(f"/documents/{applied['documents'][0]}")
    assert own.status_code == 200 and "no-store" in own.headers["Cache-Control"]
    # Another phone opens them only with the tracking code and the reply code typed.
    other = app.test_client()
    code = applied["incident"].tracking_code
    wrong = other.post(f"/track/{code}/documents", data={
        "reply_code": "AAAA-BBBB-CCCC", "csrf_token": csrf_token(other, f"/track/{code}")})
    assert wrong.status_code == 403
    assert other.get(f"/documents/{applied['documents'][0]}").status_code == 404
    reply_code = client.get(f"/track/{code}").get_data(as_text=True)
    kept = re.search(r'data-reply-code="([A-Z0-9-]+)"', reply_code) or \
        re.search(r'value="([A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4})"', reply_code)
    assert kept, "the applicant's browser shows its reply code"
    opened = other.post(f"/track/{code}/documents", data={
        "reply_code": kept[1], "csrf_token": csrf_token(other, f"/track/{code}")})
    assert opened.status_code == 303
    assert other.get(f"/documents/{applied['documents'][0]}").status_code == 200
