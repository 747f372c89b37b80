"""Check survey rows (survey_file.py) against the organization: each row's problems, and the
households of the rows that have none. Every kind of bad row is reported by its number, so
the whole file can be corrected at once; storing is refused when any row is bad (uploads.py).

Which village a house is in: the file's. The village written in the survey is the one on the
house's registration and the one printed on its sticker, so it is never replaced silently by
the one the point falls in. The point must still lie in that village, give or take
VILLAGE_MARGIN_M: village boundaries are digitised coarsely and drone-surveyed points sit on
the roads that often form them. A point farther out is reported with the village it lies in,
for the admin to correct either the village or the point.
"""
from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from mapdash.i18n import LazyText, _l
from mapdash.models import Household, Village
from mapdash.office.village_import import NUMBER_TEXT, THAI_DIGITS

VILLAGE_MARGIN_M = 50
MAX_HOUSE_NUMBER = 20
_SPACES = re.compile(r"\s+")
_HOUSE_LABEL = re.compile(r"^(บ้านเลขที่|เลขที่|house\s*no\.?)\s*", re.I)


@dataclass(frozen=True)
class CheckedRow:
    index: int
    village_id: int
    house_number: str
    lon: float
    lat: float


@dataclass(frozen=True)
class Problem:
    index: int
    reason: LazyText


def house_number_text(value: object) -> str | None:
    """A house number as stored: Thai digits as Arabic, spaces collapsed, a leading
    "บ้านเลขที่" dropped, so "๑๒ / ๓" and "12/3" are the same house. None when empty."""
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # 12.0 from a spreadsheet cell
    number = _SPACES.sub(" ", str(value).translate(THAI_DIGITS)).strip()
    number = _HOUSE_LABEL.sub("", number).replace(" / ", "/").strip()
    return number or None


def _coordinate(value: object, name: LazyText, low: float,
                high: float) -> tuple[float | None, LazyText | None]:
    if value is None or value == "":
        return None, _l("%(name)s is missing", name=name)
    written = str(value).translate(THAI_DIGITS).strip()
    if "," in written and "." not in written:
        written = written.replace(",", ".")  # a decimal comma, as some spreadsheets write it
    try:
        number = float(written) if not isinstance(value, bool) else math.nan
    except ValueError:
        return None, _l("%(name)s %(value)s is not a number", name=name, value=repr(value))
    if not math.isfinite(number) or not low <= number <= high:
        return None, _l("%(name)s %(value)s is outside %(low)s to %(high)s", name=name,
                        value=repr(value), low=low, high=high)
    return number, None


class VillageNames:
    """The organization's villages found by number ("3", "หมู่ 3", "ม.๓") or name."""

    def __init__(self, villages: list[Village]):
        self.by_id = {v.id: v for v in villages}
        self.by_number = {v.number: v for v in villages}
        self.by_name: dict[str, Village] = {}
        for village in villages:
            for name in (village.name_th, village.name_en):
                if name:
                    self.by_name.setdefault(self._fold(name), village)

    @staticmethod
    def _fold(name: str) -> str:
        name = _SPACES.sub(" ", name.strip().casefold())
        return name.removeprefix("บ้าน").removeprefix("ban ").strip()

    def find(self, value: object) -> Village | None:
        if isinstance(value, bool):
            return None
        if isinstance(value, int | float):
            return self.by_number.get(int(value)) if float(value).is_integer() else None
        text_value = str(value)
        named = self.by_name.get(self._fold(text_value))
        if named is not None:  # a name first: "บ้านหนองบัว 2" is a name, not village 2
            return named
        match = NUMBER_TEXT.fullmatch(text_value.translate(THAI_DIGITS).strip())
        return self.by_number.get(int(match.group(1))) if match and len(match.group(1)) < 10 else None


def organization_villages(session: Session, organization_id: int) -> VillageNames:
    return VillageNames(list(session.scalars(select(Village).where(
        Village.organization_id == organization_id).order_by(Village.number))))


def place_in_file(kind: str, index: int) -> LazyText:
    """"row 5" of a CSV (its line in a spreadsheet), "point 5" of a GeoJSON."""
    return _l("row %(n)s", n=index) if kind == "row" else _l("point %(n)s", n=index)


