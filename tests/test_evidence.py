"""The evidence checks of a crew's closing, the dispatcher's review, the before/after photos."""
import io
import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest
from PIL import Image
from sqlalchemy import func, select

from mapdash.cases import workflow
from mapdash.errors import UserError
from mapdash.field import evidence, fieldwork
from mapdash.models import Closing, Incident, IncidentEvent, Photo
from tests.crew_support import (
    CASE_LAT,
    CASE_LON,
    assigned_case,
    jpeg,
    make_field,
    resaved_smaller,
    scene,
)
from tests.support import make_app

# About 100 m and 500 m north of the case (a degree of latitude is ~110.6 km here).
NEAR = (CASE_LON, CASE_LAT + 0.0009)
FAR = (CASE_LON, CASE_LAT + 0.0045)


def bits(a: int, b: int) -> int:
    return bin((a ^ b) & (2 ** 64 - 1)).count("1")


def test_perceptual_hash_sees_copies_and_tells_scenes_apart():
    original = jpeg(scene(1))
    copy = Image.open(io.BytesIO(resaved_smaller(original)))
    hashes = [evidence.perceptual_hash(scene(seed)) for seed in range(1, 11)]
    assert bits(hashes[0], evidence.perceptual_hash(copy)) <= evidence.PHASH_MAX_BITS
    distances = [bits(a, b) for i, a in enumerate(hashes) for b in hashes[i + 1:]]
    assert min(distances) > evidence.PHASH_MAX_BITS
    assert all(-2 ** 63 <= h < 2 ** 63 for h in hashes)  # fits PostgreSQL's bigint


def test_capture_time_is_read_from_exif():
    bangkok = timezone(timedelta(hours=7))
    taken = datetime(2025, 3, 4, 9, 30, 0, tzinfo=timezone(timedelta(hours=8)))
    assert evidence.capture_time(jpeg(scene(2), taken=taken)) == taken
    # Without an offset tag, the camera's local time is Thai time.
    image = scene(2)
    out = io.BytesIO()
    exif = Image.Exif()
    exif.get_ifd(0x8769)[36867] = "2025:03:04 09:30:00"
    image.save(out, "JPEG", exif=exif)
    assert evidence.capture_time(out.getvalue()) == datetime(2025, 3, 4, 9, 30, tzinfo=bangkok)
    assert evidence.capture_time(jpeg(scene(2))) is None
    assert evidence.capture_time(b"not an image at all") is None


def stamped(stamp: str, offset: str | None = None) -> bytes:
    """A photo whose EXIF says it was taken at `stamp` (as cameras write it), UTC `offset`."""
    out = io.BytesIO()
    exif = Image.Exif()
    exif.get_ifd(0x8769)[36867] = stamp
    if offset is not None:
        exif.get_ifd(0x8769)[36881] = offset
    scene(3).save(out, "JPEG", exif=exif)
    return out.getvalue()


def test_a_capture_time_no_camera_could_write_is_not_believed():
    bangkok = timezone(timedelta(hours=7))
    # An offset of 99 hours is no offset: the camera's local time is then Thai time.
    assert evidence.capture_time(stamped("2025:03:04 09:30:00", "+99:00")) == \
        datetime(2025, 3, 4, 9, 30, tzinfo=bangkok)
    # Years PostgreSQL would store before year 1 or after 9999 in UTC, which Python cannot read.
    assert evidence.capture_time(stamped("0001:01:01 00:00:00", "+14:00")) is None
    assert evidence.capture_time(stamped("9999:12:31 23:59:59", "-14:00")) is None


@pytest.fixture
def ctx(app, session):
    with app.app_context():
        yield make_field(session)


def close(session, field, photos, position=NEAR, key=None, **form):
    values = {"result": "fixed", "note": "เปลี่ยนหลอดไฟใหม่แล้ว", **form}
    return fieldwork.close_case(session, field.case.id, field.crew, fieldwork.ClosingForm(
        idempotency_key=key or str(uuid.uuid4()),
        lat=str(position[1]) if position else "", lon=str(position[0]) if position else "",
        photos=[io.BytesIO(data) for data in photos], **values))


def failed(closing: Closing) -> set[str]:
    return {check["check"] for check in closing.checks["checks"] if check["ok"] is False}


