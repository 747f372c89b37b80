"""Intake: one case with its photos or nothing, one case per idempotency key, +1 instead of a
duplicate, the hint of open cases nearby."""
import threading
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mapdash.cases import intake
from mapdash.cases.intake import Report, create_incident
from mapdash.cases.photos import process_image
from mapdash.errors import UserError
from mapdash.models import Follower, Incident, IncidentEvent, Photo
from tests import photo_samples as samples
from tests.factories import make_incident, make_org

INSIDE = (100.005, 10.005)  # village 1 of the test tambon


@pytest.fixture
def org(session):
    organization = make_org(session)
    session.commit()
    return organization


def counts(session) -> tuple[int, int, int]:
    return tuple(session.scalar(select(func.count()).select_from(model))
                 for model in (Incident, Photo, Follower))


def files_under(root) -> list[Path]:
    return sorted(p for p in Path(root).rglob("*") if p.is_file())


def key(n: int = 1) -> str:
    return f"test-key-{n:08d}-abcdef"


def test_a_case_is_stored_with_its_photos_and_first_public_event(app, session, org):
    with app.app_context():
        incident = create_incident(session, Report("streetlight", *INSIDE, description="ไฟดับ"),
                                   photos=[process_image(samples.jpeg()), process_image(samples.png())])
        session.commit()
    assert incident.village.number == 1 and incident.department.code == "engineering"
    assert [p.kind for p in incident.photos] == ["report", "report"]
    assert len(files_under(app.config["PHOTO_DIR"])) == 4  # two photos, two thumbnails
    [event] = incident.events
    assert (event.action, event.to_status, event.public) == ("report", "new", True)


def test_a_case_whose_transaction_fails_leaves_no_photo_and_no_file(app, session, org):
    with app.app_context():
        create_incident(session, Report("streetlight", *INSIDE),
                        photos=[process_image(samples.jpeg()), process_image(samples.webp())])
        session.rollback()
    assert counts(session) == (0, 0, 0)
    assert files_under(app.config["PHOTO_DIR"]) == []


def test_a_disk_that_refuses_the_photo_leaves_no_case(app, session, org, tmp_path):
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the photo folder should be")
    app.config["PHOTO_DIR"] = str(blocked)
    with app.app_context(), pytest.raises(OSError):
        create_incident(session, Report("streetlight", *INSIDE),
                        photos=[process_image(samples.jpeg())])
    session.rollback()
    assert counts(session) == (0, 0, 0)


def test_the_same_idempotency_key_makes_one_case(app, session, org):
    with app.app_context():
        first = create_incident(session, Report("streetlight", *INSIDE, idempotency_key=key()),
                                photos=[process_image(samples.jpeg())])
        session.commit()
        again = create_incident(session, Report("road", *INSIDE, idempotency_key=key()),
                                photos=[process_image(samples.jpeg())])
        session.commit()
    assert again.id == first.id and again.category.code == "streetlight"
    assert counts(session) == (1, 1, 0)
    assert len(files_under(app.config["PHOTO_DIR"])) == 2


def test_a_double_tap_arriving_at_the_same_moment_makes_one_case(app, org):
    """The second insert waits on the unique key of the first, then returns the first case."""
    engine = app.extensions["db_engine"]
    with Session(engine) as first, Session(engine) as second:
        mine = create_incident(first, Report("streetlight", *INSIDE, idempotency_key=key()))
        answer = {}

        def other_tap():
            answer["incident"] = create_incident(second, Report("streetlight", *INSIDE,
                                                                idempotency_key=key()))
            second.commit()

        thread = threading.Thread(target=other_tap)
        thread.start()
        thread.join(timeout=0.5)
        assert thread.is_alive()  # blocked on the uncommitted key
        first.commit()
        thread.join(timeout=10)
        assert answer["incident"].id == mine.id
    with Session(engine) as check:
        assert counts(check) == (1, 0, 0)


@pytest.mark.parametrize("bad_key", ["short", "has spaces in it here", "x" * 65, "<script>alert(1)</script>"])
def test_a_malformed_idempotency_key_is_refused(session, org, bad_key):
    with pytest.raises(UserError) as caught:
        create_incident(session, Report("streetlight", *INSIDE, idempotency_key=bad_key))
    assert caught.value.status == 400


def test_a_tracking_code_already_taken_is_drawn_again(session, org, monkeypatch):
    taken = make_incident(session).tracking_code
    draws = iter([taken, taken, "ZZZZ-2345"])
    monkeypatch.setattr(intake, "new_tracking_code", lambda: next(draws))  # forced collisions
    assert make_incident(session).tracking_code == "ZZZZ-2345"
    session.commit()
    assert counts(session) == (2, 0, 0)


def test_tracking_codes_are_short_unambiguous_and_forgiving_to_type():
    code = intake.new_tracking_code()
    assert len(code) == 9 and code[4] == "-"
    assert not set(code.replace("-", "")) & set("01OIL")
    assert intake.normalize_tracking_code(f" {code.lower().replace('-', ' ')} ") == code
    assert intake.normalize_tracking_code("abcd2345") == "ABCD-2345"
    assert intake.normalize_tracking_code("SYN-42") == "SYN-42"


# ---- bad input: a UserError, and nothing stored --------------------------------------------

