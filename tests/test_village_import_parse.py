"""Parsing of village boundary files (no database needed)."""

import json
import zipfile

import pyproj
import pytest
import shapefile
from shapely.geometry import MultiPolygon

from mapdash.office.village_import import ImportRefused, read_village_file

# A 1 km square in UTM zone 48N (Thailand) around 104.62E 17.35N.
UTM_SQUARE = [[459500, 1917500], [460500, 1917500], [460500, 1918500], [459500, 1918500], [459500, 1917500]]
LONLAT_SQUARE = [[104.6, 17.3], [104.61, 17.3], [104.61, 17.31], [104.6, 17.31], [104.6, 17.3]]


def polygon(ring=LONLAT_SQUARE):
    return {"type": "Polygon", "coordinates": [ring]}


def feature(geometry, **properties):
    return {"type": "Feature", "properties": properties, "geometry": geometry}


def write_geojson(tmp_path, features, crs=None, name="villages.geojson"):
    data = {"type": "FeatureCollection", "features": features}
    if crs:
        data["crs"] = {"type": "name", "properties": {"name": crs}}
    path = tmp_path / name
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def write_shapefile_zip(tmp_path, with_prj=True, encoding="utf-8"):
    base = tmp_path / "villages"
    with shapefile.Writer(str(base), shapeType=shapefile.POLYGON, encoding=encoding) as writer:
        writer.field("MOO", "N", size=4)
        writer.field("NAME_TH", "C", size=80)
        writer.poly([UTM_SQUARE])
        writer.record(4, "บ้านโนนสูง")
        writer.null()
        writer.record(5, "บ้านไร้ขอบเขต")
    exts = [".shp", ".shx", ".dbf"]
    if with_prj:
        base.with_suffix(".prj").write_text(pyproj.CRS.from_epsg(32648).to_wkt(version="WKT1_ESRI"))
        exts.append(".prj")
    path = tmp_path / "villages.zip"
    with zipfile.ZipFile(path, "w") as archive:
        for ext in exts:
            archive.write(base.with_suffix(ext), f"data/villages{ext}")
    return path


def test_geojson_in_wgs84(tmp_path):
    path = write_geojson(tmp_path, [
        feature(polygon(), number=1, name_th="บ้านหนองบัว", name_en="Ban Nong Bua"),
        feature(polygon(), MOO="2"),
    ])
    features, problems = read_village_file(path)
    assert problems == []
    first, second = features
    assert (first.index, first.number, first.name_th, first.name_en) == (1, 1, "บ้านหนองบัว", "Ban Nong Bua")
    assert (second.index, second.number, second.name_th, second.name_en) == (2, 2, "หมู่ 2", None)
    assert isinstance(first.geometry, MultiPolygon) and first.geometry.is_valid
    assert not first.repaired
    assert list(first.geometry.geoms[0].exterior.coords) == [tuple(p) for p in LONLAT_SQUARE]


@pytest.mark.parametrize("crs", ["EPSG:32648", "urn:ogc:def:crs:EPSG::32648"])
def test_geojson_in_utm_is_reprojected(tmp_path, crs):
    path = write_geojson(tmp_path, [feature(polygon(UTM_SQUARE), number=1)], crs=crs)
    [village], problems = read_village_file(path)
    assert problems == []
    centre = village.geometry.centroid
    assert centre.x == pytest.approx(104.6235, abs=1e-3)
    assert centre.y == pytest.approx(17.3472, abs=1e-3)


def test_source_crs_overrides_file(tmp_path):
    path = write_geojson(tmp_path, [feature(polygon(UTM_SQUARE), number=1)])
    [village], problems = read_village_file(path, source_crs="EPSG:32648")
    assert problems == []
    assert village.geometry.centroid.x == pytest.approx(104.6235, abs=1e-3)


def test_wrong_crs_gives_out_of_range_problem(tmp_path):
    # UTM metres read as lon/lat because the file does not declare its CRS.
    path = write_geojson(tmp_path, [feature(polygon(UTM_SQUARE), number=1)])
    features, problems = read_village_file(path)
    assert features == []
    assert [p.index for p in problems] == [1]
    assert "outside" in problems[0].reason


def test_bow_tie_is_repaired(tmp_path):
    bow_tie = [[104.6, 17.3], [104.61, 17.31], [104.61, 17.3], [104.6, 17.31], [104.6, 17.3]]
    path = write_geojson(tmp_path, [feature(polygon(bow_tie), number=1)])
    [village], problems = read_village_file(path)
    assert problems == []
    assert village.repaired
    assert village.geometry.is_valid and isinstance(village.geometry, MultiPolygon)
    assert len(village.geometry.geoms) == 2
    assert village.geometry.area == pytest.approx(0.01 * 0.01 / 2)


def test_bad_features_reported_by_index(tmp_path):
    path = write_geojson(tmp_path, [
        feature(polygon(), number=1),
        feature({"type": "Point", "coordinates": [104.6, 17.3]}, number=2),
        feature({"type": "LineString", "coordinates": [[104.6, 17.3], [104.7, 17.4]]}, number=3),
        feature(None, number=4),
        feature(polygon(), name_th="ไม่มีเลขหมู่"),
        feature(polygon(), number=1),
        # Collinear ring: make_valid leaves only lines, no area.
        feature(polygon([[104.6, 17.3], [104.61, 17.3], [104.62, 17.3], [104.6, 17.3]]), number=7),
        feature(polygon(), number=8),
    ])
    features, problems = read_village_file(path)
    assert [f.index for f in features] == [1, 8]
    reasons = {p.index: p.reason for p in problems}
    assert sorted(reasons) == [2, 3, 4, 5, 6, 7] and len(problems) == 6
    assert "Point" in reasons[2] and "ไม่ใช่รูปหลายเหลี่ยม" in reasons[2]
    assert "LineString" in reasons[3]
    assert "missing" in reasons[4]
    assert "village number is missing" in reasons[5]
    assert "repeats feature 1" in reasons[6]
    assert "no area" in reasons[7]


