"""Service requests: filed through the one intake, read back with the spec's filters.

A service request is a case; its service_request_id is the tracking code the citizen has.
What is returned is what the public pages show, no more: no reporter's contact, no free
text description (people write names and phone numbers in it; the web never publishes
it), no photo of a rejected case, and nothing at all of sensitive types.

Thai appears in this file only as what the address parser reads ("หมู่ 3", "ม.3"): every text a
person reads is in the catalogues.
"""
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import NoReturn

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session, joinedload, selectinload

from mapdash.cases import intake, tracking
from mapdash.cases.questions import from_form
from mapdash.errors import UserError
from mapdash.i18n import (
    LOCAL_TZ,
    LazyText,
    _l,
    both,
    in_office_language,
    localized,
    village_label,
)
from mapdash.integrations.open311.services import find_service
from mapdash.models import (
    ApiKey,
    Category,
    Incident,
    IncidentEvent,
    Organization,
    Village,
)

MAX_RESULTS = 1000           # the spec's default and our cap
MAX_SPAN = timedelta(days=90)
MAX_LIST = 1000              # codes in one service_request_id or service_code list
MAX_URL = 1000
EMERGENCY_NOTICE = _l("Emergency: call 1669 (medical), 191 (police), 199 (fire)")
# ISO 8601 as the spec's W3C note has it, with its zone (Z or ±HH:MM), nothing looser.
_ISO_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?(Z|[+-]\d{2}:\d{2})$")
# A village by its number: "หมู่ 3", "หมู่ที่ ๓", "ม.3", "Moo 3", "village no. 3", anywhere in
# the address (the spec writes it most specific first: a house number may come before it).
_VILLAGE_NUMBER = re.compile(
    r"(?:หมู่บ้าน|หมู่|ม\.|\bmoo|\bvillage)\s*(?:ที่|no\.?)?\s*(\d{1,3})(?!\d)", re.IGNORECASE)
_VILLAGE_EXAMPLE = "หมู่ 3"  # how an address names a village, in any language's message
# Dates a client may search by: any real one, with room for the 90 days around it.
_EARLIEST, _LATEST = datetime(1900, 1, 1, tzinfo=UTC), datetime(9000, 1, 1, tzinfo=UTC)


def _bad(code: str, message: LazyText, status: int = 400) -> NoReturn:
    raise UserError(code, message, status=status)


def _notice(incident: Incident) -> str | None:
    """The spec's service_notice: for emergencies, the numbers to call, in Thai and English."""
    return " / ".join(both(EMERGENCY_NOTICE)) if incident.category.emergency else None


def _datetime(value: str, name: str) -> datetime:
    if not _ISO_DATETIME.match(value):
        _bad("bad_date",
             _l("%(name)s must be an ISO 8601 date and time with its zone, e.g. 2026-11-01T00:00:00+07:00",
                name=name))
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        _bad("bad_date", _l("%(name)s is not a real date and time", name=name))
    if not _EARLIEST <= moment <= _LATEST:
        _bad("bad_date", _l("%(name)s must be between the years 1900 and 9000", name=name))
    return moment


def _list(args, name: str) -> list[str]:
    """A comma-delimited list, which the spec also lets a client declare several times."""
    value = ",".join(args.getlist(name))
    items = list(dict.fromkeys(item.strip() for item in value.split(",") if item.strip()))
    if len(items) > MAX_LIST:
        _bad("too_many", _l("%(name)s takes at most %(n)s values", name=name, n=format(MAX_LIST, ",")))
    return items


