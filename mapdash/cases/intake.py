"""One way in for every channel (web form, Open311, LINE, seed data).

Validates a report, finds the organization and village covering the pin (ST_Covers, in the
caller's transaction), routes it to the category's department, stores its photos and writes
the first audit event: the case and its photos are stored together or not at all.

Also the citizen's other way in: "this is the same problem" (+1) on an open case nearby.
An idempotency key (made when the form is shown) makes a double-tapped submit or +1 count once.
"""
import math
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from mapdash.cases import kinds
from mapdash.cases.events import event_recorded
from mapdash.cases.photos import MAX_PHOTOS, UploadedPhoto, store_photo
from mapdash.cases.questions import check_answers
from mapdash.cases.time_limits import set_id_for
from mapdash.errors import UserError
from mapdash.i18n import _l, _lp, in_office_language
from mapdash.models import Category, Follower, Incident, IncidentEvent, Village
from mapdash.office.orgs import find_organization
from mapdash.vocabulary import CITIZEN_LABEL, EMAIL, IDEMPOTENCY_KEY

# No 0/O, 1/I/L: a code read over the phone must not be misheard.
TRACKING_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
MAX_DESCRIPTION = 4000  # GeoReport v2's limit, for every channel (sql/010)
DUPLICATE_RADIUS_M = 100
OUTSIDE_AREA = _l("This place is outside every area this service covers")


@dataclass
class Report:
    category_code: str
    lon: float | None = None
    lat: float | None = None
    description: str = ""
    reporter_name: str | None = None
    reporter_phone: str | None = None
    reporter_line_id: str | None = None
    reporter_email: str | None = None
    # LINE's userId of a report made from LINE: set by the LINE link's signed token only.
    reporter_line_user: str | None = None
    channel: str = "web"
    organization_slug: str | None = None  # where no pin is asked for
    idempotency_key: str | None = None
    # Answers to the type's extra questions, {code: str or list}: checked by questions.py.
    attributes: dict | None = None
    address: str | None = None  # the place as an Open311 client wrote it
    # Staff intake: the village a caller names when nobody can pin the place (its number).
    village_number: int | None = None


def new_tracking_code() -> str:
    raw = "".join(secrets.choice(TRACKING_ALPHABET) for _ in range(8))
    return f"{raw[:4]}-{raw[4:]}"


def normalize_tracking_code(typed: str) -> str:
    """A code as people type or read it: any case, with or without the dash or spaces."""
    raw = re.sub(r"[^0-9A-Za-z]", "", typed or "").upper()
    return f"{raw[:4]}-{raw[4:]}" if len(raw) == 8 else (typed or "").strip().upper()


def find_by_code(session: Session, typed: str) -> Incident | None:
    return session.scalars(select(Incident).where(
        Incident.tracking_code == normalize_tracking_code(typed))).first()


_AXES = {"longitude": _l("longitude"), "latitude": _l("latitude")}


def parse_coordinate(value, name: str, low: float, high: float) -> float:
    """A finite number within [low, high] (Thai digits welcome), else a UserError."""
    axis = _AXES.get(name, name)
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise UserError("bad_coordinate", _l("The %(axis)s coordinate must be a number", axis=axis),
                        field=name) from None
    if not math.isfinite(number) or not low <= number <= high:
        raise UserError("bad_coordinate", _l("The %(axis)s coordinate must be between %(low)s and %(high)s",
                                             axis=axis, low=format(low, "g"), high=format(high, "g")),
                        field=name)
    return number


def locate(session: Session, lon: float, lat: float) -> tuple[int, int | None] | None:
    """(organization id, village id) covering the point, or None outside every area.

    The smallest covering organization wins (a tambon inside a province); a point on the
    border of two villages goes to the lower-numbered one, so the answer is stable."""
    row = session.execute(text("""
        WITH pt AS (SELECT ST_SetSRID(ST_MakePoint(:lon, :lat), 4326) AS g)
        SELECT o.id, v.id
        FROM organizations o CROSS JOIN pt
        LEFT JOIN LATERAL (
            SELECT id FROM villages
            WHERE organization_id = o.id AND ST_Covers(geom, pt.g)
            ORDER BY number LIMIT 1) v ON true
        WHERE ST_Covers(o.boundary, pt.g)
        ORDER BY ST_Area(o.boundary), o.id
        LIMIT 1"""), {"lon": lon, "lat": lat}).first()
    return (row[0], row[1]) if row else None


def _clean(value: str | None, limit: int, field: str) -> str | None:
    value = (value or "").strip()
    if len(value) > limit:
        raise UserError("too_long", _l("This field is longer than %(limit)s characters",
                                       limit=format(limit, ",")), field=field)
    return value or None


def _email(value: str | None) -> str | None:
    value = _clean(value, 254, "reporter_email")
    if value and not EMAIL.match(value):
        raise UserError("bad_email", _l("This e-mail address is not valid"),
                        field="reporter_email")
    return value


