"""One way in for every channel (web form, Open311, LINE, seed data).

Validates a report, finds the organization and village covering the pin (ST_Covers, in the
caller's transaction), routes it to the category's department and writes the first audit event.
"""
import math
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from .errors import UserError
from .models import Category, Incident, IncidentEvent, Organization

# No 0/O, 1/I/L: a code read over the phone must not be misheard.
TRACKING_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
MAX_DESCRIPTION = 2000


@dataclass
class Report:
    category_code: str
    lon: float | None = None
    lat: float | None = None
    description: str = ""
    reporter_name: str | None = None
    reporter_phone: str | None = None
    reporter_line_id: str | None = None
    channel: str = "web"
    organization_slug: str | None = None  # where no pin is asked for
    idempotency_key: str | None = None


def new_tracking_code() -> str:
    raw = "".join(secrets.choice(TRACKING_ALPHABET) for _ in range(8))
    return f"{raw[:4]}-{raw[4:]}"


def parse_coordinate(value, name: str, low: float, high: float) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise UserError("bad_coordinate", f"พิกัด {name} ต้องเป็นตัวเลข",
                        f"The {name} coordinate must be a number", field=name) from None
    if not math.isfinite(number) or not low <= number <= high:
        raise UserError("bad_coordinate", f"พิกัด {name} อยู่นอกช่วง {low} ถึง {high}",
                        f"The {name} coordinate must be between {low} and {high}", field=name)
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
        raise UserError("too_long", f"ข้อมูลยาวเกิน {limit:,} ตัวอักษร",
                        f"This field is longer than {limit:,} characters", field=field)
    return value or None


def create_incident(session: Session, report: Report, *, actor_label: str = "ประชาชน",
                    created_at: datetime | None = None) -> Incident:
    """Validate and store a new case with its first event. Flushes; the caller commits."""
    description = _clean(report.description, MAX_DESCRIPTION, "description") or ""
    contact = dict(reporter_name=_clean(report.reporter_name, 200, "reporter_name"),
                   reporter_phone=_clean(report.reporter_phone, 40, "reporter_phone"),
                   reporter_line_id=_clean(report.reporter_line_id, 100, "reporter_line_id"))
    if not report.category_code:
        raise UserError("missing_category", "กรุณาเลือกประเภทเรื่องที่แจ้ง",
                        "Please choose the type of problem", field="category")

    has_place = report.lon not in (None, "") or report.lat not in (None, "")
    point, org_id, village_id = None, None, None
    if has_place:
        lon = parse_coordinate(report.lon, "longitude", -180, 180)
        lat = parse_coordinate(report.lat, "latitude", -90, 90)
        found = locate(session, lon, lat)
        if found is None:
            raise UserError("outside_area", "ตำแหน่งนี้อยู่นอกพื้นที่ที่ระบบนี้ให้บริการ",
                            "This place is outside every area this service covers",
                            field="location", status=422)
        org_id, village_id = found
        point = f"SRID=4326;POINT({lon!r} {lat!r})"
    else:
        org = session.scalars(select(Organization).where(
            Organization.slug == report.organization_slug)).first() if report.organization_slug \
            else session.scalars(select(Organization).order_by(Organization.id)).first()
        if org is None:
            raise UserError("unknown_org", "ไม่พบหน่วยงาน", "Unknown organization",
                            status=404)
        org_id = org.id

    category = session.scalars(select(Category).where(
        Category.organization_id == org_id, Category.code == report.category_code,
        Category.active)).first()
    if category is None:
        raise UserError("unknown_category", "หน่วยงานนี้ไม่รับเรื่องประเภทนี้",
                        "This organization does not take this type of report", field="category")
    if category.location_required and point is None:
        raise UserError("missing_location", "กรุณาระบุตำแหน่งบนแผนที่",
                        "Please mark the place on the map", field="location")

    incident = Incident(
        tracking_code=new_tracking_code(), organization_id=org_id, category_id=category.id,
        village_id=village_id, department_id=category.department_id, status="new",
        location=point, description=description, channel=report.channel,
        idempotency_key=report.idempotency_key, **contact)
    incident.created_at = incident.updated_at = created_at or datetime.now(UTC)
    session.add(incident)
    session.flush()
    session.add(IncidentEvent(incident_id=incident.id, actor_label=actor_label, action="report",
                              from_status=None, to_status="new", public=True,
                              note="รับแจ้งเรื่องแล้ว", created_at=incident.created_at))
    session.flush()
    return incident