@pytest.mark.parametrize("lon, lat, code", [
    ("abc", "10.005", "bad_coordinate"), ("100.005", "สิบ", "bad_coordinate"),
    ("NaN", "10.005", "bad_coordinate"), ("100.005", "nan", "bad_coordinate"),
    ("Infinity", "10.005", "bad_coordinate"), ("100.005", "-inf", "bad_coordinate"),
    ("1e999", "10.005", "bad_coordinate"), ("181", "10.005", "bad_coordinate"),
    ("100.005", "91", "bad_coordinate"), ("100.005", "-90.5", "bad_coordinate"),
    ("0", "0", "outside_area"), ("100.03", "10.005", "outside_area"),
    ("100.005", "", "bad_coordinate"),
])
def test_bad_places_are_refused(session, org, lon, lat, code):
    with pytest.raises(UserError) as caught:
        create_incident(session, Report("streetlight", lon, lat))
    assert caught.value.code == code and caught.value.message_th and caught.value.message_en
    assert 400 <= caught.value.status < 500
    session.rollback()
    assert counts(session) == (0, 0, 0)


def test_a_missing_type_or_place_is_refused(session, org):
    with pytest.raises(UserError) as caught:
        create_incident(session, Report("", *INSIDE))
    assert caught.value.code == "missing_category"
    with pytest.raises(UserError) as caught:
        create_incident(session, Report("streetlight"))
    assert caught.value.code == "missing_location"
    with pytest.raises(UserError) as caught:
        create_incident(session, Report("no_such_type", *INSIDE))
    assert caught.value.code == "unknown_category"


def test_a_type_that_needs_no_place_needs_none(session, org):
    incident = create_incident(session, Report("info_request", organization_slug=org.slug))
    assert incident.location is None and incident.village_id is None


@pytest.mark.parametrize("field, limit", [("description", 4000), ("reporter_name", 200),
                                          ("reporter_phone", 40), ("reporter_line_id", 100)])
def test_too_long_text_is_refused(session, org, field, limit):
    create_incident(session, Report("streetlight", *INSIDE, **{field: "ก" * limit}))
    with pytest.raises(UserError) as caught:
        create_incident(session, Report("streetlight", *INSIDE, **{field: "ก" * 100_000}))
    assert caught.value.code == "too_long" and caught.value.field == field


@pytest.mark.parametrize("address", ["no-at-sign", "two@@example.org", "a b@example.org",
                                     "name@localhost"])
def test_a_malformed_email_is_refused(session, org, address):
    with pytest.raises(UserError) as caught:
        create_incident(session, Report("streetlight", *INSIDE, reporter_email=address))
    assert caught.value.code == "bad_email" and caught.value.field == "reporter_email"
    assert "อีเมล" in caught.value.message_th


def test_the_email_of_a_reporter_and_of_a_follower_is_kept(session, org):
    case = create_incident(session, Report("streetlight", *INSIDE, reporter_email=" a@b.example "))
    session.commit()
    intake.follow_incident(session, case.tracking_code, email="c@d.example")
    session.commit()
    assert case.reporter_email == "a@b.example"
    assert session.scalars(select(Follower.email)).one() == "c@d.example"


def test_more_than_five_photos_are_refused(app, session, org):
    with app.app_context(), pytest.raises(UserError) as caught:
        create_incident(session, Report("streetlight", *INSIDE),
                        photos=[process_image(samples.jpeg())] * 6)
    assert caught.value.code == "too_many_photos"
    assert files_under(app.config["PHOTO_DIR"]) == []


# ---- +1 and the duplicate hint -------------------------------------------------------------

def test_same_problem_adds_a_follower_not_a_case(session, org):
    case = make_incident(session)
    session.commit()
    followed = intake.follow_incident(session, case.tracking_code.lower(), name="สมหญิง",
                                      phone="0800000001", idempotency_key=key(2))
    session.commit()
    assert followed.id == case.id and followed.followers_count == 1
    [follower] = session.scalars(select(Follower)).all()
    assert (follower.name, follower.phone, follower.incident_id) == ("สมหญิง", "0800000001", case.id)
    event = session.scalars(select(IncidentEvent).where(IncidentEvent.action == "follow")).one()
    assert not event.public
    assert counts(session) == (1, 0, 1)


def test_a_double_tapped_plus_one_counts_once(session, org):
    case = make_incident(session)
    for _ in range(2):
        intake.follow_incident(session, case.tracking_code, idempotency_key=key(3))
        session.commit()
    assert session.get(Incident, case.id).followers_count == 1
    intake.follow_incident(session, case.tracking_code, idempotency_key=key(4))
    assert session.get(Incident, case.id).followers_count == 2


def test_plus_one_on_a_closed_secret_or_unknown_case_is_refused(session, org):
    closed = make_incident(session)
    closed.status = "resolved"
    secret = make_incident(session, category="drug_tip")
    session.commit()
    for code, status in ((closed.tracking_code, 409), (secret.tracking_code, 404), ("ZZZZ-ZZZZ", 404)):
        with pytest.raises(UserError) as caught:
            intake.follow_incident(session, code)
        assert caught.value.status == status
    session.rollback()
    assert session.scalar(select(func.count()).select_from(Follower)) == 0


def test_open_cases_of_the_same_type_within_100_m_are_hinted(session, org):
    near = make_incident(session, lon=100.005, lat=10.005)
    make_incident(session, lon=100.005, lat=10.0072)                      # ~155 m north
    make_incident(session, category="road", lon=100.0051, lat=10.005)     # another type
    make_incident(session, lon=100.0052, lat=10.0051).status = "resolved"  # closed
    session.commit()
    found = intake.nearby_open_cases(session, "streetlight", 100.005, 10.0058)  # ~89 m
    assert [case["code"] for case in found] == [near.tracking_code]
    assert 80 <= found[0]["distance_m"] <= 95 and found[0]["village_number"] == 1
    assert not {"reporter_name", "reporter_phone", "reporter_line_id", "description"} & set(found[0])


def test_sensitive_cases_are_never_hinted(session, org):
    make_incident(session, category="drug_tip", reporter_name="ผู้แจ้งลับ")
    session.commit()
    assert intake.nearby_open_cases(session, "drug_tip", *INSIDE) == []
