"""Field crews' work: the cases on my map, starting work, closing a case with evidence.

Closing is one transaction: the "resolve" step of the workflow with its audit event, the
evidence photos, the checks' results and the review flag. A closing carries an idempotency
key made by the phone, so one sent again after a lost answer returns the first closing; the
same key with other content is refused (409) with the first closing, never silently dropped.
"""
import io
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated

from PIL import Image
from pydantic import BeforeValidator, Field, model_validator
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from mapdash.api.params import Encoding, OneOf, Params, Refusal, Upload, decimal_number
from mapdash.cases import photos, workflow
from mapdash.cases.photos import MAX_PHOTO_BYTES, MAX_PHOTOS
from mapdash.errors import UserError
from mapdash.field import evidence
from mapdash.i18n import _l, in_office_language
from mapdash.models import Closing, Incident, User
from mapdash.vocabulary import IDEMPOTENCY_KEY

DEFAULT_NEARBY_M = 5000
NEARBY_LIMIT = 100
RESULT_LABELS = {"fixed": _l("Fixed"), "cannot_fix": _l("Cannot fix")}
REASON_LABELS = {
    "needs_parts": _l("Waiting for parts or budget"),
    "no_access": _l("Cannot reach the place"),
    "not_found": _l("No problem found there"),
    "not_our_job": _l("Another agency must do it"),
    "other": _l("Other reason"),
}
RESULTS = tuple(RESULT_LABELS)
REASONS = tuple(REASON_LABELS)
# A phone's clock may be a little ahead; a closing stamped later than this is not believed.
_CLOCK_SLACK = timedelta(minutes=5)


def crew_cases(session: Session, crew: User, position: tuple[float, float] | None,
               radius_m: float) -> dict:
    """GeoJSON of my open cases (and those I closed whose evidence a dispatcher still checks),
    and (given my (lon, lat)) open cases of my department within `radius_m`, nearest first,
    each with its report photos and what I may do to it."""
    return session.execute(text("""
        WITH mine AS (
            SELECT id FROM incidents
            WHERE organization_id = :org AND is_open AND assigned_to = :crew
            UNION ALL
            SELECT id FROM incidents
            WHERE organization_id = :org AND evidence_review = 'needs_review'
              AND assigned_to = :crew),
        near AS (
            -- Nearest first from the geography index (KNN), stopping at the limit: no join
            -- here, or the planner sorts every case in range instead.
            SELECT i.id FROM incidents i
            WHERE CAST(:lon AS float8) IS NOT NULL
              AND i.organization_id = :org AND i.is_open
              AND i.category_id <> ALL (ARRAY(SELECT id FROM categories WHERE sensitive))
              AND (CAST(:department AS integer) IS NULL OR i.department_id = :department)
              AND ST_DWithin(i.location::geography,
                             ST_SetSRID(ST_MakePoint(:lon, :lat), 4326)::geography, :radius)
            ORDER BY i.location::geography <-> ST_SetSRID(ST_MakePoint(:lon, :lat), 4326)::geography
            LIMIT :limit),
        picked AS (
            SELECT i.*, i.assigned_to IS NOT DISTINCT FROM :crew AS mine,
                   ST_Distance(i.location::geography,
                               ST_SetSRID(ST_MakePoint(:lon, :lat), 4326)::geography) AS distance_m
            FROM incidents i
            WHERE i.id IN (SELECT id FROM mine UNION SELECT id FROM near))
        SELECT json_build_object('type', 'FeatureCollection', 'features', coalesce(json_agg(
            json_build_object(
                'type', 'Feature', 'id', p.id,
                'geometry', ST_AsGeoJSON(p.location, 6)::json,
                'properties', json_build_object(
                    'code', p.tracking_code, 'status', p.status, 'mine', p.mine,
                    'category_th', c.name_th, 'category_en', c.name_en,
                    'icon', c.icon, 'color', c.color,
                    'village_number', v.number, 'village_th', v.name_th, 'village_en', v.name_en,
                    'description', p.description, 'reported_at', p.created_at,
                    'distance_m', round(p.distance_m::numeric, 0),
                    'can_start', p.mine AND p.status = ANY(:start_from),
                    'can_close', p.mine AND p.status = ANY(:resolve_from),
                    'evidence_review', p.evidence_review,
                    'sent_back_note', CASE WHEN p.evidence_review = 'sent_back' THEN (
                        SELECT e.note FROM incident_events e
                        WHERE e.incident_id = p.id AND e.action = 'send_back'
                        ORDER BY e.created_at DESC, e.id DESC LIMIT 1) END,
                    'photos', (SELECT coalesce(json_agg(ph.id ORDER BY ph.id), '[]'::json)
                               FROM photos ph WHERE ph.incident_id = p.id AND ph.kind = 'report'
                                 AND NOT ph.pending)  -- not served until the worker cleans it
                )) ORDER BY p.distance_m NULLS LAST, p.created_at), '[]'::json))
        FROM picked p
        JOIN categories c ON c.id = p.category_id
        LEFT JOIN villages v ON v.id = p.village_id"""), {
        "crew": crew.id, "org": crew.organization_id, "department": crew.department_id,
        "lon": position[0] if position else None, "lat": position[1] if position else None,
        "radius": radius_m, "limit": NEARBY_LIMIT,
        "start_from": sorted(workflow.TRANSITIONS["start"].sources),
        "resolve_from": sorted(workflow.TRANSITIONS["resolve"].sources),
    }).scalar_one()


