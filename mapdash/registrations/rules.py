"""What a registration type may demand, and the checks on what an applicant types: pure
functions of the values and a fixed instant (no database, no clock).

A type's rules (categories.registration, sql/034): the age reached by the end of the fiscal
year applied for (the elderly allowance's 60 by 30 September), a window of dates in which
applications are taken (both days included, Thai dates), and the documents to send.
The fiscal year applied for is the one the application is made in (Thai time, Buddhist Era).
"""
from dataclasses import dataclass
from datetime import date, datetime

from mapdash.errors import UserError
from mapdash.i18n import BE_OFFSET, LOCAL_TZ, _l, format_date
from mapdash.stats.period import fiscal_year_of
from mapdash.vocabulary import REGISTRATION_DOCUMENTS

MAX_AGE_RULE = 120


@dataclass(frozen=True)
class Rules:
    min_age: int | None = None
    opens: date | None = None
    closes: date | None = None
    documents: tuple[str, ...] = ()

    @classmethod
    def of(cls, stored: dict | None) -> "Rules":
        """The rules as stored on a type (None: a type of another kind, no rule)."""
        stored = stored or {}
        return cls(min_age=stored.get("min_age"),
                   opens=date.fromisoformat(stored["opens"]) if stored.get("opens") else None,
                   closes=date.fromisoformat(stored["closes"]) if stored.get("closes") else None,
                   documents=tuple(purpose for purpose in stored.get("documents", ())
                                   if purpose in REGISTRATION_DOCUMENTS))

    def stored(self) -> dict:
        return {"min_age": self.min_age,
                "opens": self.opens.isoformat() if self.opens else None,
                "closes": self.closes.isoformat() if self.closes else None,
                "documents": list(self.documents)}


def national_id_valid(digits: str) -> bool:
    """13 digits whose last is the checksum of the Thai ID number: the first twelve weighted
    13 down to 2, summed; (11 - sum mod 11) mod 10."""
    if len(digits) != 13 or not digits.isascii() or not digits.isdigit():
        return False
    total = sum(int(digit) * weight for digit, weight in zip(digits[:12], range(13, 1, -1),
                                                            strict=True))
    return (11 - total % 11) % 10 == int(digits[12])


def digits_of(typed: str) -> str:
    """The digits of a number as people type it: with dashes or spaces, Thai digits too."""
    return "".join(str(int(ch)) for ch in typed or "" if ch.isdigit())


def check_national_id(typed: str) -> str:
    digits = digits_of(typed)
    if not national_id_valid(digits):
        raise UserError("bad_national_id", _l(
            "This is not a valid ID card number: 13 digits, as on the ID card (e.g. "
            "1-2345-67890-12-1); please check each digit"), field="national_id")
    return digits


def format_national_id(digits: str) -> str:
    """1-2345-67890-12-1, as printed on the card."""
    return f"{digits[0]}-{digits[1:5]}-{digits[5:10]}-{digits[10:12]}-{digits[12]}"


def mask_national_id(digits: str) -> str:
    """1-2345-xxxxx-12-1: lists show the first and last groups only."""
    return f"{digits[0]}-{digits[1:5]}-xxxxx-{digits[10:12]}-{digits[12]}"


def mask_account(digits: str) -> str:
    """123xxxxx90: lists show the first three and last two digits only."""
    return digits[:3] + "x" * (len(digits) - 5) + digits[-2:]


def fiscal_year_end(fiscal_year: int) -> date:
    """30 September of a fiscal year (Buddhist Era): ปีงบประมาณ 2570 ends on 30 Sep 2027."""
    return date(fiscal_year - BE_OFFSET, 9, 30)


def age_on(birth: date, day: date) -> int:
    """Whole years reached on `day` (born 29 February: a year is reached on 1 March)."""
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def thai_date(day: date) -> str:
    return format_date(datetime(day.year, day.month, day.day))


def check_eligible(rules: Rules, birth: date, now: datetime) -> int:
    """The fiscal year applied for, if the application may be made at `now` by someone born
    on `birth`; else the UserError saying why."""
    today = now.astimezone(LOCAL_TZ).date()
    if birth > today:
        raise UserError("birth_in_future", _l("The birth date is in the future: please check "
                                              "the year (e.g. 1960 or 2503)"),
                        field="birth_date", status=422)
    if rules.opens and today < rules.opens:
        raise UserError("registration_not_open", _l(
            "Applications open on %(opens)s: please come back then", opens=thai_date(rules.opens)),
            status=422)
    if rules.closes and today > rules.closes:
        raise UserError("registration_closed", _l(
            "Applications closed on %(closes)s: please ask the office about the next round",
            closes=thai_date(rules.closes)), status=422)
    fiscal_year = fiscal_year_of(now)
    if rules.min_age is not None:
        end = fiscal_year_end(fiscal_year)
        if age_on(birth, end) < rules.min_age:
            raise UserError("too_young", _l(
                "This registration is for people who are %(age)s or older by %(end)s (the end "
                "of fiscal year %(year)s)", age=rules.min_age, end=thai_date(end),
                year=fiscal_year), field="birth_date", status=422)
    return fiscal_year


def parse_birth_date(day: str, month: str, year: str) -> date:
    """The birth date from the form's day, month and year; the year in the Buddhist Era
    (2503) as Thai people write it, or the Common Era (1960)."""
    try:
        number = int(digits_of(year)) if digits_of(year) else 0
        if number > BE_OFFSET + 1800:
            number -= BE_OFFSET
        return date(number, int(digits_of(month) or 0), int(digits_of(day) or 0))
    except ValueError:
        raise UserError("bad_birth_date", _l("Write the birth date as day, month and year "
                                             "(e.g. 15 March 2503)"),
                        field="birth_date") from None
