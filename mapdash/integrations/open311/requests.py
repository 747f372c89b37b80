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
from datetime import UTC, datetime, timedelta
from typing import Annotated, Literal, NoReturn

from pydantic import AfterValidator, BeforeValidator, Field, ValidationInfo, model_validator
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session, joinedload, selectinload

from mapdash.api.params import Encoding, Latitude, Longitude, Params, Refusal
from mapdash.cases import intake, tracking
from mapdash.cases.intake import MAX_DESCRIPTION
from mapdash.cases.photos import is_ready
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
from mapdash.integrations.open311.services import Open311Query, find_service
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


def _datetime(value, info: ValidationInfo):
    """ISO 8601 as the spec's W3C note has it, with its zone, between the years 1900 and 9000."""
    if not isinstance(value, str):
        return value
    name = info.field_name
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


def _too_many(name: str) -> Refusal:
    return Refusal("too_many", _l("%(name)s takes at most %(n)s values", name=name,
                                  n=format(MAX_LIST, ",")), when=("too_long",))


TrackingCode = Annotated[str, AfterValidator(intake.normalize_tracking_code)]
OpenOrClosed = Literal["open", "closed"]
_FILTERS_OF_IDS = ("service_request_id", "ids", "jurisdiction_id", "lang")


class RequestQuery(Open311Query):
    """The spec's filters. service_request_id overrides the rest; without dates, the last 90
    days; a span over 90 days is refused."""
    ids: Annotated[tuple[TrackingCode, ...], Field(
        alias="service_request_id", max_length=MAX_LIST,
        description="Tracking codes; when given, every other filter is ignored."),
        _too_many("service_request_id")] = ()
    service_codes: Annotated[tuple[str, ...], Field(
        alias="service_code", max_length=MAX_LIST, description="Service codes."),
        _too_many("service_code")] = ()
    start_date: Annotated[datetime | None, Field(
        description="ISO 8601 with its zone. Default: 90 days before end_date."),
        BeforeValidator(_datetime)] = None
    end_date: Annotated[datetime | None, Field(
        description="ISO 8601 with its zone. Default: 90 days after start_date, or now when "
                    "neither is given. At most 90 days apart."),
        BeforeValidator(_datetime)] = None
    statuses: Annotated[frozenset[OpenOrClosed], Field(
        alias="status", max_length=MAX_LIST, description="open, closed, or both."),
        Refusal("bad_status", _l("status must be open or closed (or open,closed)")),
        _too_many("status")] = frozenset()

    @model_validator(mode="before")
    @classmethod
    def _ids_override_the_rest(cls, raw):
        if isinstance(raw, dict) and (raw.get("service_request_id") or raw.get("ids")):
            return {key: value for key, value in raw.items() if key in _FILTERS_OF_IDS}
        return raw

    @model_validator(mode="after")
    def _at_most_90_days(self):
        if self.start_date and self.end_date:
            if self.end_date < self.start_date:
                _bad("bad_date", _l("end_date is before start_date"))
            if self.end_date - self.start_date > MAX_SPAN:
                _bad("span_too_long", _l("start_date and end_date may be at most 90 days apart"))
        return self

    def window(self, now: datetime) -> tuple[datetime, datetime]:
        """From start_date to end_date, either one 90 days from the other, or the last 90 days."""
        start, end = self.start_date, self.end_date
        if start is not None:
            return start, end if end is not None else start + MAX_SPAN
        end = end if end is not None else now
        return end - MAX_SPAN, end