def start_work(session: Session, incident_id: int, crew: User) -> Incident:
    """The crew is on the way or on site. Pressing it again (or a queued start arriving after
    the work began) changes nothing."""
    incident = session.get(Incident, incident_id)
    if incident is not None and incident.status == "in_progress" \
            and incident.assigned_to == crew.id:
        return incident
    workflow.perform(session, incident_id, "start", crew)
    return session.get_one(Incident, incident_id)


def _moment(value):
    """The phone's time of closing, ISO 8601 with its zone. Anything else is not believed
    (the time received is used instead), never refused."""
    if not isinstance(value, str):
        return value
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


_BAD_POSITION = Refusal("bad_position", _l("The phone's position is not valid"), field="position")


class ClosingForm(Params):
    """What the phone sends (a multipart form), checked before anything is stored."""
    idempotency_key: Annotated[str, Field(
        pattern=IDEMPOTENCY_KEY.pattern,
        description="Made by the phone once per closing: sent again after a lost answer, the "
                    "first closing is returned."),
        Refusal("bad_key", _l("The closing has no valid idempotency key: reload the page"))]
    result: Annotated[str, OneOf(RESULTS),
                      Refusal("bad_result", _l("Choose the result: fixed, or cannot fix"))]
    reason: Annotated[str | None, OneOf(REASONS), Field(description="Required with cannot_fix."),
                      Refusal("reason_required", _l("Choose why it cannot be fixed"))] = None
    note: Annotated[str, Field(min_length=1, max_length=workflow.MAX_NOTE,
                               description="What was done."),
                    Refusal("note_required", _l("Write a short note of what was done")),
                    Refusal("too_long", _l("The note is longer than %(limit)s characters",
                                           limit=format(workflow.MAX_NOTE, ",")),
                            when=("string_too_long",))]
    lat: Annotated[float | None, Field(ge=-90, le=90, allow_inf_nan=False),
                   BeforeValidator(decimal_number), _BAD_POSITION] = None
    lon: Annotated[float | None, Field(ge=-180, le=180, allow_inf_nan=False),
                   BeforeValidator(decimal_number), _BAD_POSITION] = None
    # At most half the Earth's circumference, which also keeps it a PostgreSQL real.
    accuracy: Annotated[float | None, Field(ge=0, le=20_000_000, allow_inf_nan=False,
                                            description="Metres."),
                        BeforeValidator(decimal_number), _BAD_POSITION] = None
    closed_at: Annotated[datetime | None, Field(
        description="When the crew closed it (an outbox may send it hours later); default and "
                    "outside [report, now]: the time received."), BeforeValidator(_moment)] = None
    photos: Annotated[list[Upload], Field(
        min_length=1, max_length=MAX_PHOTOS,
        description=f"JPEG, PNG or WebP, at most {MAX_PHOTO_BYTES // 2**20} MB each."),
        Encoding({"contentType": "image/jpeg, image/png, image/webp"}),
        Refusal("photo_required", _l("Take or choose at least one evidence photo")),
        Refusal("too_many_photos", _l("At most %(n)s photos", n=MAX_PHOTOS),
                when=("too_long",))]

    @model_validator(mode="before")
    @classmethod
    def _reason_only_for_cannot_fix(cls, raw):
        if isinstance(raw, dict) and raw.get("result") != "cannot_fix":
            return {key: value for key, value in raw.items() if key != "reason"}
        return raw

    @model_validator(mode="after")
    def _complete(self):
        if self.result == "cannot_fix" and self.reason is None:
            raise self.refuse("reason")
        if (self.lat is None) != (self.lon is None):
            raise self.refuse("lat")
        return self

    @property
    def position(self) -> tuple[float, float] | None:
        """(lon, lat) of the phone, when it sent one."""
        return (self.lon, self.lat) if self.lon is not None and self.lat is not None else None


