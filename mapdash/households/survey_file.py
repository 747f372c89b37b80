"""Read a household survey file: a CSV (house_number, village, lat, lon) or a GeoJSON of
points (properties house_number and village). This module only parses: every row becomes a
SurveyRow with its values as written, numbered as people see them (a CSV's line in a
spreadsheet, the header being line 1; a GeoJSON's feature from 1). Whether the values are
usable is checks.py's job; only a file that cannot be read at all is refused here.

Thai appears here only as what the parser recognises in files: column names.
"""
from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from pathlib import Path

from mapdash.errors import UserError
from mapdash.i18n import LazyText, _l

MAX_ROWS = 50_000  # ปางหมู: a few thousand houses; a file of more is not a tambon's survey
HOUSE_FIELDS = ("house_number", "house_no", "houseno", "house", "บ้านเลขที่", "เลขที่")
VILLAGE_FIELDS = ("village", "moo", "village_no", "mu", "หมู่", "หมู่ที่", "หมู่บ้าน")
LAT_FIELDS = ("lat", "latitude", "y", "ละติจูด")
LON_FIELDS = ("lon", "lng", "long", "longitude", "x", "ลองจิจูด")
SUFFIXES = (".csv", ".geojson", ".json")


@dataclass(frozen=True)
class SurveyRow:
    index: int            # the row (CSV line) or feature number people see
    house_number: object  # as written; None when empty
    village: object
    lat: object
    lon: object
    geometry_problem: LazyText | None = None  # a GeoJSON feature that is not a point


def refused(message: LazyText) -> UserError:
    return UserError("bad_household_file", message, field="file")


def read_survey_file(file_name: str, data: bytes) -> tuple[list[SurveyRow], str]:
    """The rows of an uploaded file, and how its rows are called: "row" or "feature"."""
    suffix = Path(file_name).suffix.lower()
    if suffix not in SUFFIXES:
        raise refused(_l("Upload a CSV file (.csv) or a GeoJSON file of points (.geojson, .json)"))
    text = _decode(data)
    rows = _csv_rows(text) if suffix == ".csv" else _geojson_rows(text)
    if not rows:
        raise refused(_l("The file contains no households"))
    if len(rows) > MAX_ROWS:
        raise refused(_l("The file has more than %(n)s households: split it by village",
                         n=f"{MAX_ROWS:,}"))
    return rows, "row" if suffix == ".csv" else "feature"


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")  # files saved by Excel often start with a BOM
    except UnicodeDecodeError:
        # Thai Excel saves "CSV" as Windows-874 (TIS-620); such bytes are rarely valid UTF-8.
        return data.decode("cp874", errors="replace")


def _pick(header: list[str], names: tuple[str, ...]) -> int | None:
    folded = [name.strip().casefold() for name in header]
    for name in names:
        if name in folded:
            return folded.index(name)
    return None


def _csv_rows(text: str) -> list[SurveyRow]:
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    lines = list(csv.reader(io.StringIO(text), dialect))
    if not lines:
        return []
    header = lines[0]
    columns = {"house": _pick(header, HOUSE_FIELDS), "village": _pick(header, VILLAGE_FIELDS),
               "lat": _pick(header, LAT_FIELDS), "lon": _pick(header, LON_FIELDS)}
    missing = [name for name, column in zip(("house_number", "village", "lat", "lon"),
                                            columns.values(), strict=True) if column is None]
    if missing:
        raise refused(_l("The first line must name the columns house_number, village, lat and "
                         "lon; missing: %(names)s", names=", ".join(missing)))

    def cell(line: list[str], column: int | None) -> str | None:
        value = line[column].strip() if column is not None and column < len(line) else ""
        return value or None

    return [SurveyRow(number, cell(line, columns["house"]), cell(line, columns["village"]),
                      cell(line, columns["lat"]), cell(line, columns["lon"]))
            for number, line in enumerate(lines[1:], start=2)
            if any(value.strip() for value in line)]  # blank lines a spreadsheet left


def _geojson_rows(text: str) -> list[SurveyRow]:
    try:
        data = json.loads(text)
    except RecursionError:
        raise refused(_l("The file is nested too deeply to be GeoJSON")) from None
    except ValueError as error:
        raise refused(_l("The file is not readable GeoJSON: %(error)s", error=error)) from None
    kind = data.get("type") if isinstance(data, dict) else None
    items = data.get("features") if kind == "FeatureCollection" else None
    if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        raise refused(_l("The file is not a GeoJSON FeatureCollection"))
    crs = data.get("crs")
    if crs is not None and "4326" not in json.dumps(crs) and "CRS84" not in json.dumps(crs):
        raise refused(_l("The points must be in longitude/latitude (WGS 84, EPSG:4326)"))
    rows = []
    for number, item in enumerate(items, start=1):
        props = item.get("properties") if isinstance(item.get("properties"), dict) else {}
        by_name = {str(key).strip().casefold(): value for key, value in props.items()}
        house = next((by_name[n] for n in HOUSE_FIELDS if by_name.get(n) not in (None, "")), None)
        village = next((by_name[n] for n in VILLAGE_FIELDS if by_name.get(n) not in (None, "")),
                       None)
        geometry = item.get("geometry")
        coordinates = geometry.get("coordinates") if isinstance(geometry, dict) else None
        if not isinstance(geometry, dict) or geometry.get("type") != "Point" \
                or not isinstance(coordinates, list) or len(coordinates) < 2:
            rows.append(SurveyRow(number, house, village, None, None,
                                  _l("the geometry is not a point")))
        else:
            rows.append(SurveyRow(number, house, village, coordinates[1], coordinates[0]))
    return rows