def check_rows(session: Session, organization_id: int, rows,
               kind: str = "row") -> tuple[list[CheckedRow], list[Problem]]:
    """The usable households of `rows` and the problems of the others, in row order; `kind`
    ("row" or "feature") names the rows in the messages."""
    villages = organization_villages(session, organization_id)
    reasons: dict[int, list[LazyText]] = {row.index: [] for row in rows}
    parsed = []
    for row in rows:
        found = reasons[row.index]
        number = house_number_text(row.house_number)
        if number is None:
            found.append(_l("the house number is missing"))
        elif len(number) > MAX_HOUSE_NUMBER:
            found.append(_l("the house number is longer than %(n)s characters", n=MAX_HOUSE_NUMBER))
        village = None
        if row.village is None or str(row.village).strip() == "":
            found.append(_l("the village is missing"))
        else:
            village = villages.find(row.village)
            if village is None:
                found.append(_l("there is no village %(value)s in this organization: give its "
                                "number (e.g. 3) or its name", value=repr(row.village)))
        lat = lon = None
        if row.geometry_problem is not None:
            found.append(row.geometry_problem)
        else:
            lat, lat_problem = _coordinate(row.lat, _l("latitude"), -90, 90)
            lon, lon_problem = _coordinate(row.lon, _l("longitude"), -180, 180)
            if lat_problem is not None and _swapped(row.lat, row.lon):
                found.append(_l("latitude and longitude look swapped"))
            else:
                found.extend(p for p in (lat_problem, lon_problem) if p is not None)
        parsed.append((row.index, number, village, lat, lon))

    _check_places(session, organization_id, villages, parsed, reasons)
    _check_duplicates(session, organization_id, parsed, reasons, kind)
    problems = [Problem(index, reason) for index, found in reasons.items() for reason in found]
    good = []
    for index, number, village, lat, lon in parsed:
        if not reasons[index]:  # then every value was found
            assert village is not None and number is not None and lat is not None and lon is not None
            good.append(CheckedRow(index, village.id, number, lon, lat))
    return good, problems


def _swapped(lat: object, lon: object) -> bool:
    try:
        return abs(float(str(lon))) <= 90 < abs(float(str(lat))) <= 180
    except ValueError:
        return False


def _check_places(session, organization_id, villages: VillageNames, parsed, reasons) -> None:
    """Outside the organization, or outside the row's village by more than the margin: one
    query for the whole file (PostGIS measures in metres on the spheroid)."""
    points = [{"i": index, "lon": lon, "lat": lat, "village": village.id if village else None}
              for index, _number, village, lat, lon in parsed if lat is not None and lon is not None]
    if not points:
        return
    found = session.execute(text("""
        SELECT r.i, ST_Covers(o.boundary, pt.p) AS in_org,
               CASE WHEN v.id IS NULL OR ST_Covers(v.geom, pt.p) THEN 0
                    ELSE ST_Distance(v.geom::geography, pt.p::geography) END AS off_m,
               (SELECT w.id FROM villages w WHERE w.organization_id = :org
                  AND ST_Covers(w.geom, pt.p) ORDER BY w.number LIMIT 1) AS lies_in
        FROM jsonb_to_recordset(CAST(:rows AS jsonb))
             AS r(i integer, lon double precision, lat double precision, village integer)
        CROSS JOIN LATERAL (SELECT ST_SetSRID(ST_MakePoint(r.lon, r.lat), 4326) AS p) pt
        JOIN organizations o ON o.id = :org
        LEFT JOIN villages v ON v.id = r.village"""),
        {"org": organization_id, "rows": json.dumps(points)})
    for index, in_org, off_m, lies_in in found:
        if not in_org:
            reasons[index].append(_l("the point is outside the organization's area"))
        elif off_m > VILLAGE_MARGIN_M:
            village = next(v for i, _n, v, _a, _o in parsed if i == index)
            other = villages.by_id.get(lies_in)
            if other is not None:
                reasons[index].append(_l(
                    "the point is %(m)s m outside village %(village)s; it lies in village "
                    "%(other)s", m=f"{round(off_m):,}", village=village.number, other=other.number))
            else:
                reasons[index].append(_l("the point is %(m)s m outside village %(village)s",
                                         m=f"{round(off_m):,}", village=village.number))


def _check_duplicates(session, organization_id, parsed, reasons, kind: str) -> None:
    stored = set(session.execute(select(Household.village_id, Household.house_number).where(
        Household.organization_id == organization_id)).all())
    first_row: dict[tuple[int, str], int] = {}
    for index, number, village, _lat, _lon in parsed:
        if number is None or village is None:
            continue
        key = (village.id, number)
        if key in stored:
            reasons[index].append(_l("house number %(house)s already exists in village %(village)s",
                                     house=number, village=village.number))
        first = first_row.setdefault(key, index)
        if first != index:
            reasons[index].append(_l("house number %(house)s in village %(village)s repeats "
                                     "%(first)s", house=number, village=village.number,
                                     first=place_in_file(kind, first)))
