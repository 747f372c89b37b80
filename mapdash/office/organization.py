"""The organization as its administrators describe it at /admin/organization (issue 19): its
names, how citizens reach the office, its logo and the emergency numbers the public pages
show, for how long a reporter may say a resolved case is not fixed (issue 12) and within how
many days information requests are answered (issue 13). Every
change is recorded (changes.py, subject "organization") in the same transaction.

The logo is checked and cleaned like a case photo (cases/photos.py: real JPEG/PNG/WebP,
metadata dropped) and kept as its thumbnail, a JPEG of at most 480 px a side, in the row
itself: one small image, served with the home page, printed on the request form.
"""
import hashlib
import re
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from mapdash.cases.photos import ProcessedPhoto
from mapdash.errors import UserError
from mapdash.i18n import _l, in_language, localized
from mapdash.models import Organization, User
from mapdash.office import changes
from mapdash.vocabulary import EMAIL

# Seed 004's numbers, shown until the organization sets its own.
DEFAULT_EMERGENCY_NUMBERS = (("1669", _l("Medical emergency")), ("191", _l("Police")),
                             ("199", _l("Fire brigade")))
MAX_EMERGENCY_NUMBERS = 5
MAX_LABEL = 60
EMERGENCY_NUMBER = re.compile(r"^[0-9]{3,10}$")
PHONE = re.compile(r"^\+?[0-9][0-9 -]{5,19}$")
# The longest of each text (sql/016 checks the same).
LIMITS = {"name_th": 200, "name_en": 200, "phone": 50, "email": 254, "address": 500,
          "office_hours": 200}


def emergency_numbers(org: Organization | None) -> list[tuple[str, str]]:
    """(number, label in the reader's language) for the public pages."""
    if org is None or org.emergency_numbers is None:
        return [(number, str(label)) for number, label in DEFAULT_EMERGENCY_NUMBERS]
    return [(item["number"], localized(item, "label")) for item in org.emergency_numbers]


def emergency_rows(org: Organization) -> list[dict[str, str]]:
    """The numbers with both labels, as the form shows them (the defaults in both languages)."""
    if org.emergency_numbers is not None:
        return [dict(item) for item in org.emergency_numbers]
    return [{"number": number, "label_th": in_language(label, "th"),
             "label_en": in_language(label, "en")} for number, label in DEFAULT_EMERGENCY_NUMBERS]


def _locked(session: Session, actor: User) -> Organization:
    return session.scalars(select(Organization).where(Organization.id == actor.organization_id)
                           .with_for_update()).one()


def _checked_details(values: dict[str, str | None]) -> dict[str, str | None]:
    checked: dict[str, str | None] = {}
    for name, limit in LIMITS.items():
        value = (values.get(name) or "").strip()
        if name != "address":  # the address may take several lines
            value = " ".join(value.split())
        if len(value) > limit:
            raise UserError("too_long", _l("At most %(max)s characters", max=limit), field=name)
        checked[name] = value or None
    for name in ("name_th", "name_en"):
        if not checked[name]:
            raise UserError("name_required", _l("Write the organization's name in Thai and in "
                                                "English"), field=name)
    if checked["phone"] and not PHONE.match(checked["phone"]):
        raise UserError("bad_phone", _l("A phone number is 6 to 20 digits, spaces or dashes, "
                                        "e.g. 042 511 234"), field="phone")
    if checked["email"] and not EMAIL.match(checked["email"]):
        raise UserError("bad_email", _l("This e-mail address is not valid"), field="email")
    return checked


def _record(session: Session, actor: User, org: Organization, before: dict, after: dict) -> None:
    changes.record(session, actor, "organization", "changed", label=org.slug, subject_id=org.id,
                   before=before, after=after)


def update_details(session: Session, actor: User, values: dict[str, str | None]) -> Organization:
    """Names (Thai, English; both required) and contact: phone, e-mail, address, office
    hours (each optional). Flushes."""
    org = _locked(session, actor)
    checked = _checked_details(values)
    before = {name: getattr(org, name) for name in checked}
    for name, value in checked.items():
        setattr(org, name, value)
    session.flush()
    _record(session, actor, org, before, checked)
    return org


