"""Setting up an organization with its departments and case types."""
from geoalchemy2.shape import from_shape
from shapely.geometry import MultiPolygon
from sqlalchemy import select
from sqlalchemy.orm import Session

from mapdash.cases.routing import department_for
from mapdash.models import Category, Department, Organization
from mapdash.office.catalog import CATEGORIES, DEPARTMENTS


def create_organization(session: Session, *, slug: str, kind: str, name_th: str, name_en: str,
                        boundary: MultiPolygon, is_demo: bool = False) -> Organization:
    """An organization with the standard departments and case types, routed per routing.py."""
    org = Organization(slug=slug, kind=kind, name_th=name_th, name_en=name_en,
                       boundary=from_shape(boundary, srid=4326), is_demo=is_demo)
    session.add(org)
    session.flush()
    departments = {}
    for code, name_th_, name_en_ in DEPARTMENTS:
        departments[code] = Department(organization_id=org.id, code=code, name_th=name_th_,
                                       name_en=name_en_)
        session.add(departments[code])
    session.flush()
    for order, spec in enumerate(CATEGORIES):
        session.add(Category(organization_id=org.id, sort_order=order,
                             department_id=departments[department_for(spec["code"])].id,
                             **{"sla_minutes": {}, **spec}))
    session.flush()
    return org


def find_organization(session: Session, slug: str | None = None) -> Organization | None:
    """The organization named by `slug`, or else the only (or first) one of the deployment."""
    query = select(Organization).order_by(Organization.id)
    if slug:
        query = query.where(Organization.slug == slug)
    return session.scalars(query.limit(1)).first()