@dataclass(frozen=True)
class RequestQuery:
    ids: tuple[str, ...] = ()
    service_codes: tuple[str, ...] = ()
    start: datetime | None = None
    end: datetime | None = None
    statuses: frozenset[str] = frozenset()

    @classmethod
    def from_args(cls, args, now: datetime) -> "RequestQuery":
        """The spec's filters. service_request_id overrides the rest; without dates, the
        last 90 days; a span over 90 days is refused."""
        ids = _list(args, "service_request_id")
        if ids:
            return cls(ids=tuple(intake.normalize_tracking_code(i) for i in ids))
        start, end = args.get("start_date", "").strip(), args.get("end_date", "").strip()
        start = _datetime(start, "start_date") if start else None
        end = _datetime(end, "end_date") if end else None
        if start is None and end is None:
            end = now
        if start is None:
            start = end - MAX_SPAN
        if end is None:
            end = start + MAX_SPAN
        if end < start:
            _bad("bad_date", _l("end_date is before start_date"))
        if end - start > MAX_SPAN:
            _bad("span_too_long", _l("start_date and end_date may be at most 90 days apart"))
        statuses = frozenset(_list(args, "status"))
        if statuses - {"open", "closed"}:
            _bad("bad_status", _l("status must be open or closed (or open,closed)"))
        return cls(service_codes=tuple(_list(args, "service_code")),
                   start=start, end=end, statuses=statuses)


def find_requests(session: Session, org: Organization, query: RequestQuery,
                  photo_url: Callable[[int], str]) -> list[dict]:
    """The organization's requests matching `query`, newest first, at most MAX_RESULTS."""
    where = [Incident.organization_id == org.id, ~Category.sensitive]
    if query.ids:
        where.append(Incident.tracking_code.in_(query.ids))
    else:
        where += [Incident.created_at >= query.start, Incident.created_at <= query.end]
        if query.service_codes:
            where.append(Category.code.in_(query.service_codes))
        if len(query.statuses) == 1:
            where.append(Incident.is_open.is_("open" in query.statuses))
    rows = session.execute(
        select(Incident, func.ST_X(Incident.location), func.ST_Y(Incident.location))
        .join(Category, Category.id == Incident.category_id)
        .options(joinedload(Incident.category), joinedload(Incident.department),
                 joinedload(Incident.village), selectinload(Incident.photos))
        .where(*where).order_by(Incident.created_at.desc(), Incident.id.desc())
        .limit(MAX_RESULTS)).all()
    notes = _latest_public_notes(session, [incident.id for incident, _, _ in rows])
    return [_as_request(incident, lon, lat, notes.get(incident.id), photo_url)
            for incident, lon, lat in rows]


def get_request(session: Session, org: Organization, code: str,
                photo_url: Callable[[int], str]) -> list[dict]:
    found = find_requests(session, org, RequestQuery(ids=(intake.normalize_tracking_code(code),)),
                          photo_url)
    if not found:
        _bad("unknown_request", _l("service_request_id not found"), 404)
    return found


def _latest_public_notes(session: Session, ids: list[int]) -> dict[int, str | None]:
    """The note of each case's latest public event whose note the status page shows (not the
    report's, which only repeats "received", nor the citizen's own answer)."""
    if not ids:
        return {}
    rows = session.execute(text("""
        SELECT DISTINCT ON (incident_id) incident_id, note
        FROM incident_events
        WHERE incident_id = ANY(:ids) AND public AND action <> ALL(:hidden)
        ORDER BY incident_id, created_at DESC, id DESC"""),
        {"ids": ids, "hidden": list(tracking.HIDDEN_NOTES)})
    return {row.incident_id: row.note or None for row in rows}


def _local(moment: datetime | None) -> datetime | None:
    return moment.astimezone(LOCAL_TZ) if moment else None


def _as_request(incident: Incident, lon, lat, note: str | None,
                photo_url: Callable[[int], str]) -> dict:
    photos = tracking.public_photos(incident)
    return {
        "service_request_id": incident.tracking_code,
        "status": "open" if incident.is_open else "closed",
        "status_notes": note,
        "service_name": localized(incident.category),
        "service_code": incident.category.code,
        "description": None,  # the citizen's own words may name people: never published
        "agency_responsible": localized(incident.department),
        "service_notice": _notice(incident),
        "requested_datetime": _local(incident.created_at),
        # the spec: for a closed request, when it was closed
        "updated_datetime": _local(incident.closed_at if not incident.is_open and
                                   incident.closed_at else incident.updated_at),
        "expected_datetime": _local(tracking.expected_completion(incident)),
        "address": in_office_language(village_label(incident.village)) if incident.village else None,
        "lat": lat,
        "long": lon,
        "media_url": photo_url(photos[0].id) if photos else None,
    }


