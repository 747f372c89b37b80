"""Read village (muban) boundary files for ``mapdash villages import``.

This module only parses: a GeoJSON file or a zipped Shapefile in any
coordinate system becomes valid EPSG:4326 MultiPolygons, plus a list of
problems naming each bad feature by its 1-based number.  Storing the
villages is the caller's job, and so is refusing the whole import when any
problem was found.

Thai appears here only as what the parser recognises in files: field names
and village labels ("หมู่ที่"), and Thai digits.
"""

from __future__ import annotations

import io
import json
import re
import struct
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy
import pyproj
import shapefile
import shapely
from shapely.geometry import MultiPolygon, Polygon, shape
from shapely.geometry.base import BaseMultipartGeometry

from mapdash.i18n import LazyText, _l, _lp, both, in_language
from mapdash.models import INTEGER_MAX

NUMBER_FIELDS = ("number", "moo", "vill_no", "village_no", "mu", "หมู่", "หมู่ที่")
NAME_FIELDS = ("name_th", "name", "vill_name", "ชื่อ", "ชื่อหมู่บ้าน")
THAI_DIGITS = str.maketrans("๐๑๒๓๔๕๖๗๘๙", "0123456789")
# A village number written as text: one run of digits, optionally after a
# label such as "หมู่ ", "หมู่ที่ " or "ม." and before a ".0" left by
# spreadsheets.  A minus sign is not a label, so "-3" is rejected.
NUMBER_TEXT = re.compile(r"[^\d-]*?(\d+)(?:\.0+)?")

NEED_CRS = _l("cannot tell which coordinate system the file uses; pass --crs, e.g. --crs EPSG:32648")


@dataclass(frozen=True)
class VillageFeature:
    index: int  # 1-based feature number in the file
    number: int  # village number (mu thi), > 0
    name_th: str
    name_en: str | None
    geometry: MultiPolygon  # EPSG:4326, valid
    repaired: bool  # True when make_valid changed it


@dataclass(frozen=True)
class FeatureProblem:
    index: int
    reason: str


class ImportRefused(Exception):
    """The whole file is unusable: unreadable, unknown format or CRS, no features.

    Its text is in English then Thai, for the command line; `message` renders in either."""

    def __init__(self, message: LazyText):
        self.message = message
        super().__init__(_in_both(message))


class _Problem(Exception):
    """One feature is unusable; the message is its FeatureProblem reason."""

    def __init__(self, message: LazyText):
        self.message = message
        super().__init__(_in_both(message))


def _in_both(message: LazyText) -> str:
    thai, english = both(message)
    return f"{english} ({thai})"


