"""Proposals for the local development plan: the form (a village required, nothing stored
half-way), support counted once per person, the staff's outcomes through the workflow, and
the public list per village and fiscal year without anyone's contact."""
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select, text

from mapdash.cases import intake, proposals, workflow
from mapdash.errors import UserError
from mapdash.models import Follower, Incident, Proposal
from tests.factories import make_incident, make_org, make_staff
from tests.support import csrf_token

ORG = "test-tambon"
FORM = f"/report/dev_plan?org={ORG}"


@pytest.fixture
def org(session):
    org = make_org(session, slug=ORG)
    session.commit()
    return org


def propose(client, **fields):
    token = csrf_token(client, FORM)
    data = {"csrf_token": token, "village": "1", "title": "ถนนคอนกรีตหน้าวัด",
            "description": "ถนนเป็นหลุมบ่อ น้ำขังหน้าฝน", "beneficiaries": "120 ครัวเรือน",
            "estimated_cost": "150,000", "reporter_name": "สมชาย ใจดี",
            "reporter_phone": "081-234-5678", **fields}
    return client.post(FORM, data=data)


def code_of(response) -> str:
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    return response.headers["Location"].split("/track/")[1].split("?")[0]


def support(client, code, **contact):
    token = csrf_token(client, f"/proposals?org={ORG}")
    return client.post(f"/proposals/{code}/support?org={ORG}",
                       data={"csrf_token": token, **contact})


def test_a_proposal_without_a_village_is_refused_with_what_was_typed_kept(app, org, session):
    refused = propose(app.test_client(), village="", title="ขยายเขตประปา",
                      description="บ้านท้ายหมู่บ้านยังไม่มีน้ำประปา")
    page = refused.get_data(as_text=True)
    assert refused.status_code == 400
    assert "Choose the village this proposal is for" in page  # the English line of the refusal
    assert "ขยายเขตประปา" in page and "บ้านท้ายหมู่บ้านยังไม่มีน้ำประปา" in page
    assert session.scalar(select(func.count()).select_from(Incident)) == 0
    assert session.scalar(select(func.count()).select_from(Proposal)) == 0
    # A village this organization does not have is refused the same way.
    assert propose(app.test_client(), village="9").status_code == 400
    assert session.scalar(select(func.count()).select_from(Incident)) == 0


def test_a_proposal_is_a_case_of_the_chosen_village_with_its_own_record(app, org, session):
    # The pin lies in village 1 (west); the proposal is village 2's, as the citizen chose.
    code = code_of(propose(app.test_client(), village="2", lat="10.005", lon="100.005"))
    incident = session.scalar(select(Incident).where(Incident.tracking_code == code))
    assert incident.village.number == 2 and incident.category.kind == "proposal"
    record = session.get(Proposal, incident.id)
    assert (record.title, record.beneficiaries, int(record.estimated_cost)) == (
        "ถนนคอนกรีตหน้าวัด", "120 ครัวเรือน", 150000)
    assert record.outcome is None
    page = app.test_client().get(f"/track/{code}?lang=en").get_data(as_text=True)
    assert "ถนนคอนกรีตหน้าวัด" in page and "0 people support this proposal" in page
    assert "Waiting for the plan" in page and "s decision" in page


def test_support_counts_once_per_person_by_phone_email_line_user_or_browser(app, org, session):
    proposer = app.test_client()
    code = code_of(propose(proposer))
    neighbour, same_neighbour_elsewhere, anonymous, other = (app.test_client() for _ in range(4))

    assert support(neighbour, code, reporter_phone="089 999 0000").status_code == 303
    # The same number written another way, from another browser: the same person.
    again = support(same_neighbour_elsewhere, code, reporter_phone="+66899990000")
    assert "supported=again" in again.headers["Location"]
    # The same browser a second time, with no contact at all: counted already.
    assert "supported=again" in support(neighbour, code).headers["Location"]
    # The proposer supporting their own proposal (their phone) adds nothing.
    assert "supported=again" in support(other, code, reporter_phone="0812345678").headers["Location"]
    # Someone new with no contact counts once, by their browser.
    assert "supported=1" in support(anonymous, code).headers["Location"]
    assert "supported=again" in support(anonymous, code).headers["Location"]
    # E-mail addresses compare without case; a new address from a new browser counts.
    assert "supported=1" in support(app.test_client(), code,
                                    reporter_email="Nok@Example.test").headers["Location"]
    assert "supported=again" in support(app.test_client(), code,
                                        reporter_email="nok@example.test").headers["Location"]

    incident = session.scalar(select(Incident).where(Incident.tracking_code == code))
    assert incident.followers_count == 3
    assert session.scalar(select(func.count()).select_from(Follower)) == 3
    # The same rule for LINE users, through the service (the LINE link's signed user).
    contact = proposals.Contact(line_user="U" + "a" * 32)
    assert proposals.support(session, code, contact, "browser-one")[1] is True
    assert proposals.support(session, code, contact, "browser-two")[1] is False
    session.commit()
    assert session.scalar(select(Incident.followers_count).where(Incident.id == incident.id)) == 4
    listed = app.test_client().get(f"/proposals?org={ORG}").get_data(as_text=True)
    assert "<strong>4</strong>" in listed
    # The problem reports' "same problem (+1)" cannot count a proposal past this rule.
    with pytest.raises(UserError) as refused:
        intake.follow_incident(session, code, phone="0899990000")
    assert refused.value.code == "support_proposal"


