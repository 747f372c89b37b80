"""Factory helpers: small organizations with square villages, and cases through intake."""
from datetime import timedelta

from geoalchemy2.shape import from_shape
from shapely.geometry import MultiPolygon, box
from shapely.ops import unary_union
from sqlalchemy import text

from mapdash.cases.intake import Report, create_incident
from mapdash.cases.time_limits import set_for
from mapdash.models import Village
from mapdash.office.orgs import create_organization

# A 2 x 1 degree-hundredths test tambon split into two square villages sharing the edge x=100.01.
WEST = box(100.00, 10.00, 100.01, 10.01)
EAST = box(100.01, 10.00, 100.02, 10.01)


def make_org(session, slug="test-tambon", villages=((1, "บ้านตะวันตก", WEST), (2, "บ้านตะวันออก", EAST)),
             kind="tambon"):
    boundary = unary_union([polygon for _, _, polygon in villages])
    boundary = boundary if boundary.geom_type == "MultiPolygon" else MultiPolygon([boundary])
    org = create_organization(session, slug=slug, kind=kind, name_th=f"อบต.{slug}",
                              name_en=f"{slug} SAO", boundary=boundary)
    for number, name, polygon in villages:
        session.add(Village(organization_id=org.id, number=number, name_th=name,
                            geom=from_shape(MultiPolygon([polygon]), srid=4326)))
    session.flush()
    return org


def make_incident(session, category="streetlight", lon=100.005, lat=10.005, **fields):
    return create_incident(session, Report(category_code=category, lon=lon, lat=lat, **fields))


STAFF_PASSWORD = "correct horse battery"


def make_staff(session, org=None, domain="example.test"):
    """One account of each role, {role: user}, each signing in with STAFF_PASSWORD."""
    from mapdash.office.auth import create_user

    org = org or make_org(session)
    return {role: create_user(session, organization_id=org.id, email=f"{role}@{domain}",
                              password=STAFF_PASSWORD, role=role,
                              department_code="engineering" if role == "officer" else None)
            for role in ("admin", "dispatcher", "officer", "crew")}


def insert_known_case(session, code, org, category, village, point, channel, created, status,
                      accepted, assigned, closed, stars, reopened) -> int:
    """A case written as it stands after its history (the statistics' known cases): accepted,
    assigned and closed that long after `created` (None: not yet), its acceptance and
    assignment as events (the trigger of sql/021 keeps the milestones), its rating."""
    last = created + max((d for d in (accepted, assigned, closed) if d), default=timedelta())
    case_id = session.scalar(text("""
        INSERT INTO incidents (tracking_code, organization_id, category_id, village_id,
            department_id, status, location, channel, created_at, updated_at, closed_at,
            step_started_at, time_limits_id, reopen_count)
        VALUES (:code, :org, :category, :village, :department, :status,
            ST_GeomFromText(:point, 4326), :channel, :created, :last, :closed, :last,
            :limits, :reopened) RETURNING id"""), {
        "code": code, "org": org.id, "category": category.id,
        "village": village.id if village else None, "department": category.department_id,
        "status": status, "point": point, "channel": channel, "created": created,
        "last": last, "closed": created + closed if closed else None,
        "limits": set_for(session, category.sla_minutes).id, "reopened": reopened})
    for action, after in (("accept", accepted), ("assign", assigned)):
        if after is not None:
            session.execute(text("INSERT INTO incident_events (incident_id, action, created_at) "
                                 "VALUES (:id, :action, :at)"),
                            {"id": case_id, "action": action, "at": created + after})
    if stars is not None:
        session.execute(text("INSERT INTO case_ratings (incident_id, stars) VALUES (:id, :stars)"),
                        {"id": case_id, "stars": stars})
    return case_id