def test_a_clean_closing_passes_every_check(ctx, session, app):
    taken = datetime.now(UTC) - timedelta(minutes=5)
    outcome = close(session, ctx, [jpeg(scene(7), taken=taken), jpeg(scene(8))])
    closing = outcome.closing
    assert not outcome.replayed and not closing.needs_review and failed(closing) == set()
    checks = {(c["check"], c["photo"]): c for c in closing.checks["checks"]}
    assert checks[("taken_after_report", 1)]["ok"] is True
    assert checks[("taken_after_report", 2)]["ok"] is None  # no capture time: cannot tell
    assert checks[("near_case", None)]["ok"] is True
    assert 90 < checks[("near_case", None)]["detail"]["meters"] < 110
    incident = session.get(Incident, ctx.case.id)
    assert incident.status == "resolved" and incident.closed_at is not None
    assert incident.evidence_review is None
    event = session.get(IncidentEvent, closing.event_id)
    assert event.action == "resolve" and event.actor_id == ctx.crew.id
    assert event.note == "แก้ไขแล้ว: เปลี่ยนหลอดไฟใหม่แล้ว"
    stored = session.scalars(select(Photo).where(Photo.closing_id == closing.id)
                             .order_by(Photo.id)).all()
    assert [p.kind for p in stored] == ["evidence", "evidence"]
    assert stored[0].captured_at == taken.replace(microsecond=0) and stored[1].captured_at is None
    assert all(p.phash is not None for p in stored)
    with app.app_context():
        from mapdash.cases.photos import photo_path
        on_disk = Image.open(photo_path(stored[0]))
        assert not on_disk.getexif()  # the stored copy has no metadata


def test_the_citizens_own_photo_resaved_smaller_is_flagged(ctx, session):
    closing = close(session, ctx, [resaved_smaller(ctx.citizen_photo)]).closing
    assert closing.needs_review and failed(closing) == {"not_reused"}
    match = next(c for c in closing.checks["checks"] if c["check"] == "not_reused")
    assert match["detail"]["matches"][0]["kind"] == "report"
    assert session.get(Incident, ctx.case.id).evidence_review == "needs_review"
    # The crew is never blocked: the case is resolved all the same.
    assert session.get(Incident, ctx.case.id).status == "resolved"


def test_evidence_already_used_on_another_case_is_flagged(ctx, session):
    first = jpeg(scene(20))
    close(session, ctx, [first])
    other = assigned_case(session, ctx.dispatcher, ctx.crew)
    closing = fieldwork.close_case(session, other.id, ctx.crew, fieldwork.ClosingForm(
        idempotency_key=str(uuid.uuid4()), result="fixed", note="ซ่อมแล้ว",
        lat=str(NEAR[1]), lon=str(NEAR[0]), photos=[io.BytesIO(resaved_smaller(first))])).closing
    assert failed(closing) == {"not_reused"}
    match = next(c for c in closing.checks["checks"] if c["check"] == "not_reused")
    assert match["detail"]["matches"][0]["kind"] == "evidence"
    assert match["detail"]["matches"][0]["tracking_code"] == ctx.case.tracking_code


def test_closing_far_from_the_case_is_flagged(ctx, session):
    closing = close(session, ctx, [jpeg(scene(30))], position=FAR).closing
    assert failed(closing) == {"near_case"}
    near = next(c for c in closing.checks["checks"] if c["check"] == "near_case")
    assert 480 < near["detail"]["meters"] < 520 and near["detail"]["limit"] == 200


def test_the_distance_limit_is_a_setting(database_url, tmp_path, session):
    app = make_app(database_url, tmp_path / "photos", EVIDENCE_MAX_DISTANCE_M=1000)
    with app.app_context():
        field = make_field(session)
        closing = close(session, field, [jpeg(scene(31))], position=FAR).closing
    assert failed(closing) == set()
    app.extensions["db_engine"].dispose()


def test_without_a_position_the_distance_is_not_judged(ctx, session):
    closing = close(session, ctx, [jpeg(scene(32))], position=None).closing
    near = next(c for c in closing.checks["checks"] if c["check"] == "near_case")
    assert near["ok"] is None and not closing.needs_review
    assert session.scalar(select(Closing.position).where(Closing.id == closing.id)) is None


def test_a_photo_taken_before_the_report_is_flagged(ctx, session):
    closing = close(session, ctx, [jpeg(scene(40), taken=ctx.case.created_at - timedelta(days=30))]).closing
    assert failed(closing) == {"taken_after_report"}