def test_outcomes_through_the_workflow_and_the_public_list_per_village_and_year(app, org, session):
    staff = make_staff(session, org)
    session.commit()
    client = app.test_client()
    road = code_of(propose(client, title="ถนนหน้าวัด"))
    water = code_of(propose(client, title="ประปาหมู่บ้าน", village="2",
                            reporter_phone="0800000001"))
    light = code_of(propose(client, title="ไฟส่องสว่างซอย 3", reporter_phone="0800000002"))
    same_road = code_of(propose(client, title="ซ่อมถนนหน้าวัด", reporter_phone="0800000003"))
    late = code_of(propose(client, title="ลานกีฬา", reporter_phone="0800000004"))
    ids = dict(session.execute(select(Incident.tracking_code, Incident.id)).all())
    # Proposed in fiscal year 2569 (Nov 2025) but for `late`, in 2570 (Oct 2026: a new year).
    session.execute(text("UPDATE incidents SET created_at = :at"),
                    {"at": datetime(2025, 11, 15, 3, tzinfo=UTC)})
    session.execute(text("UPDATE incidents SET created_at = :at WHERE id = :id"),
                    {"at": datetime(2026, 10, 5, 3, tzinfo=UTC), "id": ids[late]})
    session.commit()
    dispatcher = staff["dispatcher"]

    # Not "resolve" or "reject": a proposal is decided by the plan's actions, with a year.
    assert "resolve" not in workflow.allowed_actions(dispatcher, session.get(Incident, ids[road]))
    with pytest.raises(UserError) as refused:
        workflow.perform(session, ids[road], "reject", dispatcher, note="x")
    assert refused.value.code == "not_for_this_kind"
    with pytest.raises(UserError) as refused:
        workflow.perform(session, ids[road], "take_into_plan", dispatcher, note="ผ่านประชาคม")
    assert refused.value.code == "bad_plan_year"
    session.rollback()
    workflow.perform(session, ids[road], "take_into_plan", dispatcher, plan_year=2571,
                     note="ผ่านเวทีประชาคมหมู่ 1")
    workflow.perform(session, ids[light], "leave_out_of_plan", dispatcher,
                     note="เป็นเขตทางหลวง ส่งต่อแขวงทางหลวง")
    workflow.perform(session, ids[same_road], "mark_duplicate", dispatcher,
                     duplicate_of=ids[road])
    session.commit()
    # A proposal merges into a proposal only (not a problem report).
    report = make_incident(session, "streetlight").id
    session.commit()
    with pytest.raises(UserError) as refused:
        workflow.perform(session, ids[water], "mark_duplicate", dispatcher, duplicate_of=report)
    assert refused.value.code == "bad_duplicate"
    session.rollback()

    outcomes = {row.incident.tracking_code: (row.outcome, row.plan_year, row.merged_into)
                for row in session.scalars(select(Proposal))}
    assert outcomes[road] == ("taken", 2571, None)
    assert outcomes[light] == ("not_taken", None, None)
    assert outcomes[same_road] == ("merged", None, ids[road])
    assert outcomes[water][0] is None
    # The merged proposal's proposer now supports the original.
    assert session.get(Incident, ids[road]).followers_count == 1

    page = app.test_client().get(f"/proposals?org={ORG}&village=1&year=2569&lang=en")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Taken into the local development plan 2571" in html
    assert "Not taken into the plan" in html and "เป็นเขตทางหลวง" in html
    assert f'href="/track/{road}"' in html and "Merged with another proposal" in html
    assert "ประปาหมู่บ้าน" not in html   # village 2
    assert "ลานกีฬา" not in html          # fiscal year 2570
    assert "สมชาย" not in html and "081-234-5678" not in html  # no reporter's contact
    later = app.test_client().get(f"/proposals?org={ORG}&year=2570").get_data(as_text=True)
    assert "ลานกีฬา" in later and "ถนนหน้าวัด" not in later
    # Support is closed once decided; open ones keep their button.
    assert f"/proposals/{road}/support" not in html
    assert support(app.test_client(), road, reporter_phone="0811111111").status_code == 409
    # The tracking page says the outcome with its year; reopening takes the decision back.
    tracked = app.test_client().get(f"/track/{road}?lang=en").get_data(as_text=True)
    assert "Taken into the local development plan 2571" in tracked
    workflow.perform(session, ids[light], "reopen", staff["admin"], note="ทบทวนใหม่")
    session.commit()
    assert session.get(Proposal, ids[light]).outcome is None
