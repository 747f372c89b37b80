"""Storing households: a checked file's rows at once, or one added, moved or deleted by staff
on the map. Every change is recorded (office/changes.py, subject "household").

A household placed on the map takes the village its point lies in (or the nearest within
checks.VILLAGE_MARGIN_M): staff see the village boundaries as they place it, and a house
number is unique within its village.
"""
from __future__ import annotations

import secrets

from geoalchemy2.shape import to_shape
from sqlalchemy import insert, select, text, tuple_
from sqlalchemy.orm import Session

from mapdash.errors import UserError
from mapdash.households.checks import MAX_HOUSE_NUMBER, VILLAGE_MARGIN_M, CheckedRow, house_number_text
from mapdash.i18n import _l, village_label
from mapdash.models import Household, User, Village
from mapdash.office import changes

QR_KEY_BYTES = 9  # 12 characters, 72 random bits: unguessable, and a small QR code


def new_qr_key() -> str:
    return secrets.token_urlsafe(QR_KEY_BYTES)


def _point(lon: float, lat: float) -> str:
    return f"SRID=4326;POINT({lon!r} {lat!r})"


def store_rows(session: Session, actor: User, rows: list[CheckedRow]) -> int:
    """Insert checked rows, each with a new QR key. Flushes; the caller commits."""
    if rows:
        session.execute(insert(Household), [
            {"organization_id": actor.organization_id, "village_id": row.village_id,
             "house_number": row.house_number, "location": _point(row.lon, row.lat),
             "qr_key": new_qr_key()} for row in rows])
    return len(rows)


def refuse_taken(session: Session, organization_id: int, rows: list[CheckedRow]) -> None:
    """Refuse rows whose house number was added to their village since they were checked."""
    wanted = [(row.village_id, row.house_number) for row in rows]
    taken = session.execute(select(Household.house_number, Village.number).join(
        Household.village).where(Household.organization_id == organization_id,
                                 tuple_(Household.village_id, Household.house_number).in_(wanted))
        .order_by(Village.number, Household.house_number)).all() if wanted else []
    if taken:
        raise UserError("house_number_taken", _l(
            "Since the file was checked, these houses were added: %(houses)s. Upload it again",
            houses=", ".join(str(_l("%(house)s in village %(village)s", house=number, village=village))
                        for number, village in taken)), status=409)


def village_at(session: Session, organization_id: int, lon: float, lat: float) -> Village:
    """The village a point placed on the map belongs to: the one covering it, else the nearest
    within the margin; refused outside the organization's area or every village."""
    row = session.execute(text("""
        SELECT ST_Covers(o.boundary, p.p) AS in_org,
               (SELECT v.id FROM villages v WHERE v.organization_id = o.id
                  AND ST_DWithin(v.geom::geography, p.p::geography, :margin)
                ORDER BY ST_Distance(v.geom::geography, p.p::geography), v.number LIMIT 1)
        FROM organizations o, (SELECT ST_SetSRID(ST_MakePoint(:lon, :lat), 4326) AS p) p
        WHERE o.id = :org"""), {"org": organization_id, "lon": lon, "lat": lat,
                                 "margin": VILLAGE_MARGIN_M}).one()
    if not row[0]:
        raise UserError("outside_area", _l("This place is outside the organization's area"),
                        field="location")
    if row[1] is None:
        raise UserError("outside_villages", _l("This place is in no village: place the house "
                                               "inside a village's boundary"), field="location")
    village = session.get(Village, row[1])
    assert village is not None
    return village


def _number(value: str) -> str:
    number = house_number_text(value)
    if number is None:
        raise UserError("house_number_missing", _l("Give the house number"), field="house_number")
    if len(number) > MAX_HOUSE_NUMBER:
        raise UserError("house_number_long", _l("The house number is longer than %(n)s characters",
                                                n=MAX_HOUSE_NUMBER), field="house_number")
    return number


def _free(session: Session, village: Village, number: str, household_id: int | None = None) -> None:
    taken = session.scalar(select(Household.id).where(
        Household.village_id == village.id, Household.house_number == number))
    if taken is not None and taken != household_id:
        raise UserError("house_number_taken", _l("House number %(house)s already exists in "
                                                 "%(village)s", house=number,
                                                 village=village_label(village)),
                        field="house_number", status=409)


def _recorded(household: Household) -> dict:
    return {"house_number": household.house_number, "village": household.village.number,
            "location": coordinates(household)}


def coordinates(household: Household) -> list[float]:
    """[lon, lat] of a stored household."""
    point = to_shape(household.location)
    return [round(point.x, 6), round(point.y, 6)]


def add(session: Session, actor: User, house_number: str, lon: float, lat: float) -> Household:
    number = _number(house_number)
    village = village_at(session, actor.organization_id, lon, lat)
    _free(session, village, number)
    household = Household(organization_id=actor.organization_id, village=village,
                          house_number=number, location=_point(lon, lat), qr_key=new_qr_key())
    session.add(household)
    session.flush()
    session.refresh(household)
    changes.record(session, actor, "household", "created", subject_id=household.id,
                   label=f"{number} {village_label(village)}", after=_recorded(household))
    return household


def find(session: Session, actor: User, household_id: int) -> Household:
    household = session.get(Household, household_id)
    if household is None or household.organization_id != actor.organization_id:
        raise UserError("unknown_household", _l("No such household"), status=404)
    return household


def change(session: Session, actor: User, household_id: int, *, house_number: str | None = None,
           lon: float | None = None, lat: float | None = None) -> Household:
    """Move a household (it takes the village of its new place) and/or renumber it."""
    household = find(session, actor, household_id)
    before = _recorded(household)
    village = household.village
    if lon is not None and lat is not None:
        village = village_at(session, actor.organization_id, lon, lat)
        household.location = _point(lon, lat)
    number = _number(house_number) if house_number is not None else household.house_number
    _free(session, village, number, household.id)
    household.village, household.house_number = village, number
    session.flush()
    session.refresh(household)
    changes.record(session, actor, "household", "changed", subject_id=household.id,
                   label=f"{number} {village_label(village)}", before=before,
                   after=_recorded(household))
    return household


def delete(session: Session, actor: User, household_id: int) -> None:
    household = find(session, actor, household_id)
    changes.record(session, actor, "household", "removed", subject_id=household.id,
                   label=f"{household.house_number} {village_label(household.village)}",
                   before=_recorded(household))
    session.delete(household)
    session.flush()
