"""The periods the statistics are read for: a Thai government fiscal year (1 October to 30
September, named by its Buddhist Era year: ปีงบประมาณ 2569 is 1 Oct 2025 to 30 Sep 2026), one of
its quarters (the first is October to December) or one of its months, in Thai time."""
from dataclasses import dataclass
from datetime import date, datetime, time

from mapdash.i18n import (
    BE_OFFSET,
    EN_MONTHS_SHORT,
    LOCAL_TZ,
    THAI_MONTHS_SHORT,
    LazyText,
    _l,
    current_language,
)

EN_MONTHS_LONG = ("January", "February", "March", "April", "May", "June", "July", "August",
                  "September", "October", "November", "December")
THAI_MONTHS_LONG = ("มกราคม", "กุมภาพันธ์", "มีนาคม", "เมษายน", "พฤษภาคม", "มิถุนายน",
                    "กรกฎาคม", "สิงหาคม", "กันยายน", "ตุลาคม", "พฤศจิกายน", "ธันวาคม")
# The calendar months of a fiscal year, in its order.
FISCAL_MONTHS = (10, 11, 12, 1, 2, 3, 4, 5, 6, 7, 8, 9)


def fiscal_year_of(moment: datetime) -> int:
    """The fiscal year (Buddhist Era) a moment falls in, in Thai time."""
    local = moment.astimezone(LOCAL_TZ)
    return local.year + BE_OFFSET + (1 if local.month >= 10 else 0)


def month_start(fiscal_year: int, month: int) -> date:
    """The first day of a calendar month of a fiscal year (October belongs to the one after)."""
    year = fiscal_year - BE_OFFSET - (1 if month >= 10 else 0)
    return date(year, month, 1)


def _next_month(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=LOCAL_TZ)


def month_name(day: date, short: bool = False) -> str:
    """'ตุลาคม 2568' / 'ต.ค. 68' in Thai (Buddhist Era), 'October 2025' / 'Oct 25' in English."""
    if current_language() == "en":
        return f"{EN_MONTHS_SHORT[day.month - 1]} {day.year % 100:02d}" if short \
            else f"{EN_MONTHS_LONG[day.month - 1]} {day.year}"
    year = day.year + BE_OFFSET
    if short:
        return f"{THAI_MONTHS_SHORT[day.month - 1]} {year % 100:02d}"
    return f"{THAI_MONTHS_LONG[day.month - 1]} {year}"


@dataclass(frozen=True)
class Period:
    fiscal_year: int            # Buddhist Era
    quarter: int | None = None  # 1-4 of the fiscal year
    month: int | None = None    # calendar month 1-12

    @property
    def first_day(self) -> date:
        if self.month is not None:
            return month_start(self.fiscal_year, self.month)
        index = 0 if self.quarter is None else (self.quarter - 1) * 3
        return month_start(self.fiscal_year, FISCAL_MONTHS[index])

    @property
    def months(self) -> list[date]:
        """The first day of every month of the period, in order."""
        count = 1 if self.month is not None else 3 if self.quarter is not None else 12
        days = [self.first_day]
        for _ in range(count - 1):
            days.append(_next_month(days[-1]))
        return days

    @property
    def start(self) -> datetime:
        """The first moment of the period (midnight in Bangkok)."""
        return _midnight(self.first_day)

    @property
    def end(self) -> datetime:
        """The first moment after the period."""
        return _midnight(_next_month(self.months[-1]))

    @property
    def label(self) -> LazyText | str:
        if self.month is not None:
            return month_name(self.first_day)
        if self.quarter is not None:
            return _l("Quarter %(quarter)s of fiscal year %(year)s", quarter=self.quarter,
                      year=self.fiscal_year)
        return _l("Fiscal year %(year)s", year=self.fiscal_year)

    @property
    def slug(self) -> str:
        """For a file name: fy2569, fy2569-q1, 2568-10 (Buddhist Era)."""
        if self.month is not None:
            return f"{self.first_day.year + BE_OFFSET}-{self.month:02d}"
        return f"fy{self.fiscal_year}" + (f"-q{self.quarter}" if self.quarter else "")
