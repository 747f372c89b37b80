"""Loading the synthetic demo tambon (data.py) into the database.

The demo staff's names are Thai, like the rest of the demo data (data.py).

The cases go through the same intake as real reports; their history is then written as the
events staff would have made, back-dated."""
from datetime import UTC, datetime

from geoalchemy2.shape import from_shape
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from mapdash.cases import information
from mapdash.cases.intake import Report, create_incident
from mapdash.demo import bookings as demo_bookings
from mapdash.demo import data, registrations
from mapdash.demo.news import load_news
from mapdash.i18n import in_office_language
from mapdash.models import CaseRating, Household, Incident, IncidentEvent, User, Village
from mapdash.office.auth import create_user
from mapdash.office.orgs import create_organization
from mapdash.vocabulary import CITIZEN_LABEL

DEMO_PASSWORD = "demo-password"
DEMO_USERS = [
    # email, role, department code, display name
    ("admin@demo.mapdash.test", "admin", None, "ผู้ดูแลระบบ (สาธิต)"),
    ("dispatcher@demo.mapdash.test", "dispatcher", None, "เจ้าหน้าที่รับแจ้ง (สาธิต)"),
    ("officer@demo.mapdash.test", "officer", "engineering", "เจ้าหน้าที่กองช่าง (สาธิต)"),
    ("crew@demo.mapdash.test", "crew", "engineering", "ช่างไฟฟ้า (สาธิต)"),
]


def load_demo(session: Session, now: datetime | None = None,
              as_of: datetime | None = None) -> dict:
    """Create the demo organization with its villages, staff and cases. Flushes, never commits.

    The cases are the demo as it stands at `as_of` (default: `now`), moved in time to end at
    `now`: the test suite builds the same demo, at the same age, whatever the hour it runs at.
    """
    now = now or datetime.now(UTC)
    as_of = as_of or now
    shift = now - as_of
    org = create_organization(session, boundary=data.tambon_boundary(), is_demo=True,
                              **data.DEMO_ORG)
    for village in data.villages():
        session.add(Village(organization_id=org.id, number=village["number"],
                            name_th=village["name_th"], name_en=village["name_en"],
                            geom=from_shape(village["geometry"], srid=4326)))
    session.flush()
    village_ids = {v.number: v.id for v in session.scalars(
        select(Village).where(Village.organization_id == org.id))}
    session.execute(insert(Household), [
        {"organization_id": org.id, "village_id": village_ids[house["village"]],
         "house_number": house["house_number"], "qr_key": house["qr_key"],
         "location": f"SRID=4326;POINT({house['lon']} {house['lat']})"}
        for house in data.households()])

    users = {role: create_user(session, organization_id=org.id, email=email,
                               password=DEMO_PASSWORD, role=role, department_code=department,
                               display_name=name, is_demo=True, check_strength=False)
             for email, role, department, name in DEMO_USERS}

    resources = demo_bookings.set_up(session, org.id, now)
    appointments = []
    cases = data.demo_cases(as_of)
    for case in cases:
        incident = create_incident(session, Report(
            category_code=case["category"], lon=case["lon"], lat=case["lat"],
            description=case["description"], reporter_name=case["reporter_name"],
            reporter_phone=case["reporter_phone"], channel="demo",
            organization_slug=org.slug), created_at=case["created_at"] + shift)
        if incident.category.kind == information.KIND:  # collected at the office
            information.store(session, incident, information.Delivery("office", None, False))
        _replay_history(session, incident, case["history"][1:], users)
        if case["rating"]:
            session.add(CaseRating(incident_id=incident.id, stars=case["rating"]["stars"],
                                   comment=case["rating"]["comment"],
                                   created_at=incident.closed_at + case["rating"]["after"]))
        if case["category"] == "appointment":
            appointments.append(incident)
    session.flush()
    demo_bookings.book_cases(session, resources, appointments, now)
    registrations.load_applications(session, org, users["admin"], now)
    load_news(session, org.id, users["admin"], now)
    return {"villages": len(data.villages()), "households": len(data.households()),
            "incidents": len(cases),
            "users": [email for email, *_ in DEMO_USERS]}


def _replay_history(session: Session, incident: Incident, history, users: dict[str, User]):
    """Write the staff's steps of a demo case as events, and leave the case where they end."""
    for action, from_status, to_status, offset, public, note in history:
        actor = users["crew"] if action in ("start", "resolve") else users["dispatcher"]
        at = incident.created_at + offset
        citizen = action == "not_fixed"  # the reporter's own "not fixed" (issue 12)
        session.add(IncidentEvent(incident_id=incident.id, actor_id=None if citizen else actor.id,
                                  actor_label=in_office_language(CITIZEN_LABEL) if citizen
                                  else actor.display_name, action=action,
                                  from_status=from_status, to_status=to_status, note=note,
                                  public=public, created_at=at))
        incident.reopen_count += citizen
        incident.status, incident.updated_at = to_status, at
        if to_status in ("assigned", "in_progress"):
            incident.assigned_to = users["crew"].id
        incident.closed_at = at if to_status in ("resolved", "rejected", "duplicate") else None