def test_cannot_fix_needs_a_reason_and_says_it(ctx, session):
    with pytest.raises(UserError) as refused:
        close(session, ctx, [jpeg(scene(50))], result="cannot_fix")
    assert refused.value.code == "reason_required"
    closing = close(session, ctx, [jpeg(scene(50))], result="cannot_fix", reason="needs_parts",
                    note="หม้อแปลงเสีย รออะไหล่").closing
    assert closing.result == "cannot_fix" and closing.reason == "needs_parts"
    event = session.get(IncidentEvent, closing.event_id)
    assert event.note == "แก้ไขไม่ได้ (ต้องรออะไหล่หรืองบประมาณ): หม้อแปลงเสีย รออะไหล่"


def test_closing_time_is_the_phones_within_reason(ctx, session):
    pressed = datetime.now(UTC) - timedelta(minutes=40)  # closed offline, sent later
    closing = close(session, ctx, [jpeg(scene(60))], closed_at=pressed.isoformat()).closing
    assert closing.closed_at == pressed
    assert closing.received_at > pressed


def test_a_phone_clock_far_off_is_not_believed(ctx, session):
    closing = close(session, ctx, [jpeg(scene(61))], closed_at="2099-01-01T00:00:00+00:00").closing
    assert closing.closed_at == closing.received_at


def test_dispatcher_accepts_flagged_evidence(ctx, session):
    close(session, ctx, [resaved_smaller(ctx.citizen_photo)])
    case = session.get(Incident, ctx.case.id)
    assert {"accept_evidence", "send_back"} <= set(workflow.allowed_actions(ctx.dispatcher, case))
    workflow.perform(session, case.id, "accept_evidence", ctx.dispatcher)
    case = session.get(Incident, ctx.case.id)
    assert case.status == "resolved" and case.evidence_review == "accepted"
    assert "accept_evidence" not in workflow.allowed_actions(ctx.dispatcher, case)
    with pytest.raises(UserError) as refused:
        workflow.perform(session, case.id, "accept_evidence", ctx.dispatcher)
    assert refused.value.code == "no_evidence_review"


def test_dispatcher_sends_flagged_evidence_back_to_the_crew(ctx, session):
    close(session, ctx, [resaved_smaller(ctx.citizen_photo)])
    workflow.perform(session, ctx.case.id, "send_back", ctx.dispatcher, note="รูปซ้ำกับรูปผู้แจ้ง")
    case = session.get(Incident, ctx.case.id)
    assert case.status == "in_progress" and case.evidence_review == "sent_back"
    assert case.closed_at is None
    # The crew closes again, with a real photo this time: the flag goes.
    close(session, ctx, [jpeg(scene(70))])
    case = session.get(Incident, ctx.case.id)
    assert case.status == "resolved" and case.evidence_review is None
    assert session.scalar(select(func.count()).select_from(Closing)
                          .where(Closing.incident_id == case.id)) == 2


def test_evidence_review_actions_need_a_flag(ctx, session):
    close(session, ctx, [jpeg(scene(80))])
    case = session.get(Incident, ctx.case.id)
    assert not {"accept_evidence", "send_back"} & set(workflow.allowed_actions(ctx.dispatcher, case))
    with pytest.raises(UserError):
        workflow.perform(session, case.id, "send_back", ctx.dispatcher, note="x")
    with pytest.raises(UserError) as refused:  # and crews never review their own work
        workflow.perform(session, case.id, "accept_evidence", ctx.crew)
    assert refused.value.status in (403, 404)


def test_before_after_for_the_citizen(ctx, session):
    assert evidence.before_after(session, ctx.case) is None  # not closed yet
    close(session, ctx, [jpeg(scene(90))])
    case = session.get(Incident, ctx.case.id)
    shown = evidence.before_after(session, case)
    assert shown["result"] == "fixed"
    assert [p.kind for p in shown["before"]] == ["report"]
    assert [p.kind for p in shown["after"]] == ["evidence"]


def test_evidence_under_review_is_not_shown_as_the_after(ctx, session):
    close(session, ctx, [resaved_smaller(ctx.citizen_photo)])
    shown = evidence.before_after(session, session.get(Incident, ctx.case.id))
    assert shown["after"] == [] and len(shown["before"]) == 1


def test_review_summary_for_dispatchers(ctx, session):
    close(session, ctx, [resaved_smaller(ctx.citizen_photo)], position=FAR)
    summary = evidence.review(session, session.get(Incident, ctx.case.id))
    assert summary["needs_review"]
    assert {c["check"] for c in summary["checks"] if c["ok"] is False} == {"not_reused", "near_case"}
    assert summary["position"] == pytest.approx({"lat": FAR[1], "lon": FAR[0]})
    assert len(summary["before"]) == 1 and len(summary["after"]) == 1