def _contact(name: str | None, phone: str | None, line_id: str | None,
             email: str | None = None) -> tuple:
    return (_clean(name, 200, "reporter_name"), _clean(phone, 40, "reporter_phone"),
            _clean(line_id, 100, "reporter_line_id"), _email(email))


def _idempotency_key(key: str | None) -> str | None:
    if key and not IDEMPOTENCY_KEY.match(key):
        raise UserError("bad_idempotency_key", _l("The form is invalid: reload the page and try again"))
    return key or None


def _constraint(exc: IntegrityError) -> str | None:
    return getattr(getattr(exc.orig, "diag", None), "constraint_name", None)


def create_incident(session: Session, report: Report, *, actor_label: str | None = None,
                    created_at: datetime | None = None,
                    photos: Sequence[UploadedPhoto] = (), category: Category | None = None,
                    reply_code_sha256: str | None = None) -> Incident:
    """Validate and store a new case with its photos and first event. Flushes; the caller
    commits. A report whose idempotency key is already used returns that case unchanged.

    `category`: the active type of that code the caller has already loaded (the form's, the
    Open311 service's), used when it is the covering organization's, instead of reading it
    again. `reply_code_sha256`: the digest of the reporter's reply code (replies.py), stored
    with the new case."""
    key = _idempotency_key(report.idempotency_key)
    if key:
        earlier = session.scalars(select(Incident).where(Incident.idempotency_key == key)).first()
        if earlier is not None:
            return earlier
    if len(photos) > MAX_PHOTOS:
        raise UserError("too_many_photos", _l("At most %(max_photos)s photos per report",
                                              max_photos=MAX_PHOTOS), field="photos")
    description = _clean(report.description, MAX_DESCRIPTION, "description") or ""
    name, phone, line_id, email = _contact(report.reporter_name, report.reporter_phone,
                                           report.reporter_line_id, report.reporter_email)
    if not report.category_code:
        raise UserError("missing_category", _l("Please choose the type of problem"), field="category")

    has_place = report.lon not in (None, "") or report.lat not in (None, "")
    point, org_id, village_id = None, None, None
    if has_place:
        lon = parse_coordinate(report.lon, "longitude", -180, 180)
        lat = parse_coordinate(report.lat, "latitude", -90, 90)
        found = locate(session, lon, lat)
        if found is None:
            raise UserError("outside_area", OUTSIDE_AREA, field="location", status=422)
        org_id, village_id = found
        point = f"SRID=4326;POINT({lon!r} {lat!r})"
    else:
        org = find_organization(session, report.organization_slug)
        if org is None:
            raise UserError("unknown_org", _l("Unknown organization"),
                            status=404)
        org_id = org.id
        if report.village_number is not None:
            village_id = session.scalar(select(Village.id).where(
                Village.organization_id == org_id, Village.number == report.village_number))
            if village_id is None:
                raise UserError("bad_village", _l("Unknown village number"), field="village")

    if category is None or category.organization_id != org_id or \
            category.code != report.category_code or not category.active:
        category = session.scalars(select(Category).where(
            Category.organization_id == org_id, Category.code == report.category_code,
            Category.active)).first()
    if category is None:
        raise UserError("unknown_category",
                        _l("This organization does not take this type of report"), field="category")
    if kinds.asks_place(category) and point is None and village_id is None:
        raise UserError("missing_location", _l("Please mark the place on the map"), field="location")
    answers = check_answers(category.questions, report.attributes or {})

    # One INSERT each for the case and its first event (the ORM's INSERT ... RETURNING):
    # the intake's rate is bounded by its statements and the unit of work's bookkeeping.
    created_at = created_at or datetime.now(UTC)
    incident, earlier = _insert(session, dict(
        organization_id=org_id, category_id=category.id, village_id=village_id,
        department_id=category.department_id, status="new", location=point,
        description=description, channel=report.channel, idempotency_key=key,
        reporter_name=name, reporter_phone=phone, reporter_line_id=line_id,
        reporter_email=email, reporter_line_user=report.reporter_line_user,
        attributes=answers, address=_clean(report.address, 500, "address_string"),
        reply_code_sha256=reply_code_sha256, created_at=created_at, updated_at=created_at,
        # kept when the type's limits change later
        time_limits_id=set_id_for(session, category.sla_minutes)))
    if earlier is not None:
        return earlier
    # What the answer and the outbox read of the case, without loading it again.
    set_committed_value(incident, "category", category)
    reported = session.scalars(insert(IncidentEvent).values(
        incident_id=incident.id, actor_label=actor_label or in_office_language(CITIZEN_LABEL),
        action="report", from_status=None, to_status="new", public=True,
        note=in_office_language(_lp("event note", "Report received")), created_at=created_at)
        .returning(IncidentEvent)).one()
    set_committed_value(reported, "incident", incident)
    for processed in photos:
        store_photo(session, incident, processed, "report")
    event_recorded.send(session, event=reported)  # the department hears of it (outbox)
    return incident


