"""Photos sent with a case: upload checks, the clean copy anyone may see, and safe storage.

Used by citizens' reports (kind "report") and crews' evidence (kind "evidence"):

    processed = process_upload(request.files["photo"])      # checks; raises UserError
    photo = store_photo(session, incident, processed, "evidence")

An upload must be a real JPEG, PNG or WebP (judged by its content, never its name) of at most
10 MB. The stored copy is re-encoded from the pixels alone: EXIF orientation applied, every
piece of metadata (EXIF with GPS, XMP, comments) left behind, at most 2,000 px a side, with a
thumbnail. Originals are not kept, so there is nothing private left to leak.

Files and rows are stored together or not at all: files are written under a temporary name,
moved into place only once the row is flushed, and deleted again if the transaction rolls back.
"""
import hashlib
import io
import os
import secrets
import warnings
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import NoReturn

from flask import current_app
from PIL import Image, ImageOps, UnidentifiedImageError
from sqlalchemy.orm import Session

from mapdash import db
from mapdash.errors import UserError
from mapdash.i18n import LazyText, _l
from mapdash.models import Incident, Photo

MAX_PHOTO_BYTES = 10 * 1024 * 1024
MAX_PHOTOS = 5
MAX_EDGE = 2000          # px, the long side of the stored copy
THUMB_EDGE = 480         # px
# Pixels actually decoded (after JPEG's cheap scaled decoding): bounds memory for any file.
MAX_DECODED_PIXELS = 50_000_000
# The long side at most this many times the short one: wide phone panoramas pass; a sliver
# 1 px wide would shrink to nothing (0 px) in the stored copy or the thumbnail.
MAX_ASPECT_RATIO = 20
ACCEPTED_FORMATS = ("JPEG", "PNG", "WEBP")
STORED_TYPE = "image/jpeg"

_PENDING_FILES = "mapdash_photo_files"  # session.info key: files placed in this transaction


@dataclass(frozen=True)
class ProcessedPhoto:
    """The clean copy of one upload, ready to store."""
    data: bytes           # JPEG, no metadata
    thumb: bytes          # JPEG, no metadata
    width: int
    height: int
    sha256: str           # of `data`, the bytes on disk
    source_format: str    # what the upload really was: JPEG, PNG or WEBP

    content_type = STORED_TYPE


def _refuse(code: str, message: LazyText, status: int = 400) -> NoReturn:
    raise UserError(code, message, field="photos", status=status)


def read_upload(upload) -> bytes:
    """The bytes of an uploaded file (werkzeug FileStorage or any binary file), at most 10 MB."""
    stream = getattr(upload, "stream", upload)
    data = stream.read(MAX_PHOTO_BYTES + 1)
    if len(data) > MAX_PHOTO_BYTES:
        _refuse("photo_too_large", _l("Each photo must be at most 10 MB"), status=413)
    if not data:
        _refuse("photo_empty", _l("The photo file is empty"))
    return data


def process_image(data: bytes) -> ProcessedPhoto:
    """Check and clean one image. Raises UserError (4xx) for anything but a usable photo."""
    damaged = ("photo_damaged", _l("The image file is damaged"), 400)
    too_many_pixels = ("photo_too_many_pixels", _l("The image has too many pixels"), 413)
    try:
        with warnings.catch_warnings():
            # Pillow warns of large images at open; the decoded-size limit below decides.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=ACCEPTED_FORMATS)
    except UnidentifiedImageError:
        _refuse("photo_type", _l("This file is not a JPEG, PNG or WebP image"), 415)
    except Image.DecompressionBombError:
        _refuse(*too_many_pixels)
    except Exception:  # a decoder choking on hostile input: refuse the file, never a 500
        _refuse(*damaged)
    if max(image.size) > MAX_ASPECT_RATIO * min(image.size):  # before any resize
        _refuse("photo_proportions", _l("A photo's long side may be at most %(ratio)s times its "
                                        "short side", ratio=MAX_ASPECT_RATIO))
    source_format = image.format or ""
    if source_format == "JPEG":
        # Decode at 1/2, 1/4 or 1/8 scale when that still gives MAX_EDGE: much faster, less memory.
        scale = MAX_EDGE / max(image.size)
        if scale < 1:
            image.draft("RGB", (int(image.width * scale), int(image.height * scale)))
    if image.width * image.height > MAX_DECODED_PIXELS:
        _refuse(*too_many_pixels)
    try:
        image.load()
    except Exception:  # truncated or corrupt pixel data
        _refuse(*damaged)
    picture = _flatten_to_rgb(_upright(image))
    picture.thumbnail((MAX_EDGE, MAX_EDGE), Image.Resampling.LANCZOS)
    stored = _jpeg(picture, quality=85)
    thumb = picture.copy()
    thumb.thumbnail((THUMB_EDGE, THUMB_EDGE), Image.Resampling.LANCZOS)
    return ProcessedPhoto(data=stored, thumb=_jpeg(thumb, quality=75), width=picture.width,
                          height=picture.height, sha256=hashlib.sha256(stored).hexdigest(),
                          source_format=source_format)


