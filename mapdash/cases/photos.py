"""Photos sent with a case: upload checks, the clean copy anyone may see, and safe storage.

Used by citizens' reports (kind "report") and crews' evidence (kind "evidence"):

    processed = process_upload(request.files["photo"])      # checks; raises UserError
    photo = store_photo(session, incident, processed, "evidence")

An upload must be a real JPEG, PNG or WebP (judged by its content, never its name) of at most
10 MB. The stored copy is re-encoded from the pixels alone: EXIF orientation applied, every
piece of metadata (EXIF with GPS, XMP, comments) left behind, at most 2,000 px a side, with a
thumbnail. Originals are not kept, so there is nothing private left to leak.

Citizens' and staff intake's photos are cleaned off the request path (a 12 MP photo takes
~150 ms of CPU to decode and re-encode): the request only reads the header (receive_uploads:
type, size, pixels, proportions, the same refusals), and stores the upload as it came in the
private folder incoming/ with a `pending` row; the worker makes the clean copy
(photo_processing.py). Nothing serves a pending photo. A crew's evidence is cleaned at once:
its checks need the pixels.

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
from sqlalchemy import func, text
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
# Uploads waiting for the worker, under PHOTO_DIR: private (no route serves a path of it).
INCOMING = "incoming"
# NOTIFY on commit of a pending photo: the worker LISTENs and cleans it within moments.
PHOTO_CHANNEL = "mapdash_photos"
_UPLOAD_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}


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


@dataclass(frozen=True)
class ReceivedPhoto:
    """An upload whose header passed every check, stored as it came until the worker cleans it."""
    data: bytes           # the upload's bytes, metadata and all: never served
    width: int            # as the header says (before EXIF orientation)
    height: int
    source_format: str
    sha256 = None         # the clean copy's, once the worker has made it

    @property
    def content_type(self) -> str:
        return _UPLOAD_TYPES[self.source_format]


# What intake stores: cleaned already, or to be cleaned by the worker.
UploadedPhoto = ProcessedPhoto | ReceivedPhoto


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


def _opened(data: bytes) -> tuple[Image.Image, tuple[int, int]]:
    """The image and its size as the header says, checked (type, proportions, pixels) without
    decoding a pixel. A JPEG is set to decode at the smallest scale still giving MAX_EDGE."""
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
        _refuse("photo_damaged", _l("The image file is damaged"))
    size = image.size
    if min(size) < 1 or max(size) > MAX_ASPECT_RATIO * min(size):  # before any resize
        _refuse("photo_proportions", _l("A photo's long side may be at most %(ratio)s times its "
                                        "short side", ratio=MAX_ASPECT_RATIO))
    if image.format == "JPEG":
        # Decode at 1/2, 1/4 or 1/8 scale when that still gives MAX_EDGE: much faster, less memory.
        scale = MAX_EDGE / max(image.size)
        if scale < 1:
            image.draft("RGB", (int(image.width * scale), int(image.height * scale)))
    if image.width * image.height > MAX_DECODED_PIXELS:
        _refuse(*too_many_pixels)
    return image, size


def check_image(data: bytes) -> ReceivedPhoto:
    """The request's share: every refusal process_image makes from the header, in a fraction
    of a millisecond. Damaged pixels are found by the worker (photo_processing.py)."""
    image, (width, height) = _opened(data)
    return ReceivedPhoto(data=data, width=width, height=height, source_format=image.format or "")


def process_image(data: bytes) -> ProcessedPhoto:
    """Check and clean one image. Raises UserError (4xx) for anything but a usable photo."""
    image, _size = _opened(data)
    source_format = image.format or ""
    try:
        image.load()
    except Exception:  # truncated or corrupt pixel data
        _refuse("photo_damaged", _l("The image file is damaged"))
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


def _chosen(uploads) -> list:
    """The files of one form (at most five); the empty part a form sends with no file is
    ignored."""
    chosen = [upload for upload in uploads if getattr(upload, "filename", None)]
    if len(chosen) > MAX_PHOTOS:
        _refuse("too_many_photos", _l("At most %(max_photos)s photos per report",
                                      max_photos=MAX_PHOTOS))
    return chosen


def receive_uploads(uploads) -> list[ReceivedPhoto]:
    """Every photo of one form, checked by its header, for the worker to clean. All are
    checked before anything is stored."""
    return [check_image(read_upload(upload)) for upload in _chosen(uploads)]


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
    """Where the stored (clean) copy of `photo` is on disk. Not for a pending photo: its
    path is the upload as it came."""
    return photo_root() / (photo.thumb_path if thumb else photo.path)


def is_ready(photo: Photo) -> bool:
    """Whether the clean copy exists (the worker has processed it), so it can be shown."""
    return not photo.pending


def store_photo(session: Session, incident: Incident, photo: UploadedPhoto, kind: str,
                **columns) -> Photo:
    """Store `photo` for `incident`: a clean copy with its thumbnail, or an upload only checked
    so far, kept in incoming/ as it came and marked pending for the worker.

    Flushes; the caller commits. `columns` sets other Photo columns (e.g. closing_id)."""
    root = photo_root()
    name = secrets.token_urlsafe(18)  # unguessable, though files are only served by id
    contents: dict[str, bytes]
    if isinstance(photo, ReceivedPhoto):
        folder = INCOMING
        relative = {"path": f"{folder}/{name}", "thumb_path": f"{folder}/{name}"}
        contents = {"path": photo.data}
        columns.update(pending=True, process_after=func.now())
    else:
        folder = datetime.now(UTC).strftime("%Y/%m")
        relative = {"path": f"{folder}/{name}.jpg", "thumb_path": f"{folder}/{name}-thumb.jpg"}
        contents = {"path": photo.data, "thumb_path": photo.thumb}
    (root / folder).mkdir(parents=True, exist_ok=True)
    temporary = {key: write_temporary(root / folder, content) for key, content in contents.items()}
    try:
        row = Photo(incident_id=incident.id, kind=kind, content_type=photo.content_type,
                    sha256=photo.sha256, size_bytes=len(photo.data),
                    width=photo.width, height=photo.height, **relative, **columns)
        session.add(row)
        session.flush()
        if row.pending:  # delivered to the listening worker when the transaction commits
            session.execute(text("SELECT pg_notify(:channel, '')"), {"channel": PHOTO_CHANNEL})
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
    return row


def write_temporary(folder: Path, content: bytes) -> Path:
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
