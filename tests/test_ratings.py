"""The reporter rates a resolved case (once) or says it is not fixed (within the
organization's days), proven by their reply code or the link of their "resolved" message."""
import re
import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, update

from mapdash import db as database
from mapdash.cases import ratings, replies, workflow
from mapdash.errors import UserError
from mapdash.integrations.notify.worker import Worker
from mapdash.models import (
    AdminChange,
    CaseRating,
    Department,
    Follower,
    Incident,
    IncidentEvent,
    Organization,
)
from tests.crew_support import PASSWORD, make_user
from tests.factories import make_incident, make_org
from tests.line_fake import ACCESS_TOKEN, CHANNEL_SECRET
from tests.smtp_support import SmtpServer
from tests.support import csrf_token, login, make_app

RESOLVED_AT = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


@pytest.fixture
def world(app, session):
    org = make_org(session)
    people = {"org": org,
              "dispatcher": make_user(session, org, "dispatcher", "dispatcher@test.mapdash.test"),
              "admin": make_user(session, org, "admin", "admin@test.mapdash.test")}
    session.commit()
    return people


def resolved_case(session, dispatcher, at=RESOLVED_AT, **fields):
    """A case reported on the web form (with a reply code), accepted and resolved at `at`;
    (case, its reply code)."""
    case = make_incident(session, description="ไฟดับหน้าวัด", **fields)
    code = replies.issue_reply_code(case)
    case.created_at = at - timedelta(days=2)
    workflow.perform(session, case.id, "accept", dispatcher, now=at - timedelta(days=1))
    workflow.perform(session, case.id, "resolve", dispatcher, note="เปลี่ยนหลอดไฟแล้ว", now=at)
    session.commit()
    return case, code


def refused(call) -> UserError:
    with pytest.raises(UserError) as caught:
        call()
    return caught.value


def counts(session, case) -> tuple[int, str, int, int]:
    """(ratings, status, reopen_count, events) of the case as stored."""
    session.expire_all()
    incident = session.get(Incident, case.id)
    return (session.scalar(select(func.count()).select_from(CaseRating)
                           .where(CaseRating.incident_id == case.id)),
            incident.status, incident.reopen_count,
            session.scalar(select(func.count()).where(IncidentEvent.incident_id == case.id)))


def test_once_per_case_only_when_resolved_and_within_bounds(session, world):
    dispatcher = world["dispatcher"]
    case = make_incident(session)
    session.commit()
    assert refused(lambda: ratings.rate(session, case.id, 5, "")).code == "not_resolved"
    session.rollback()
    case, _ = resolved_case(session, dispatcher, lon=100.015)
    for stars in (0, 6, None, -1):
        assert refused(lambda s=stars: ratings.rate(session, case.id, s, "")).code == "bad_stars"
    too_long = refused(lambda: ratings.rate(session, case.id, 4, "ก" * 1001))
    assert (too_long.code, too_long.field, too_long.status) == ("too_long", "comment", 400)
    session.rollback()
    assert counts(session, case)[0] == 0

    rating = ratings.rate(session, case.id, 4, "  ก" * 333 + " ", now=RESOLVED_AT + timedelta(hours=3))
    session.commit()
    assert (rating.stars, len(rating.comment), rating.created_at) == (
        4, 999 - 2, RESOLVED_AT + timedelta(hours=3))
    again = refused(lambda: ratings.rate(session, case.id, 1, "แย่"))
    assert (again.code, again.status) == ("already_rated", 409)
    session.rollback()

    # Reopened (by the reporter) and resolved again: still rated once, the first rating kept.
    ratings.not_fixed(session, case.id, "ยังดับอยู่", now=RESOLVED_AT + timedelta(days=1))
    workflow.perform(session, case.id, "accept", dispatcher, now=RESOLVED_AT + timedelta(days=2))
    workflow.perform(session, case.id, "resolve", dispatcher, note="ซ่อมใหม่",
                     now=RESOLVED_AT + timedelta(days=3))
    session.commit()
    assert refused(lambda: ratings.rate(session, case.id, 2, "")).code == "already_rated"
    session.rollback()
    assert session.get(CaseRating, case.id).stars == 4


