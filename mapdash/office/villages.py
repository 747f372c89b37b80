"""Storing village boundaries, and keeping each case's stored village in step with them."""
from collections.abc import Sequence

from geoalchemy2.shape import from_shape
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from mapdash import db
from mapdash.errors import UserError
from mapdash.i18n import _l
from mapdash.models import Village
from mapdash.office.orgs import find_organization


def store_villages(session: Session, org_slug: str, features: Sequence, *,
                   update_boundary: bool = False) -> dict:
    """Create or replace the organization's villages by number, in the caller's transaction.

    Cases store their village at write time, so the cases of the organization are assigned
    again to the villages as they now are."""
    org = find_organization(session, org_slug)
    if org is None or org.slug != org_slug:
        raise UserError("unknown_org", _l("No organization '%(org_slug)s'", org_slug=org_slug),
                        status=404)
    existing = {v.number: v for v in session.scalars(
        select(Village).where(Village.organization_id == org.id))}
    created = updated = 0
    for feature in features:
        geom = from_shape(feature.geometry, srid=4326)
        village = existing.get(feature.number)
        if village is None:
            session.add(Village(organization_id=org.id, number=feature.number,
                                name_th=feature.name_th, name_en=feature.name_en, geom=geom))
            created += 1
        else:
            village.name_th, village.name_en, village.geom = feature.name_th, feature.name_en, geom
            updated += 1
    session.flush()
    if update_boundary:
        session.execute(text("""
            UPDATE organizations SET boundary = (
                SELECT ST_Multi(ST_CollectionExtract(ST_MakeValid(ST_Union(geom)), 3))
                FROM villages WHERE organization_id = :org)
            WHERE id = :org"""), {"org": org.id})
    relocated = db.rowcount(session.execute(text("""
        UPDATE incidents i SET village_id = (
            SELECT v.id FROM villages v
            WHERE v.organization_id = i.organization_id AND ST_Covers(v.geom, i.location)
            ORDER BY v.number LIMIT 1)
        WHERE i.organization_id = :org AND i.location IS NOT NULL"""), {"org": org.id}))
    return {"created": created, "updated": updated, "relocated": relocated}