def set_emergency_numbers(session: Session, actor: User,
                          rows: list[dict[str, str | None]]) -> Organization:
    """The numbers shown to citizens, in order: rows with a number need a Thai label (the
    English one falls back to it); empty rows are dropped; at least one number. Flushes."""
    numbers: list[dict[str, Any]] = []
    for index, row in enumerate(rows, start=1):
        number = "".join((row.get("number") or "").split()).replace("-", "")
        label_th = " ".join((row.get("label_th") or "").split())
        label_en = " ".join((row.get("label_en") or "").split())
        if not (number or label_th or label_en):
            continue
        if not EMERGENCY_NUMBER.match(number):
            raise UserError("bad_emergency_number", _l("An emergency number is 3 to 10 digits"),
                            field=f"number_{index}")
        if not label_th or len(label_th) > MAX_LABEL or len(label_en) > MAX_LABEL:
            raise UserError("bad_emergency_label", _l("Say what each number is for, in Thai (at "
                                                      "most %(max)s characters)", max=MAX_LABEL),
                            field=f"label_th_{index}")
        numbers.append({"number": number, "label_th": label_th, "label_en": label_en or None})
    if not numbers:
        raise UserError("no_emergency_number", _l("Give at least one emergency number"),
                        field="number_1")
    org = _locked(session, actor)
    before = {"emergency_numbers": emergency_rows(org)}
    org.emergency_numbers = numbers
    session.flush()
    _record(session, actor, org, before, {"emergency_numbers": numbers})
    return org


NOT_FIXED_DAYS = range(1, 366)  # sql/020 checks the same


def set_not_fixed_days(session: Session, actor: User, days: int | None) -> Organization:
    """For how many days after a case is resolved its reporter may say it is not fixed
    (cases/ratings.py). Flushes."""
    if days is None or days not in NOT_FIXED_DAYS:
        raise UserError("bad_not_fixed_days", _l("Give a number of days from 1 to 365"),
                        field="not_fixed_days")
    org = _locked(session, actor)
    before = {"not_fixed_days": org.not_fixed_days}
    org.not_fixed_days = days
    session.flush()
    _record(session, actor, org, before, {"not_fixed_days": days})
    return org


INFORMATION_DAYS = range(1, 91)  # sql/032 checks the same


def set_information_days(session: Session, actor: User, days: int | None) -> Organization:
    """Within how many days an information request is answered (cases/information.py): the
    requests asked from now on get it; those already asked keep their day. Flushes."""
    if days is None or days not in INFORMATION_DAYS:
        raise UserError("bad_information_days", _l("Give a number of days from 1 to 90"),
                        field="information_days")
    org = _locked(session, actor)
    before = {"information_days": org.information_days}
    org.information_days = days
    session.flush()
    _record(session, actor, org, before, {"information_days": days})
    return org


def set_logo(session: Session, actor: User, logo: ProcessedPhoto | None) -> Organization:
    """The new logo (its cleaned thumbnail), or none. Flushes."""
    org = _locked(session, actor)
    before = {"logo": org.logo_sha256}
    org.logo = logo.thumb if logo else None
    org.logo_sha256 = hashlib.sha256(logo.thumb).hexdigest() if logo else None
    session.flush()
    _record(session, actor, org, before, {"logo": org.logo_sha256})
    return org


def set_map_pack(session: Session, actor: User, max_zoom: int, max_mb: int) -> Organization:
    """The crews' offline map pack: tiles up to `max_zoom`, at most `max_mb` MB (checked by
    the form, field/map_pack.py's ranges). Flushes."""
    org = _locked(session, actor)
    before = {"map_pack_max_zoom": org.map_pack_max_zoom, "map_pack_max_mb": org.map_pack_max_mb}
    org.map_pack_max_zoom, org.map_pack_max_mb = max_zoom, max_mb
    session.flush()
    _record(session, actor, org, before, {"map_pack_max_zoom": max_zoom, "map_pack_max_mb": max_mb})
    return org


def logo(session: Session, organization_id: int) -> tuple[bytes, str] | None:
    """(the logo's JPEG, its SHA-256) of an organization that has one."""
    row = session.execute(select(Organization.logo, Organization.logo_sha256)
                          .where(Organization.id == organization_id)).first()
    return (row.logo, row.logo_sha256) if row is not None and row.logo is not None else None