def test_not_fixed_within_the_window_reopens_as_new_and_counts(session, world):
    case, _ = resolved_case(session, world["dispatcher"])
    deadline = RESOLVED_AT + timedelta(days=14)
    feedback = ratings.feedback(session, case, deadline)
    assert feedback.can_rate and feedback.not_fixed_until == deadline
    assert not feedback.window_closed

    assert refused(lambda: ratings.not_fixed(session, case.id, "  ", now=deadline)).code == \
        "note_required"
    session.rollback()
    ratings.not_fixed(session, case.id, "ไฟยังดับอยู่ครับ", now=deadline)
    session.commit()
    _, status, reopened, _ = counts(session, case)
    assert (status, reopened) == ("new", 1)
    event = session.scalars(select(IncidentEvent).where(IncidentEvent.incident_id == case.id)
                            .order_by(IncidentEvent.id.desc()).limit(1)).one()
    assert (event.action, event.from_status, event.to_status, event.note, event.public,
            event.actor_id, event.created_at) == ("not_fixed", "resolved", "new",
                                                  "ไฟยังดับอยู่ครับ", True, None, deadline)
    incident = session.get(Incident, case.id)
    assert incident.closed_at is None and incident.step_started_at == deadline
    # A second "not fixed" while it is open again is refused; staff reopening counts too.
    twice = refused(lambda: ratings.not_fixed(session, case.id, "อีกครั้ง", now=deadline))
    assert (twice.code, twice.status) == ("already_reopened", 409)
    session.rollback()
    workflow.perform(session, case.id, "accept", world["dispatcher"], note="")
    assert refused(lambda: ratings.not_fixed(session, case.id, "อีกครั้ง")).code == "not_resolved"
    session.rollback()
    workflow.perform(session, case.id, "reject", world["dispatcher"], note="ไม่ใช่ไฟของ อบต.")
    workflow.perform(session, case.id, "reopen", world["dispatcher"], note="ตรวจสอบใหม่")
    session.commit()
    assert counts(session, case)[1:3] == ("accepted", 2)


def test_not_fixed_after_the_window_is_refused_and_the_window_is_the_organizations(
        session, world):
    case, _ = resolved_case(session, world["dispatcher"])
    late = RESOLVED_AT + timedelta(days=14, seconds=1)
    before = counts(session, case)
    assert ratings.feedback(session, case, late).window_closed
    too_late = refused(lambda: ratings.not_fixed(session, case.id, "ยังดับอยู่", now=late))
    assert (too_late.code, too_late.status) == ("not_fixed_too_late", 409)
    assert "14" in too_late.message_th and "14 days" in too_late.message_en
    session.rollback()
    assert counts(session, case) == before
    # The organization allows 30 days: the same answer is now in time.
    session.execute(update(Organization).values(not_fixed_days=30))
    session.commit()
    session.expire_all()
    assert ratings.feedback(session, session.get(Incident, case.id), late).not_fixed_until == \
        RESOLVED_AT + timedelta(days=30)
    ratings.not_fixed(session, case.id, "ยังดับอยู่", now=late)
    session.commit()
    assert counts(session, case)[1:3] == ("new", 1)


def test_only_a_problem_report_can_be_said_not_fixed(session, world):
    case, _ = resolved_case(session, world["dispatcher"], category="info_request")
    in_time = RESOLVED_AT + timedelta(days=1)
    shown = ratings.feedback(session, case, in_time)
    assert shown.can_rate and shown.not_fixed_until is None and not shown.window_closed
    before = counts(session, case)
    answer = refused(lambda: ratings.not_fixed(session, case.id, "ยังไม่ได้", now=in_time))
    assert (answer.code, answer.status) == ("not_reopenable", 409)
    session.rollback()
    assert counts(session, case) == before


def test_a_closing_under_review_is_not_rated_yet(session, world):
    case, _ = resolved_case(session, world["dispatcher"])
    session.execute(update(Incident).where(Incident.id == case.id)
                    .values(evidence_review="needs_review"))
    session.commit()
    session.expire_all()
    assert not ratings.feedback(session, session.get(Incident, case.id), RESOLVED_AT).can_rate
    assert refused(lambda: ratings.rate(session, case.id, 5, "")).code == "not_resolved"