def find_requests(session: Session, org: Organization, query: RequestQuery,
                  photo_url: Callable[[int], str]) -> list[dict]:
    """The organization's requests matching `query`, newest first, at most MAX_RESULTS."""
    where = [Incident.organization_id == org.id, ~Category.sensitive]
    if query.ids:
        where.append(Incident.tracking_code.in_(query.ids))
    else:
        start, end = query.window(datetime.now(UTC))
        where += [Incident.created_at >= start, Incident.created_at <= end]
        if query.service_codes:
            where.append(Category.code.in_(query.service_codes))
        if len(query.statuses) == 1:
            where.append(Incident.is_open.is_("open" in query.statuses))
    # The public point: an emergency's is coarsened (sql/014_public_location.sql).
    place = func.public_location(Incident.location, Category.emergency)
    rows = session.execute(
        select(Incident, func.ST_X(place), func.ST_Y(place))
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
    found = find_requests(session, org, RequestQuery(ids=(code,)), photo_url)
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
    photos = [photo for photo in tracking.public_photos(incident) if is_ready(photo)]
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


class ApiKeyForm(Params):
    api_key: Annotated[str, Field(
        description="The client's key (`open311ApiKey`): a form field, as the specification "
                    "has it; in the query string it is not read."),
        Refusal("bad_api_key", _l("api_key is missing, invalid or revoked"), status=403)]


class NewRequestForm(ApiKeyForm):
    """A POSTed request (form-encoded). A place is required, unless its type needs none: lat
    and long, or an address_string naming a village."""
    jurisdiction_id: Annotated[str | None, Field(
        description="Default: the key's organization.")] = None
    service_code: Annotated[str, Refusal("missing_service_code",
                                         _l("service_code was not provided"))]
    lat: Latitude | None = None
    long: Longitude | None = None
    address_string: Annotated[str | None, Field(
        description="Used when lat and long are not sent: names one village, by number (\"mu "
                    "3\" in Thai script or abbreviated, \"Moo 3\") or name.")] = None
    attribute: Annotated[dict[str, list[str]], Field(
        description="The answers to the service definition's attributes, sent as "
                    "`attribute[CODE]=value`; a multivaluelist as `attribute[CODE][]=value`, "
                    "once per value."), Encoding({"style": "deepObject", "explode": True})] = {}
    description: Annotated[str | None, Field(
        max_length=MAX_DESCRIPTION, description="Staff see it; never published."),
        Refusal("too_long", _l("This field is longer than %(limit)s characters",
                               limit=format(MAX_DESCRIPTION, ",")))] = None
    # HTTP:// too: the pattern spells out both cases, as JSON Schema has no flags.
    media_url: Annotated[str | None, Field(
        max_length=MAX_URL, pattern=r"^[Hh][Tt][Tt][Pp][Ss]?://\S+$",
        json_schema_extra={"format": "uri"},
        description="http(s) address of a photo: kept as a note for staff, never fetched by the "
                    "server."),
        Refusal("bad_media_url", _l("media_url must be an http or https URL"))] = None
    email: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    phone: str | None = None

    @classmethod
    def raw(cls, values, files):
        return {**super().raw(values, files), "attribute": from_form(values)}


def file_request(session: Session, org: Organization, key: ApiKey, form: NewRequestForm) -> Incident:
    """A POSTed request, through the same intake as the web form. Flushes.

    The photo at media_url is never fetched by the server (it could point anywhere inside
    our network): its address is kept as a staff-only note for the dispatcher to open."""
    if key.organization_id != org.id:
        _bad("wrong_jurisdiction", _l("This api_key was not issued for this jurisdiction"), 403)
    category = find_service(session, org, form.service_code)
    lon, lat = form.long, form.lat
    if lon is None and lat is None and form.address_string:
        lon, lat = village_point(session, org, form.address_string)
    elif lon is None and lat is None and category.location_required:
        _bad("missing_location", _l("lat and long, or address_string, must be provided"))
    name = " ".join(part for part in (form.first_name, form.last_name) if part)
    incident = intake.create_incident(session, intake.Report(
        category_code=category.code, lon=lon, lat=lat, description=form.description or "",
        reporter_name=name, reporter_phone=form.phone, reporter_email=form.email,
        channel="open311", organization_slug=org.slug, attributes=form.attribute,
        address=form.address_string), actor_label=f"Open311: {key.name}", category=category)
    if incident.organization_id != org.id:
        _bad("outside_area", _l("This place is outside this jurisdiction's area"))
    if form.media_url:
        session.add(IncidentEvent(incident_id=incident.id, actor_label=f"Open311: {key.name}",
                                  action="comment", from_status=incident.status,
                                  to_status=incident.status, public=False,
                                  note=in_office_language(_l(
                                      "Photo from the app (not checked, open with care): %(url)s",
                                      url=form.media_url)),
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