@pytest.mark.parametrize("value, expected", [
    (3, 3), (3.0, 3), ("3", 3), (" 03 ", 3), ("หมู่ 3", 3), ("หมู่ที่ 3", 3), ("ม.3", 3),
    ("๓", 3), ("หมู่ที่ ๑๒", 12), ("Moo 7", 7), ("3.0", 3),
])
def test_village_number_forms(tmp_path, value, expected):
    path = write_geojson(tmp_path, [feature(polygon(), number=value)])
    [village], problems = read_village_file(path)
    assert problems == [] and village.number == expected


@pytest.mark.parametrize("value", [0, -1, 3.5, "abc", "-3", "3/1", True, " ", "9" * 5000])
def test_bad_village_numbers(tmp_path, value):
    path = write_geojson(tmp_path, [feature(polygon(), number=value)])
    features, problems = read_village_file(path)
    assert features == [] and [p.index for p in problems] == [1]
    assert "หมู่ที่ไม่ถูกต้อง" in problems[0].reason


@pytest.mark.parametrize("value", [2**31, "2147483648", "หมู่ 99999999999", 1e300])
def test_village_numbers_past_the_integer_column_are_problems(tmp_path, value):
    path = write_geojson(tmp_path, [feature(polygon(), number=value)])
    features, problems = read_village_file(path)
    assert features == [] and [p.index for p in problems] == [1]
    assert "2147483647" in problems[0].reason


def test_explicit_field_names(tmp_path):
    path = write_geojson(tmp_path, [feature(polygon(), number=99, VNO="๕", VNAME="บ้านดอน")])
    [village], _ = read_village_file(path, number_field="vno", name_field="vname")
    assert (village.number, village.name_th) == (5, "บ้านดอน")


def test_zipped_shapefile_with_prj(tmp_path):
    features, problems = read_village_file(write_shapefile_zip(tmp_path))
    [village] = features
    assert (village.index, village.number, village.name_th) == (1, 4, "บ้านโนนสูง")
    assert village.geometry.centroid.x == pytest.approx(104.6235, abs=1e-3)
    assert village.geometry.centroid.y == pytest.approx(17.3472, abs=1e-3)
    assert [(p.index, "missing" in p.reason) for p in problems] == [(2, True)]


def test_shapefile_with_thai_windows_encoding(tmp_path):
    features, _ = read_village_file(write_shapefile_zip(tmp_path, encoding="cp874"))
    assert features[0].name_th == "บ้านโนนสูง"


def test_zip_without_prj_needs_crs(tmp_path):
    path = write_shapefile_zip(tmp_path, with_prj=False)
    with pytest.raises(ImportRefused, match="--crs"):
        read_village_file(path)
    features, _ = read_village_file(path, source_crs="EPSG:32648")
    assert features[0].geometry.centroid.x == pytest.approx(104.6235, abs=1e-3)


def test_refused_files(tmp_path):
    text = tmp_path / "notes.geojson"
    text.write_text("these are not the villages you are looking for\n")
    not_zip = tmp_path / "villages.zip"
    not_zip.write_text("plain text")
    kml = tmp_path / "villages.kml"
    kml.write_text("<kml/>")
    empty = write_geojson(tmp_path, [], name="empty.geojson")
    plain_json = tmp_path / "list.json"
    plain_json.write_text("[1, 2, 3]")
    for path in (text, not_zip, kml, empty, plain_json, tmp_path / "missing.geojson"):
        with pytest.raises(ImportRefused):
            read_village_file(path)


@pytest.mark.parametrize("text", ["[" * 100_000 + "]" * 100_000,
                                  '{"a": ' * 100_000 + "1" + "}" * 100_000])
def test_a_file_nested_too_deeply_is_refused(tmp_path, text):
    path = tmp_path / "deep.geojson"
    path.write_text(text)
    with pytest.raises(ImportRefused, match="deep.geojson.*nested"):
        read_village_file(path)


def test_a_geometry_nested_too_deeply_is_a_problem_of_its_feature(tmp_path):
    deep: list = [104.6, 17.3]
    for _level in range(900):  # JSON reads it; shapely would recurse through every level
        deep = [deep]
    path = write_geojson(tmp_path, [feature({"type": "Polygon", "coordinates": deep}, number=1),
                                    feature(polygon(), number=2)])
    features, problems = read_village_file(path)
    assert [f.number for f in features] == [2]
    assert [(p.index, "malformed" in p.reason) for p in problems] == [(1, True)]


def test_unknown_crs_refused(tmp_path):
    path = write_geojson(tmp_path, [feature(polygon(), number=1)], crs="EPSG:999999")
    with pytest.raises(ImportRefused, match="coordinate system"):
        read_village_file(path)
    with pytest.raises(ImportRefused, match="--crs"):
        read_village_file(write_geojson(tmp_path, [feature(polygon(), number=1)]), source_crs="nonsense")