def process_upload(upload) -> ProcessedPhoto:
    return process_image(read_upload(upload))


def process_uploads(uploads) -> list[ProcessedPhoto]:
    """Every photo of one form (at most five); the empty part a form sends with no file is
    ignored. All are checked before anything is stored."""
    chosen = [upload for upload in uploads if getattr(upload, "filename", None)]
    if len(chosen) > MAX_PHOTOS:
        _refuse("too_many_photos", _l("At most %(max_photos)s photos per report",
                                      max_photos=MAX_PHOTOS))
    return [process_upload(upload) for upload in chosen]


def _upright(image: Image.Image) -> Image.Image:
    """Turned as the camera's EXIF orientation says (phones store photos sideways)."""
    try:
        return ImageOps.exif_transpose(image)
    except Exception:  # unreadable EXIF says nothing about orientation: keep the pixels as they are
        return image


def _flatten_to_rgb(image: Image.Image) -> Image.Image:
    """RGB pixels only: transparency on white, palettes and 16-bit greys expanded."""
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, "white")
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    if image.mode == "I;16" or image.mode == "I":
        image = image.point(lambda v: v / 256).convert("L")
    return image.convert("RGB") if image.mode != "RGB" else image


def _jpeg(image: Image.Image, quality: int) -> bytes:
    # A new image holds the pixels alone: nothing of the upload's info (EXIF, XMP, ICC,
    # comments) can reach the encoder.
    clean = Image.frombytes("RGB", image.size, image.tobytes())
    out = io.BytesIO()
    clean.save(out, "JPEG", quality=quality, optimize=False, progressive=False)
    return out.getvalue()


# ---- storage -------------------------------------------------------------------------------

def photo_root() -> Path:
    return Path(current_app.config["PHOTO_DIR"])


def photo_path(photo: Photo, thumb: bool = False) -> Path:
    """Where the stored (clean) copy of `photo` is on disk."""
    return photo_root() / (photo.thumb_path if thumb else photo.path)


def store_photo(session: Session, incident: Incident, processed: ProcessedPhoto, kind: str,
                **columns) -> Photo:
    """Store the clean copy and thumbnail of `processed` as a photo of `incident`.

    Flushes; the caller commits. `columns` sets other Photo columns (e.g. closing_id)."""
    root = photo_root()
    folder = datetime.now(UTC).strftime("%Y/%m")
    name = secrets.token_urlsafe(18)  # unguessable, though files are only served by id
    relative = {"path": f"{folder}/{name}.jpg", "thumb_path": f"{folder}/{name}-thumb.jpg"}
    (root / folder).mkdir(parents=True, exist_ok=True)
    temporary = {key: _write_temporary(root / folder, content)
                 for key, content in (("path", processed.data), ("thumb_path", processed.thumb))}
    try:
        photo = Photo(incident_id=incident.id, kind=kind, content_type=processed.content_type,
                      sha256=processed.sha256, size_bytes=len(processed.data),
                      width=processed.width, height=processed.height, **relative, **columns)
        session.add(photo)
        session.flush()
    except BaseException:
        for path in temporary.values():
            path.unlink(missing_ok=True)
        raise
    db.on_this_session(session, "photo files", after_commit=_keep_committed_files,
                       after_rollback=_delete_rolled_back_files)
    placed = session.info.setdefault(_PENDING_FILES, [])
    for key, path in temporary.items():
        final = root / relative[key]
        os.replace(path, final)
        placed.append(final)
    return photo


def _write_temporary(folder: Path, content: bytes) -> Path:
    path = folder / f".tmp-{secrets.token_hex(8)}"
    with open(path, "wb") as handle:
        handle.write(content)
        handle.flush()
        os.fsync(handle.fileno())
    return path


def _keep_committed_files(session: Session) -> None:
    session.info.pop(_PENDING_FILES, None)


def _delete_rolled_back_files(session: Session) -> None:
    """No orphan files: what this transaction placed goes when its rows do."""
    for path in session.info.pop(_PENDING_FILES, []):
        path.unlink(missing_ok=True)


def is_public(photo: Photo) -> bool:
    """Anyone may see a photo unless its case type is sensitive (a drug tip must not reveal
    a place or a reporter) or staff rejected the case (spam and abuse are taken down).

    A crew's evidence becomes public only as the "after" of a resolved case, and not while
    a dispatcher still has to review it."""
    incident = photo.incident
    if incident.category.sensitive or incident.status == "rejected":
        return False
    if photo.kind == "evidence":
        return incident.status == "resolved" and incident.evidence_review != "needs_review"
    return True
