"""Factory helpers: small organizations with square villages, and cases through intake."""
from geoalchemy2.shape import from_shape
from shapely.geometry import MultiPolygon, box
from shapely.ops import unary_union

from mapdash.cases.intake import Report, create_incident
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
