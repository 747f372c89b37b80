"""A case that is not ours to fix: forwarded to another organization hosted on this server (a
tambon to the province, or to a neighbour), or referred to an outside agency (the electricity
or water authority, highways).

Forwarding moves the case itself, with its history, photos and followers: it leaves the first
organization's map and enters the other's intake as new, its type and department found again
by the type's code there, its tracking code unchanged. A referral closes the case as
"referred": what happens next is the agency's, which we cannot follow; a case the agency does
not take up is reopened. Both are workflow actions (workflow.perform calls these); what they
did is kept in the event's detail, from which the pages say where the case went.
"""
from sqlalchemy import func, select
from sqlalchemy.orm import Session, load_only

from mapdash.cases.time_limits import set_for
from mapdash.errors import UserError
from mapdash.i18n import Localized, _l
from mapdash.models import Category, Incident, Organization, Village

MAX_AGENCY = 200
# Offered as the dispatcher types (any name may be written).
AGENCY_SUGGESTIONS = (
    _l("Provincial Electricity Authority (PEA)"),
    _l("Provincial Waterworks Authority (PWA)"),
    _l("Department of Highways"),
    _l("Department of Rural Roads"),
)


def refer(incident: Incident, agency: str) -> dict:
    """The event's detail of a referral to `agency` (a name as staff write it)."""
    agency = " ".join((agency or "").split())
    if not agency:
        raise UserError("agency_required", _l("Name the agency the case was sent to"),
                        field="agency")
    if len(agency) > MAX_AGENCY:
        raise UserError("too_long", _l("This field is longer than %(limit)s characters",
                                       limit=MAX_AGENCY), field="agency")
    return {"agency": agency}


def forward_targets(session: Session, incident: Incident) -> list[Organization]:
    """The organizations the panel offers to forward a case to, by name: those whose area
    meets its organization's (the neighbours, the province around it, a municipality inside
    it). Not every organization on the server: a national one holds 7,850, a list no one
    chooses from, whose loading made the panel take 590 ms. The action itself still takes any
    other organization (forward, below)."""
    own = select(Organization.boundary).where(
        Organization.id == incident.organization_id).scalar_subquery()
    return list(session.scalars(
        select(Organization)
        .options(load_only(Organization.id, Organization.name_th, Organization.name_en))
        .where(Organization.id != incident.organization_id,
               func.ST_Intersects(Organization.boundary, own))
        .order_by(Organization.name_th)))


def forward(session: Session, incident: Incident, organization_id: int | None) -> dict:
    """Move the case to another organization; the event's detail says from where to where."""
    target = session.get(Organization, organization_id) if organization_id else None
    if target is None or target.id == incident.organization_id:
        raise UserError("bad_organization", _l("Choose another organization on this server"),
                        field="organization_id")
    code = incident.category.code
    category = session.scalars(select(Category).where(
        Category.organization_id == target.id, Category.code == code, Category.active)).first()
    if category is None:
        raise UserError("no_such_type_there", _l(
            '%(org)s has no case type "%(type)s": it cannot take this case',
            org=Localized(target), type=Localized(incident.category)), field="organization_id")
    detail = {"from_organization_id": incident.organization_id,
              "to_organization_id": target.id,
              "from_department_id": incident.department_id}
    incident.organization = target
    incident.category = category
    incident.department = category.department
    # It arrives there as new, so the receiving type's limits of today run its clock.
    incident.time_limits = set_for(session, category.sla_minutes)
    incident.village = _village_at(session, target.id, incident)
    incident.assignee = None  # our crew does not work for them
    return detail


def _village_at(session: Session, organization_id: int, incident: Incident) -> Village | None:
    """The organization's village covering the case's point (the lowest number on a border)."""
    if incident.location is None:
        return None
    point = select(Incident.location).where(Incident.id == incident.id).scalar_subquery()
    return session.scalars(select(Village).where(
        Village.organization_id == organization_id, func.ST_Covers(Village.geom, point))
        .order_by(Village.number).limit(1)).first()


def organization_names(session: Session, ids: set[int]) -> dict[int, Organization]:
    """The organizations a page names, by id (forward events keep ids)."""
    if not ids:
        return {}
    return {org.id: org for org in session.scalars(
        select(Organization).where(Organization.id.in_(ids)))}