def _insert(session: Session, values: dict) -> tuple[Incident, Incident | None]:
    """Insert the case under a fresh tracking code: (the case, None), or (that case, the
    case a submit with the same idempotency key stored first). ON CONFLICT DO NOTHING
    waits for a concurrent insert of the same key or code, then yields no row."""
    for _ in range(5):
        values["tracking_code"] = new_tracking_code()
        incident = session.scalars(insert(Incident).values(values).on_conflict_do_nothing()
                                   .returning(Incident)).first()
        if incident is not None:
            return incident, None
        if values["idempotency_key"] is not None:
            earlier = session.scalars(select(Incident).where(
                Incident.idempotency_key == values["idempotency_key"])).first()
            if earlier is not None:
                return earlier, earlier
        # else a tracking code already taken (one in ~10^6 at a million cases): redraw
    raise RuntimeError("no free tracking code after 5 draws")


def follow_incident(session: Session, code: str, *, name: str | None = None,
                    phone: str | None = None, line_id: str | None = None,
                    email: str | None = None, idempotency_key: str | None = None,
                    line_user: str | None = None) -> Incident:
    """"This is the same problem": the citizen follows an open case (+1) instead of reporting
    it again. Flushes; the caller commits. A repeated key adds nothing. `line_user`: the
    LINE userId from a verified LINE link, so LINE can tell this follower too."""
    key = _idempotency_key(idempotency_key)
    name, phone, line_id, email = _contact(name, phone, line_id, email)
    incident = find_by_code(session, code)
    if incident is None or incident.category.sensitive:
        raise UserError("unknown_case", _l("No case has this code"),
                        status=404)
    if incident.category.kind == "proposal":  # supported once per person (proposals.py)
        raise UserError("support_proposal", _l("Support a proposal on the proposals page"),
                        status=409)
    if key and session.scalars(select(Follower.id).where(Follower.idempotency_key == key)).first():
        return incident
    if not incident.is_open:
        raise UserError("case_closed", _l("This case is closed: please send a new report"), status=409)
    try:
        with session.begin_nested():
            session.add(Follower(incident_id=incident.id, name=name, phone=phone,
                                 line_id=line_id, email=email, line_user=line_user,
                                 idempotency_key=key))
    except IntegrityError as exc:
        if _constraint(exc) != "incident_followers_idempotency_key_key":
            raise
        return incident  # a concurrent double tap got there first
    session.execute(update(Incident).where(Incident.id == incident.id)
                    .values(followers_count=Incident.followers_count + 1))
    session.add(IncidentEvent(incident_id=incident.id, actor_label=in_office_language(CITIZEN_LABEL),
                              action="follow", from_status=incident.status,
                              to_status=incident.status, public=False,
                              note=in_office_language(_l("A citizen reports the same problem (+1)"))))
    session.flush()
    session.refresh(incident, ["followers_count"])
    return incident


def nearby_open_cases(session: Session, category_code: str, lon: float, lat: float,
                      radius_m: float = DUPLICATE_RADIUS_M, limit: int = 5) -> list[dict]:
    """Open cases of the same type within `radius_m` of the point, nearest first: the hint
    shown before sending. Nothing for sensitive types. Public fields only, and the public
    point: an emergency's coarsened one (sql/014_public_location.sql), for the distance and
    the search alike, or probing the edge of the radius would find the house."""
    rows = session.execute(text("""
        WITH here AS (SELECT ST_SetSRID(ST_MakePoint(:lon, :lat), 4326)::geography AS g)
        SELECT i.tracking_code AS code, i.status, i.created_at, i.followers_count,
               round(ST_Distance(public_location(i.location, c.emergency)::geography, here.g))
                   AS distance_m,
               v.number AS village_number, v.name_th AS village_th, v.name_en AS village_en,
               (SELECT p.id FROM photos p WHERE p.incident_id = i.id AND p.kind = 'report'
                  AND NOT p.pending ORDER BY p.id LIMIT 1) AS photo_id
        FROM here, incidents i
        JOIN categories c ON c.id = i.category_id
        LEFT JOIN villages v ON v.id = i.village_id
        WHERE i.is_open AND c.code = :category AND NOT c.sensitive
          -- the index on the stored points first, then the public points themselves
          AND ST_DWithin(i.location::geography, here.g, :radius + public_location_shift_m())
          AND ST_DWithin(public_location(i.location, c.emergency)::geography, here.g, :radius)
        ORDER BY distance_m, i.id
        LIMIT :limit"""),
        {"lon": lon, "lat": lat, "category": category_code, "radius": radius_m, "limit": limit})
    return [dict(row) for row in rows.mappings()]
