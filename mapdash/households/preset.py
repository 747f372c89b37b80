"""The household of a scanned sticker, kept in the citizen's browser (the signed session
cookie holds its random key only). Every form of the organization starts from it: the
problem report's pin and village, a fee payment's household. "Not my house" clears it.
"""
from __future__ import annotations

from flask import session as browser
from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from mapdash.households.register import coordinates
from mapdash.i18n import LazyText, _l, village_label
from mapdash.models import Household

KEY = "household"


def find_by_key(session: Session, qr_key: str) -> Household | None:
    if not 12 <= len(qr_key) <= 64:
        return None
    return session.scalar(select(Household).options(joinedload(Household.village)).where(
        Household.qr_key == qr_key))


def remember(household: Household) -> None:
    browser[KEY] = household.qr_key


def forget() -> None:
    browser.pop(KEY, None)


def preset_household(session: Session, organization_id: int | None = None) -> Household | None:
    """The household this browser scanned, if it is still stored (and of `organization_id`
    when given: a household of one tambon presets nothing in another's forms)."""
    key = browser.get(KEY)
    household = find_by_key(session, key) if isinstance(key, str) else None
    if household is None or (organization_id is not None
                             and household.organization_id != organization_id):
        return None
    return household


def preset_place(session: Session, organization_id: int) -> tuple[str, str] | None:
    """(lat, lon) as the report form's fields take them, from the preset household."""
    household = preset_household(session, organization_id)
    if household is None:
        return None
    lon, lat = coordinates(household)
    return f"{lat:.6f}", f"{lon:.6f}"


def household_label(household: Household) -> LazyText:
    """"บ้านเลขที่ 12 หมู่ 3 บ้านดอนแดง" ("House number 12, Village 3 Ban Don Daeng")."""
    return _l("House number %(house)s, %(village)s", house=household.house_number,
              village=village_label(household.village))