def village_point(session: Session, org: Organization, address: str) -> tuple[float, float]:
    """(lon, lat) inside the village an address names, by number ("หมู่ 3", "ม.3", "3") or
    by name: ST_PointOnSurface, a point surely inside its shape."""
    address = " ".join(address.split())
    villages = session.execute(
        select(Village.number, Village.name_th, Village.name_en,
               func.ST_X(func.ST_PointOnSurface(Village.geom)),
               func.ST_Y(func.ST_PointOnSurface(Village.geom)))
        .where(Village.organization_id == org.id)).all()
    numbers = {int(found) for found in _VILLAGE_NUMBER.findall(address)}
    if address.isdecimal() and len(address) <= 3:
        numbers = {int(address)}  # the number alone
    if numbers:
        matches = [v for v in villages if {v.number} == numbers]  # two numbers: which one?
    else:
        folded = address.casefold()
        named = [(len(name), v) for v in villages for name in (v.name_th, v.name_en)
                 if name and name.casefold() in folded]
        longest = max((length for length, _ in named), default=0)
        matches = list({v.number: v for length, v in named if length == longest}.values())
    if len(matches) != 1:
        _bad("unknown_address", _l("address_string names no single village of this jurisdiction: "
                                   "give its number (e.g. %(example)s) or name, or send lat and long",
                                   example=_VILLAGE_EXAMPLE))
    return matches[0][3], matches[0][4]


def _media_url(value: str) -> str | None:
    value = value.strip()
    if not value:
        return None
    if len(value) > MAX_URL or not re.match(r"^https?://[^\s]+$", value, re.IGNORECASE):
        _bad("bad_media_url", _l("media_url must be an http or https URL"))
    return value


def file_request(session: Session, org: Organization, key: ApiKey, form) -> Incident:
    """A POSTed request, through the same intake as the web form. Flushes.

    The photo at media_url is never fetched by the server (it could point anywhere inside
    our network): its address is kept as a staff-only note for the dispatcher to open."""
    if key.organization_id != org.id:
        _bad("wrong_jurisdiction", _l("This api_key was not issued for this jurisdiction"), 403)
    category = find_service(session, org, form.get("service_code", ""))
    lon, lat = form.get("long", "").strip(), form.get("lat", "").strip()
    address = form.get("address_string", "").strip()
    if not (lon or lat) and address:
        lon, lat = village_point(session, org, address)
    elif not (lon or lat) and category.location_required:
        _bad("missing_location", _l("lat and long, or address_string, must be provided"))
    media_url = _media_url(form.get("media_url", ""))
    name = " ".join(part.strip() for part in (form.get("first_name", ""), form.get("last_name", ""))
                    if part.strip())
    incident = intake.create_incident(session, intake.Report(
        category_code=category.code, lon=lon, lat=lat, description=form.get("description", ""),
        reporter_name=name, reporter_phone=form.get("phone"), reporter_email=form.get("email"),
        channel="open311", organization_slug=org.slug, attributes=from_form(form),
        address=address or None), actor_label=f"Open311: {key.name}")
    if incident.organization_id != org.id:
        _bad("outside_area", _l("This place is outside this jurisdiction's area"))
    if media_url:
        session.add(IncidentEvent(incident_id=incident.id, actor_label=f"Open311: {key.name}",
                                  action="comment", from_status=incident.status,
                                  to_status=incident.status, public=False,
                                  note=in_office_language(_l(
                                      "Photo from the app (not checked, open with care): %(url)s",
                                      url=media_url)),
                                  created_at=incident.created_at))
        session.flush()
    return incident


def filed(incident: Incident) -> list[dict]:
    """The answer to a POST: the id at once, so no token (the spec gives one or the other)."""
    return [{"service_request_id": incident.tracking_code,
             "service_notice": _notice(incident),
             "account_id": None}]


def token_request(session: Session, org: Organization, token: str) -> list[dict]:
    """tokens/{token}: the token is the tracking code itself, as every type is realtime."""
    code = intake.normalize_tracking_code(token)
    found = session.scalars(select(Incident.tracking_code).join(Category).where(
        Incident.tracking_code == code, Incident.organization_id == org.id,
        ~Category.sensitive)).first()
    if found is None:
        _bad("unknown_token", _l("token not found"), 404)
    return [{"service_request_id": found, "token": token}]