def read_village_file(path, source_crs: str | None = None, number_field: str | None = None,
                      name_field: str | None = None) -> tuple[list[VillageFeature], list[FeatureProblem]]:
    """Return the usable villages in ``path`` and the problems of the others.

    ``source_crs`` overrides the CRS the file declares; ``number_field`` and
    ``name_field`` override the attribute names searched for.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in (".geojson", ".json"):
        rows, crs_text = _read_geojson(path)
    elif suffix == ".zip":
        rows, crs_text = _read_shapefile_zip(path)
    else:
        raise ImportRefused(_l("%(file)s: expected .geojson, .json or a zipped Shapefile (.zip)",
                               file=path.name))
    if not rows:
        raise ImportRefused(_l("%(file)s contains no features", file=path.name))
    to_wgs84 = _transformer(source_crs or crs_text, "--crs" if source_crs else "the file")

    features: list[VillageFeature] = []
    problems: list[FeatureProblem] = []
    first_with_number: dict[int, int] = {}
    for index, (props, geometry) in enumerate(rows, start=1):
        reasons = []
        try:
            multipolygon, repaired = _to_multipolygon(geometry, to_wgs84)
        except _Problem as problem:
            reasons.append(str(problem))
        try:
            number = _village_number(props, number_field)
            # Count duplicates even among otherwise bad features: the file
            # is wrong either way, and the first one keeps the number.
            first = first_with_number.setdefault(number, index)
            if first != index:
                raise _Problem(_l("village number %(number)s repeats feature %(first)s",
                                  number=number, first=first))
        except _Problem as problem:
            reasons.append(str(problem))
        problems.extend(FeatureProblem(index, reason) for reason in reasons)
        if not reasons:
            name_th = _text(_field(props, (name_field,) if name_field else NAME_FIELDS))
            name_en = _text(_field(props, ("name_en",)))
            name_th = name_th or in_language(_lp("track.village_no", "Village"), "th") + f" {number}"
            features.append(VillageFeature(index, number, name_th, name_en,
                                           multipolygon, repaired))
    return features, problems


def _read_geojson(path: Path) -> tuple[list[tuple[dict, object]], str | None]:
    try:
        # utf-8-sig: files saved by Windows tools often start with a BOM.
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except RecursionError:  # e.g. 100,000 nested brackets: no village file is that deep
        raise ImportRefused(_l("%(file)s is nested too deeply to be GeoJSON",
                               file=path.name)) from None
    except (OSError, ValueError) as error:
        raise ImportRefused(_l("cannot read %(file)s as GeoJSON: %(error)s",
                               file=path.name, error=error)) from error
    kind = data.get("type") if isinstance(data, dict) else None
    items = data.get("features") if kind == "FeatureCollection" else [data] if kind == "Feature" else None
    if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        raise ImportRefused(_l("%(file)s is not a GeoJSON Feature or FeatureCollection", file=path.name))
    rows = [(props if isinstance(props := item.get("properties"), dict) else {}, item.get("geometry"))
            for item in items]
    return rows, _geojson_crs(data)


def _geojson_crs(data: dict) -> str | None:
    """The CRS named by a legacy (pre-RFC 7946) "crs" member; None if unusable."""
    crs = data.get("crs")
    if crs is None:
        return "EPSG:4326"  # RFC 7946: GeoJSON coordinates are WGS 84 lon/lat
    try:
        return crs["properties"]["name"] if crs["type"] == "name" else None
    except (TypeError, KeyError):
        return None


def _read_shapefile_zip(path: Path) -> tuple[list[tuple[dict, object]], str | None]:
    try:
        with zipfile.ZipFile(path) as archive:
            # Zips made on macOS carry "__MACOSX/._x.shp" resource forks.
            names = [n for n in archive.namelist() if not n.startswith("__MACOSX/")]
            shps = [n for n in names if n.lower().endswith(".shp")]
            if len(shps) != 1:
                raise ImportRefused(_l("%(file)s must contain exactly one .shp file, found "
                                       "%(found)s", file=path.name, found=len(shps)))
            stem = shps[0][:-4].lower()
            parts = {ext: archive.read(name) for name in names for ext in (".shp", ".shx", ".dbf", ".prj")
                     if name.lower() == stem + ext}
    except (OSError, zipfile.BadZipFile) as error:
        raise ImportRefused(_l("cannot read %(file)s as a zip file: %(error)s",
                               file=path.name, error=error)) from error
    missing = [ext for ext in (".shx", ".dbf") if ext not in parts]
    if missing:
        raise ImportRefused(_l("%(file)s lacks the %(parts)s part of the Shapefile",
                               file=path.name, parts=' and '.join(missing)))
    try:
        try:
            rows = _shapefile_rows(parts, "utf-8")
        except (shapefile.ShapefileException, UnicodeDecodeError):
            # Older Thai Shapefiles store text as TIS-620/Windows-874, often
            # without a .cpg saying so; such bytes are almost never valid UTF-8.
            # (pyshp 3 wraps the decode error in a ShapefileException.)
            rows = _shapefile_rows(parts, "cp874")
    except (shapefile.ShapefileException, struct.error, ValueError) as error:
        raise ImportRefused(_l("%(file)s is not a readable Shapefile: %(error)s",
                               file=path.name, error=error)) from error
    prj = parts.get(".prj")
    return rows, prj.decode("utf-8", errors="replace") if prj else None


def _shapefile_rows(parts: dict[str, bytes], encoding: str) -> list[tuple[dict, object]]:
    with shapefile.Reader(shp=io.BytesIO(parts[".shp"]), shx=io.BytesIO(parts[".shx"]),
                          dbf=io.BytesIO(parts[".dbf"]), encoding=encoding) as reader:
        return [(item.record.as_dict(), _shape_geometry(item.shape)) for item in reader.iterShapeRecords()]


def _shape_geometry(record_shape: shapefile.Shape) -> dict | None:
    # NULL and MultiPatch shapes have no GeoJSON form (pyshp raises); stand-ins
    # let them be reported as missing and as not a polygon.
    if record_shape.shapeType == shapefile.NULL:
        return None
    if record_shape.shapeType == shapefile.MULTIPATCH:
        return {"type": "MultiPatch"}
    return record_shape.__geo_interface__


def _transformer(crs_text: str | None, origin: str) -> pyproj.Transformer:
    if crs_text is None:
        raise ImportRefused(NEED_CRS)
    try:
        source = pyproj.CRS.from_user_input(crs_text)
        return pyproj.Transformer.from_crs(source, "EPSG:4326", always_xy=True)
    except pyproj.exceptions.ProjError as error:
        raise ImportRefused(_l("unknown coordinate system given by %(origin)s: %(error)s",
                               origin=origin, error=error)) from error


def _to_multipolygon(geometry, to_wgs84: pyproj.Transformer) -> tuple[MultiPolygon, bool]:
    if not geometry:
        raise _Problem(_l("geometry is missing"))
    if not isinstance(geometry, dict) or not isinstance(geometry.get("type"), str):
        raise _Problem(_l("geometry is malformed"))
    if geometry["type"] not in ("Polygon", "MultiPolygon"):
        raise _Problem(_l("geometry is a %(kind)s, not a polygon", kind=geometry['type']))
    try:
        # Village boundaries are flat; drop any Z so they fit a 2D column.
        geom = shapely.force_2d(shape(geometry))
    except (ValueError, TypeError, KeyError, IndexError, RecursionError,
            shapely.errors.GEOSException):
        raise _Problem(_l("geometry is malformed")) from None
    if geom.is_empty:
        raise _Problem(_l("geometry is empty"))
    geom = shapely.transform(geom, lambda xy: numpy.column_stack(to_wgs84.transform(xy[:, 0], xy[:, 1])))
    min_x, min_y, max_x, max_y = geom.bounds
    # Chained comparisons also reject the inf/NaN PROJ returns outside its domain.
    if not (-180 <= min_x <= max_x <= 180 and -90 <= min_y <= max_y <= 90):
        raise _Problem(_l("coordinates are outside longitude/latitude range; wrong CRS?"))
    # Repair after reprojecting: reprojection itself can make rings cross.
    repaired = not geom.is_valid
    if repaired:
        # make_valid may also return lines or points; keep the area, and
        # union the pieces so the MultiPolygon's parts do not overlap.
        geom = shapely.union_all(_polygons(shapely.make_valid(geom)))
    polygons = _polygons(geom)
    if not polygons:
        raise _Problem(_l("polygon has no area left after repair"))
    return MultiPolygon(polygons), repaired


def _polygons(geom) -> list[Polygon]:
    if isinstance(geom, Polygon):
        return [] if geom.is_empty else [geom]
    if isinstance(geom, BaseMultipartGeometry):
        return [polygon for part in geom.geoms for polygon in _polygons(part)]
    return []


def _village_number(props: dict, number_field: str | None) -> int:
    value = _field(props, (number_field,) if number_field else NUMBER_FIELDS)
    if value is None:
        raise _Problem(_l("village number is missing"))
    number = None
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, float) and value.is_integer():
        number = int(value)
    elif isinstance(value, str):
        match = NUMBER_TEXT.fullmatch(value.translate(THAI_DIGITS).strip())
        # Python refuses int() of over 4,300 digits; far fewer are already too many here.
        number = int(match.group(1)) if match and len(match.group(1)) <= 20 else None
    if number is None or number <= 0:
        raise _Problem(_l("village number %(value)s is not a positive whole number", value=repr(value)))
    if number > INTEGER_MAX:  # the column is an integer: PostgreSQL would refuse it
        raise _Problem(_l("village number %(value)s is larger than %(max)s", value=repr(value),
                          max=INTEGER_MAX))
    return number


def _field(props: dict, names) -> object:
    """The first of ``names`` present with a value, matching names case-insensitively."""
    by_name = {str(key).strip().casefold(): value for key, value in props.items()}
    for name in names:
        value = by_name.get(name.casefold())
        if value is not None and value != "":
            return value
    return None


def _text(value) -> str | None:
    text = str(value).strip() if value is not None else ""
    return text or None
