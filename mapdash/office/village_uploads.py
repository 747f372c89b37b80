"""Village boundaries uploaded at /admin/villages: checked and shown on a map first, stored
only when the administrator confirms (all-or-nothing, store_villages), and recorded
(office/changes.py, subject "village", action "imported").

A checked file waits in village_uploads (sql/017, office/pending_uploads.py) as GeoJSON:
the server keeps what it checked, so the confirm step cannot store anything else.
"""
import tempfile
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from shapely.geometry import mapping, shape
from sqlalchemy.orm import Session

from mapdash.errors import UserError
from mapdash.i18n import _l
from mapdash.models import User, VillageUpload
from mapdash.office import changes, pending_uploads
from mapdash.office.village_import import NEED_CRS, ImportRefused, VillageFeature, read_village_file
from mapdash.office.villages import store_villages

SUFFIXES = (".geojson", ".json", ".zip")
UNZIPPED_TIMES = 10  # a zip's parts may unpack to this many times the upload limit, not more


@dataclass(frozen=True)
class CheckedUpload:
    """A file read: its usable villages as GeoJSON, its bad features by number (1-based),
    and the token of the confirm step (None when anything was bad: nothing can be stored)."""
    file_name: str
    collection: dict
    problems: list[tuple[int, str]]
    token: str | None


def _refused(message) -> UserError:
    return UserError("bad_village_file", message, field="file")


def _check_zip(path: Path, max_bytes: int) -> None:
    try:
        with zipfile.ZipFile(path) as archive:
            unpacked = sum(item.file_size for item in archive.infolist())
    except (OSError, zipfile.BadZipFile):
        return  # read_village_file says what is wrong with it
    if unpacked > max_bytes * UNZIPPED_TIMES:
        raise _refused(_l("The zip file unpacks to more than %(mb)s MB",
                          mb=max_bytes * UNZIPPED_TIMES // 2**20))


def _read(file_name: str, data: bytes, crs: str | None, max_bytes: int):
    suffix = Path(file_name).suffix.lower()
    if suffix not in SUFFIXES:
        raise _refused(_l("Upload a GeoJSON file (.geojson, .json) or a zipped Shapefile (.zip)"))
    if len(data) > max_bytes:
        raise _refused(_l("The file is larger than %(mb)s MB", mb=max_bytes // 2**20))
    with tempfile.TemporaryDirectory(prefix="mapdash-villages-") as folder:
        path = Path(folder, f"upload{suffix}")
        path.write_bytes(data)
        if suffix == ".zip":
            _check_zip(path, max_bytes)
        try:
            return read_village_file(path, source_crs=crs)
        except ImportRefused as refused:
            if refused.message.msgid == NEED_CRS.msgid:
                raise UserError("village_file_crs", _l(
                    "The file does not say which coordinate system it uses: choose it below, "
                    "e.g. EPSG:32647 (UTM 47N) or EPSG:32648 (UTM 48N)"), field="crs") from None
            raise _refused(refused.message) from None


def check_upload(session: Session, actor: User, file_name: str, data: bytes,
                 crs: str | None, max_bytes: int, now: datetime | None = None) -> CheckedUpload:
    """Read an uploaded file; when every feature is usable, keep it for the confirm step.
    Nothing of the villages is stored. Flushes."""
    now = now or datetime.now(UTC)
    features, problems = _read(file_name, data, crs, max_bytes)
    collection = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": mapping(f.geometry),
         "properties": {"number": f.number, "name_th": f.name_th, "name_en": f.name_en,
                        "feature": f.index, "repaired": f.repaired}} for f in features]}
    token = None if problems else pending_uploads.keep(
        session, VillageUpload, actor, file_name, now, features=collection)
    return CheckedUpload(file_name, collection,
                         [(problem.index, problem.reason) for problem in problems], token)


def confirm(session: Session, actor: User, token: str, update_boundary: bool,
            now: datetime | None = None) -> dict:
    """Store the villages of a checked upload of the actor's (store_villages: all or
    nothing, cases assigned again) and record it. Flushes; the request commits."""
    now = now or datetime.now(UTC)
    upload = pending_uploads.take(session, VillageUpload, actor, token, now,
                                  "village_upload_gone")
    features = [VillageFeature(p["feature"], p["number"], p["name_th"], p["name_en"],
                               shape(item["geometry"]), p["repaired"])
                for item in upload.features["features"] for p in [item["properties"]]]
    result = store_villages(session, actor.organization.slug, features,
                            update_boundary=update_boundary)
    changes.record(session, actor, "village", "imported", label=upload.file_name,
                   after={**result, "villages": sorted(f.number for f in features),
                          "boundary_updated": update_boundary})
    return result