def _closed_at(form: ClosingForm, incident: Incident, now: datetime) -> datetime:
    """The phone's moment of closing, kept between the report and now (plus clock slack)."""
    moment = form.closed_at
    if moment is None or not incident.created_at <= moment <= now + _CLOCK_SLACK:
        return now
    return min(moment, now)


class ClosingConflict(UserError):
    """The key already closed the case with another result, reason, note or number of
    photos: the first closing stands, and the answer (409) carries it for the phone to show."""

    def __init__(self, first: Closing):
        super().__init__("closing_conflict", _l(
            "This closing was already sent with another result, note or photos: the first "
            "closing was kept"), field="idempotency_key", status=409)
        self.first = {"closing": first.id, "case": first.incident.tracking_code,
                      "result": first.result, "reason": first.reason, "note": first.note,
                      "photos": len(first.photos)}

    def as_dict(self) -> dict:
        return {**super().as_dict(), "first_closing": self.first}


def _replay(session: Session, form: ClosingForm, incident_id: int, crew: User) -> Closing | None:
    """The closing already made with this key, if any: a re-send of the same closing (what
    the crew chose and wrote, and as many photos; the phone may re-encode them). Requests
    with the same key wait for each other here, so a retry racing the first try still finds
    one closing."""
    key = form.idempotency_key
    session.execute(text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 5))"), {"key": key})
    closing = session.scalars(select(Closing).where(Closing.idempotency_key == key)).first()
    if closing is None:
        return None
    if closing.incident_id != incident_id or closing.crew_id != crew.id:
        raise UserError("key_reused", _l("This idempotency key belongs to another closing"),
                        field="idempotency_key", status=409)
    if (closing.result, closing.reason, closing.note, len(closing.photos)) != \
            (form.result, form.reason, form.note, len(form.photos)):
        raise ClosingConflict(closing)
    return closing


def _event_note(form: ClosingForm) -> str:
    """The closing as the case's record tells it: the result, why, and the crew's note."""
    if form.result == "fixed":
        return in_office_language(_l("Fixed: %(note)s", note=form.note))
    return in_office_language(_l("Cannot fix (%(reason)s): %(note)s",
                                 reason=REASON_LABELS[form.reason] if form.reason else "",
                                 note=form.note))


@dataclass
class ClosingOutcome:
    closing: Closing
    replayed: bool  # True: this key had already closed the case; nothing new was stored


def close_case(session: Session, incident_id: int, crew: User, form: ClosingForm,
               now: datetime | None = None) -> ClosingOutcome:
    """Resolve a case with evidence, or return the closing this idempotency key already made.

    Every refusal (not my case, already closed, not a photo, too big, this key's closing said
    otherwise) is a UserError raised before the request commits, so nothing is kept of a
    refused closing. Flushes only."""
    earlier = _replay(session, form, incident_id, crew)
    if earlier is not None:
        return ClosingOutcome(earlier, replayed=True)
    now = now or datetime.now(UTC)

    event = workflow.perform(session, incident_id, "resolve", crew, note=_event_note(form), now=now)
    incident = session.get_one(Incident, incident_id)
    uploads = []
    for upload in form.photos:
        data = photos.read_upload(upload)
        # The capture time is read from the original: the stored copy has no metadata.
        uploads.append((photos.process_image(data), evidence.capture_time(data)))

    evidence.hash_report_photos(session, incident,
                                lambda photo: photos.photo_path(photo).read_bytes())
    checked = [evidence.EvidencePhoto(Image.open(io.BytesIO(processed.data)), captured_at)
               for processed, captured_at in uploads]
    checks = evidence.run_checks(session, incident, checked, form.position)
    flagged = evidence.needs_review(checks)

    closing = Closing(
        incident_id=incident.id, crew_id=crew.id, event_id=event.id,
        idempotency_key=form.idempotency_key, result=form.result,
        reason=form.reason, note=form.note,
        closed_at=_closed_at(form, incident, now), received_at=now,
        position=f"SRID=4326;POINT({form.lon!r} {form.lat!r})" if form.position else None,
        position_accuracy_m=form.accuracy if form.position else None, checks={"checks": checks},
        needs_review=flagged)
    session.add(closing)
    session.flush()
    for (processed, captured_at), seen in zip(uploads, checked, strict=True):
        photos.store_photo(session, incident, processed, "evidence", closing_id=closing.id,
                           phash=seen.phash, captured_at=captured_at)
    incident.evidence_review = "needs_review" if flagged else None
    session.flush()
    return ClosingOutcome(closing, replayed=False)