def test_two_ratings_at_once_store_one(app, session, world):
    case, _ = resolved_case(session, world["dispatcher"])
    case_id, start, results = case.id, threading.Barrier(2), []

    def rate(stars):
        with database.new_session(app) as own:
            start.wait()
            try:
                ratings.rate(own, case_id, stars, "")
                own.commit()
                results.append("stored")
            except UserError as refusal:
                own.rollback()
                results.append(refusal.code)

    threads = [threading.Thread(target=rate, args=(stars,)) for stars in (2, 5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == ["already_rated", "stored"]
    assert counts(session, case)[0] == 1


def form_fields(page: str, form_id: str) -> dict:
    form = re.search(rf'<form[^>]*id="{form_id}".*?</form>', page, re.S).group(0)
    return dict(re.findall(r'<input type="hidden" name="([a-z_]+)" value="([^"]*)"', form))


def test_the_reporter_rates_with_their_reply_code_and_only_they_read_their_comment(
        client, session, world):
    case, code = resolved_case(session, world["dispatcher"],
                               at=datetime.now(UTC) - timedelta(days=3))
    path = f"/track/{case.tracking_code}"
    page = client.get(path).get_data(as_text=True)
    assert 'id="rating-form"' in page and 'id="not-fixed-form"' in page
    assert page.count('type="radio" name="stars"') == 5 and 'name="reply_code"' in page
    assert "style=" not in page and "<script>" not in page
    token = csrf_token(client, path)

    def send(**form):
        return client.post(f"{path}/rate", data={"csrf_token": token, **form})

    for form, status, error in (
            ({"stars": "5", "reply_code": "AAAA-BBBB-CCCC"}, 403, "bad_reply_code"),
            ({"stars": "5"}, 403, "bad_reply_code"),
            ({"stars": "7", "reply_code": code}, 400, "bad_stars"),
            ({"stars": "three", "reply_code": code}, 400, "bad_stars"),
            ({"stars": "3", "comment": "x" * 1001, "reply_code": code}, 400, "too_long"),
            ({"stars": "3", "reply_code": code, "t": "forged"}, 403, "bad_rating_link")):
        answer = send(**form)
        assert answer.status_code == status, (form, answer.status_code)
        shown = answer.get_data(as_text=True)
        assert 'id="form-error"' in shown and 'id="rating-form"' in shown, error
        if error == "too_long":
            assert "x" * 1001 in shown  # what was typed is kept
    assert counts(session, case)[0] == 0

    done = send(stars="2", comment="ช้าไปหน่อย\nแต่ก็ซ่อมแล้ว", reply_code=code.lower())
    assert done.status_code == 303 and done.headers["Location"].endswith("rated=1#feedback")
    assert session.get(CaseRating, case.id).stars == 2
    mine = client.get(done.headers["Location"]).get_data(as_text=True)
    assert 'id="rating-thanks"' in mine and 'data-stars="2"' in mine
    assert "ช้าไปหน่อย" in mine and 'id="rating-form"' not in mine
    # The not fixed button is still offered, within the days; a second rating is refused.
    assert 'id="not-fixed-form"' in mine
    assert send(stars="5", reply_code=code).status_code == 409
    # A forged link, refused, does not show the comment either.
    stranger = client.application.test_client()
    forged = stranger.post(f"{path}/rate", data={
        "csrf_token": csrf_token(stranger, path), "stars": "5", "t": "forged"})
    assert forged.status_code == 403 and "ช้าไปหน่อย" not in forged.get_data(as_text=True)
    # Anyone else with the tracking code sees the stars, not the comment; the "not fixed"
    # form asks them for the reply code, which their browser does not have.
    other = client.application.test_client().get(path).get_data(as_text=True)
    assert 'data-stars="2"' in other and "ช้าไปหน่อย" not in other
    assert 'id="rating-form"' not in other and code not in other
    assert re.search(r'name="reply_code"[^>]*value=""', other)


def test_not_fixed_by_the_link_within_the_days_and_refused_after(app, client, session, world):
    secret = app.config["SECRET_KEY"]
    recent, _ = resolved_case(session, world["dispatcher"], at=datetime.now(UTC) - timedelta(days=13))
    old, _ = resolved_case(session, world["dispatcher"], lon=100.015,
                           at=datetime.now(UTC) - timedelta(days=15))
    link = ratings.make_token(secret, recent.id)
    page = client.get(f"/track/{recent.tracking_code}?t={link}").get_data(as_text=True)
    assert form_fields(page, "not-fixed-form")["t"] == link
    assert 'name="reply_code"' not in page  # the link proves who they are
    token = csrf_token(client, f"/track/{recent.tracking_code}")

    # The link of one case does not open another's.
    wrong = client.post(f"/track/{old.tracking_code}/not-fixed",
                        data={"csrf_token": token, "t": link, "note": "ยังไม่ซ่อม"})
    assert wrong.status_code == 403
    no_note = client.post(f"/track/{recent.tracking_code}/not-fixed",
                          data={"csrf_token": token, "t": link, "note": " "})
    assert no_note.status_code == 400 and 'id="not-fixed" open' in no_note.get_data(as_text=True)
    done = client.post(f"/track/{recent.tracking_code}/not-fixed",
                       data={"csrf_token": token, "t": link, "note": "ไฟยังดับอยู่"})
    assert done.status_code == 303 and "reopened=1" in done.headers["Location"]
    assert counts(session, recent)[1:3] == ("new", 1)
    reopened = client.get(done.headers["Location"]).get_data(as_text=True)
    assert 'id="reopened"' in reopened and "ผู้แจ้งแจ้งว่ายังไม่ได้รับการแก้ไข" in reopened
    assert "ไฟยังดับอยู่" not in reopened  # the reporter's words are for the staff
    assert 'id="rating-form"' not in reopened  # open again: nothing to rate now

    # After the organization's 14 days: not offered, and refused in both languages.
    old_link = ratings.make_token(secret, old.id)
    page = client.get(f"/track/{old.tracking_code}?t={old_link}").get_data(as_text=True)
    assert 'id="not-fixed-form"' not in page and 'id="not-fixed-closed"' in page
    assert 'id="rating-form"' in page  # rating has no deadline
    before = counts(session, old)
    late = client.post(f"/track/{old.tracking_code}/not-fixed",
                       data={"csrf_token": token, "t": old_link, "note": "ยังดับอยู่"})
    assert late.status_code == 409
    shown = late.get_data(as_text=True)
    assert "เกิน 14 วัน" in shown and "more than 14 days" in shown
    assert counts(session, old) == before


def test_an_expired_or_forged_link_is_told_on_the_page(app, client, session, world):
    case, _ = resolved_case(session, world["dispatcher"], at=datetime.now(UTC) - timedelta(days=1))
    page = client.get(f"/track/{case.tracking_code}?t=not-a-token")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert 'id="form-error"' in text and 'name="reply_code"' in text  # the code still works
    assert client.post("/track/NOPE-NOPE/rate", data={
        "csrf_token": csrf_token(client, f"/track/{case.tracking_code}"), "stars": "5"}
    ).status_code == 404


def test_staff_see_the_rating_and_reopens_and_admins_set_the_days(app, client, session, world):
    case, code = resolved_case(session, world["dispatcher"], at=datetime.now(UTC) - timedelta(days=1))
    ratings.rate(session, case.id, 1, "ปิดเรื่องก่อนซ่อมเสร็จ")
    ratings.not_fixed(session, case.id, "ยังดับอยู่")
    session.commit()
    assert login(client, "dispatcher@test.mapdash.test", PASSWORD).status_code == 302
    panel = client.get(f"/dispatch/cases/{case.id}").get_data(as_text=True)
    assert re.search(r'id="reopen-count"[^>]*>1<', panel)
    assert "ปิดเรื่องก่อนซ่อมเสร็จ" in panel and "1 จาก 5 ดาว" in panel
    assert "ยังดับอยู่" in panel  # the reporter's note, in the timeline

    admin = client.application.test_client()
    assert login(admin, "admin@test.mapdash.test", PASSWORD).status_code == 302
    page = admin.get("/admin/organization/").get_data(as_text=True)
    assert 'name="not_fixed_days"' in page and 'value="14"' in page
    token = csrf_token(admin, "/admin/organization/")
    for days in ("0", "366", "abc", "", "1e3"):
        answer = admin.post("/admin/organization/not-fixed-days",
                            data={"csrf_token": token, "not_fixed_days": days})
        assert answer.status_code == 400, days
        assert "1 ถึง 365" in answer.get_data(as_text=True)
    saved = admin.post("/admin/organization/not-fixed-days",
                       data={"csrf_token": token, "not_fixed_days": "30"})
    assert saved.status_code == 303
    session.expire_all()
    assert session.get(Organization, world["org"].id).not_fixed_days == 30
    change = session.scalars(select(AdminChange).order_by(AdminChange.id.desc()).limit(1)).one()
    assert (change.subject, change.before, change.after) == (
        "organization", {"not_fixed_days": 14}, {"not_fixed_days": 30})


# --- The link in the "resolved" message (e-mail and LINE), against local stand-ins ---------

BASE = "https://report.tambon.example"


@pytest.fixture
def smtp():
    with SmtpServer() as server:
        yield server


@pytest.fixture
def napp(database_url, tmp_path, smtp, fake_line):
    application = make_app(database_url, tmp_path / "photos", PUBLIC_BASE_URL=BASE,
                           NOTIFY_BACKOFF_SECONDS=0, LINE_CHANNEL_SECRET=CHANNEL_SECRET,
                           LINE_CHANNEL_ACCESS_TOKEN=ACCESS_TOKEN,
                           LINE_API_BASE_URL=fake_line.url, **smtp.settings())
    yield application
    application.extensions["db_engine"].dispose()


@pytest.fixture
def ndb(napp):
    with database.new_session(napp, expire_on_commit=True) as s:
        yield s


def drain(app) -> None:
    worker = Worker(app)
    for _ in range(20):
        if worker.run_once() == 0:
            return
    raise AssertionError("the outbox never emptied")


def test_the_resolved_message_carries_the_reporters_own_link_to_rate(napp, ndb, smtp, fake_line):
    org = make_org(ndb)
    dispatcher = make_user(ndb, org, "dispatcher", "dispatcher@test.mapdash.test")
    ndb.execute(update(Department).values(notify_email="engineering@tambon.example"))
    line_user = "U" + "5" * 32
    by_mail = make_incident(ndb, reporter_email="somchai@example.test")
    by_line = make_incident(ndb, lon=100.015, reporter_line_user=line_user)
    ndb.add(Follower(incident_id=by_mail.id, email="neighbour@example.test"))
    ndb.commit()
    for case in (by_mail, by_line):
        workflow.perform(ndb, case.id, "accept", dispatcher)
        workflow.perform(ndb, case.id, "resolve", dispatcher, note="เปลี่ยนหลอดไฟแล้ว")
        ndb.commit()
    drain(napp)

    code = by_mail.tracking_code
    resolved = {r.recipients[0]: r.message for r in smtp.mailbox.received
                if r.message["Subject"].startswith(f"เรื่อง {code} ดำเนินการแล้ว")}
    mine = resolved["somchai@example.test"].get_body(("plain",)).get_content()
    rate_link = re.search(rf"{re.escape(BASE)}/track/{code}\?t=\S+", mine).group(0)
    assert "ภายใน 14 วัน" in mine and "within 14 days" in mine
    html = resolved["somchai@example.test"].get_body(("html",)).get_content()
    assert f'href="{rate_link}"' in html
    # The follower hears it is resolved, without the reporter's link.
    theirs = resolved["neighbour@example.test"].get_body(("plain",)).get_content()
    assert "?t=" not in theirs and f"{BASE}/track/{code}" in theirs

    [push] = [p for p in fake_line.pushes if p["to"] == line_user
              and "ดำเนินการแล้ว" in p["messages"][0]["text"]]
    line_link = re.search(rf"{re.escape(BASE)}/track/{by_line.tracking_code}\?t=\S+",
                          push["messages"][0]["text"]).group(0)

    # The links work: each opens its own case's rating form, and only its own.
    client = napp.test_client()
    path = rate_link.removeprefix(BASE)
    page = client.get(path).get_data(as_text=True)
    fields = form_fields(page, "rating-form")
    assert client.post(f"/track/{by_line.tracking_code}/rate",
                       data={**fields, "stars": "5"}).status_code == 403
    rated = client.post(f"/track/{code}/rate", data={**fields, "stars": "5", "comment": "ขอบคุณค่ะ"})
    assert rated.status_code == 303
    line_page = client.get(line_link.removeprefix(BASE)).get_data(as_text=True)
    not_fixed = client.post(f"/track/{by_line.tracking_code}/not-fixed",
                            data={**form_fields(line_page, "not-fixed-form"), "note": "ยังดับอยู่"})
    assert not_fixed.status_code == 303
    ndb.expire_all()
    assert ndb.get(CaseRating, by_mail.id).comment == "ขอบคุณค่ะ"
    assert ndb.get(Incident, by_line.id).reopen_count == 1

    # The department's staff hear that the LINE reporter's case is not fixed.
    drain(napp)
    [alert] = [r for r in smtp.mailbox.received if r.recipients == ["engineering@tambon.example"]
               and "ยังดับอยู่" in r.message.get_body(("plain",)).get_content()]
    assert by_line.tracking_code in alert.message["Subject"]
    assert f"{BASE}/dispatch/?case={by_line.id}" in alert.message.get_body(("plain",)).get_content()
