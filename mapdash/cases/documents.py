"""Private files of a case: what a citizen sends with an application or a payment (an ID
card, a house registration, a bank book page, a transfer slip) and what staff send back (an
information request's answer, a receipt).

    checked = check_upload(request.files["id_card"])              # checks; raises UserError
    document = store_document(session, incident, checked, "id_card")

Never public: served only by views/documents.py, to the case's department (and the
organization's admins) or to the citizen who proved the case is theirs with its reply code.

An upload must be a real JPEG, PNG or WebP image or a PDF, judged by its content, of at most
10 MB. Images are re-encoded like photos (cases/photos.py): metadata such as the GPS position
of the applicant's home is left behind. A PDF is kept as sent, so one that can run anything
(JavaScript, launch or import actions, embedded files, XFA forms) is refused, as is one that
is encrypted or cannot be read.

Files and rows are stored together or not at all (written under a temporary name, placed
once the row is flushed, removed if the transaction rolls back), as photos are.
"""
import hashlib
import io
import os
import secrets
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import NoReturn

from flask import current_app
from PIL import Image
from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject
from sqlalchemy import select
from sqlalchemy.orm import Session

from mapdash import db
from mapdash.cases import photos
from mapdash.cases.replies import reply_code_matches
from mapdash.errors import UserError
from mapdash.field.evidence import perceptual_hash
from mapdash.i18n import LazyText, _l
from mapdash.models import CaseDocument, Incident, User

MAX_DOCUMENT_BYTES = 10 * 1024 * 1024
MAX_PDF_PAGES = 50
PDF = "application/pdf"
_PENDING_FILES = "mapdash_document_files"  # session.info key: files placed in this transaction
# What a PDF may not carry: names of scripts, embedded files and interactive forms, and the
# kinds of action that run, open or send something.
_ACTIVE_KEYS = {"/JS", "/JavaScript", "/EmbeddedFiles", "/EmbeddedFile", "/XFA", "/RichMedia"}
_ACTIVE_ACTIONS = {"/JavaScript", "/Launch", "/ImportData", "/SubmitForm", "/RichMediaExecute",
                   "/GoToE"}


@dataclass(frozen=True)
class CheckedDocument:
    """One upload, checked and ready to store."""
    data: bytes
    media_type: str        # image/jpeg (an image's clean copy) or application/pdf
    filename: str          # what the sender called it, for the download's name
    sha256: str            # of `data`
    phash: int | None      # images: the perceptual hash of field/evidence.py


def _refuse(field: str, code: str, message: LazyText, status: int = 400) -> NoReturn:
    raise UserError(code, message, field=field, status=status)


def check_upload(upload, field: str = "documents") -> CheckedDocument:
    """Check one uploaded file (werkzeug FileStorage). Raises UserError (4xx) naming `field`."""
    stream = getattr(upload, "stream", upload)
    data = stream.read(MAX_DOCUMENT_BYTES + 1)
    if len(data) > MAX_DOCUMENT_BYTES:
        _refuse(field, "document_too_large", _l("Each document must be at most 10 MB"), 413)
    if not data:
        _refuse(field, "document_empty", _l("The document file is empty"))
    filename = _safe_name(getattr(upload, "filename", None) or "document")
    if data.startswith(b"%PDF-"):
        _check_pdf(data, field)
        return CheckedDocument(data, PDF, filename, hashlib.sha256(data).hexdigest(), None)
    try:
        clean = photos.process_image(data)
    except UserError as refused:
        if refused.code == "photo_type":
            _refuse(field, "document_type", _l(
                "This file is not an image (JPEG, PNG or WebP) or a PDF"), 415)
        raise UserError(refused.code, refused.message, field=field,
                        status=refused.status) from None
    phash = perceptual_hash(Image.open(io.BytesIO(clean.data)))
    return CheckedDocument(clean.data, photos.STORED_TYPE, filename, clean.sha256, phash)


def check_uploads(uploads, max_files: int = 10, field: str = "documents") -> list[CheckedDocument]:
    """Every file of one form field; the empty part a form sends with no file is ignored. All
    are checked before anything is stored."""
    chosen = [upload for upload in uploads if getattr(upload, "filename", None)]
    if len(chosen) > max_files:
        _refuse(field, "too_many_documents", _l("At most %(n)s files at a time", n=max_files))
    return [check_upload(upload, field) for upload in chosen]


def _safe_name(name: str) -> str:
    """The sender's file name without a path or characters a header could be bent with."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = "".join(ch for ch in base if ch.isprintable() and ch not in '"<>:;')
    return cleaned.strip()[:200] or "document"


def _check_pdf(data: bytes, field: str) -> None:
    unreadable = ("document_damaged", _l("This PDF is damaged or cannot be read"))
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            _refuse(field, "document_encrypted", _l(
                "This PDF is protected by a password: send it without one"))
        if len(reader.pages) > MAX_PDF_PAGES:
            _refuse(field, "document_too_many_pages", _l(
                "A PDF may have at most %(n)s pages", n=MAX_PDF_PAGES), 413)
        active = any(_is_active(obj) for obj in _objects(reader))
    except UserError:
        raise
    except Exception:  # a parser choking on hostile input: refuse the file, never a 500
        _refuse(field, *unreadable)
    if active:
        _refuse(field, "document_active", _l(
            "This PDF contains scripts, actions or attached files: print it to a new PDF "
            "or send a photo of the paper"))


def _objects(reader: PdfReader) -> Iterator:
    """Every object of the file, in plain and in compressed object streams."""
    numbers = {num for by_number in reader.xref.values() for num in by_number}
    numbers |= set(reader.xref_objStm)
    for number in sorted(numbers):
        yield reader.get_object(number)
    yield reader.trailer


def _is_active(obj) -> bool:
    if isinstance(obj, ArrayObject):
        return any(_is_active(item.get_object() if hasattr(item, "get_object") else item)
                   for item in obj if not _is_reference(item))
    if not isinstance(obj, DictionaryObject):
        return False
    if _ACTIVE_KEYS & set(obj.keys()) or obj.get("/S") in _ACTIVE_ACTIONS:
        return True
    # Direct (not referenced) dictionaries inside this one, e.g. an annotation's /A action;
    # referenced ones are among _objects themselves.
    return any(_is_active(value) for value in obj.values() if not _is_reference(value))


def _is_reference(value) -> bool:
    return type(value).__name__ == "IndirectObject"


# ---- storage -------------------------------------------------------------------------------

def document_root() -> Path:
    return Path(current_app.config["DOCUMENT_DIR"])


def document_path(document: CaseDocument) -> Path:
    return document_root() / document.path


def store_document(session: Session, incident: Incident, checked: CheckedDocument,
                   purpose: str, *, staff: User | None = None) -> CaseDocument:
    """Store `checked` as a document of `incident` for `purpose` (a short code of the service,
    e.g. "id_card", "answer", "slip"); `staff` None: the citizen sent it. Flushes; the caller
    commits."""
    root = document_root()
    folder = datetime.now(UTC).strftime("%Y/%m")
    extension = "pdf" if checked.media_type == PDF else "jpg"
    relative = f"{folder}/{secrets.token_urlsafe(18)}.{extension}"
    (root / folder).mkdir(parents=True, exist_ok=True)
    temporary = root / folder / f".tmp-{secrets.token_hex(8)}"
    with open(temporary, "wb") as handle:
        handle.write(checked.data)
        handle.flush()
        os.fsync(handle.fileno())
    try:
        document = CaseDocument(
            incident_id=incident.id, purpose=purpose, filename=checked.filename,
            media_type=checked.media_type, path=relative, size_bytes=len(checked.data),
            sha256=checked.sha256, phash=checked.phash,
            staff_id=staff.id if staff is not None else None)
        session.add(document)
        session.flush()
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    db.on_this_session(session, "document files", after_commit=_keep_committed_files,
                       after_rollback=_delete_rolled_back_files)
    final = root / relative
    os.replace(temporary, final)
    session.info.setdefault(_PENDING_FILES, []).append(final)
    return document


def _keep_committed_files(session: Session) -> None:
    session.info.pop(_PENDING_FILES, None)


def _delete_rolled_back_files(session: Session) -> None:
    for path in session.info.pop(_PENDING_FILES, []):
        path.unlink(missing_ok=True)


def documents_of(session: Session, incident_id: int,
                 purpose: str | None = None) -> list[CaseDocument]:
    query = select(CaseDocument).where(CaseDocument.incident_id == incident_id)
    if purpose is not None:
        query = query.where(CaseDocument.purpose == purpose)
    return list(session.scalars(query.order_by(CaseDocument.id)))


# ---- who may read them ---------------------------------------------------------------------

def staff_may_read(user: User | None, incident: Incident) -> bool:
    """The responsible department only, and the organization's admins: not every dispatcher
    or crew who may see the case on the map."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if user.organization_id != incident.organization_id:
        return False
    return user.role == "admin" or (
        user.department_id is not None and user.department_id == incident.department_id)


def citizen_may_read(browser: Mapping, incident: Incident) -> bool:
    """The citizen typed the case's reply code on its tracking page (kept in their browser's
    session, cases/replies.keep_reply_code) and it is the right one."""
    kept = browser.get("reply_codes", {}).get(incident.tracking_code)
    return reply_code_matches(incident, kept)


@dataclass(frozen=True)
class CitizenView:
    """What a tracking page shows of a case's documents: `locked` when there are some and
    this browser has not given the case's reply code (templates/public/_case_documents.html)."""
    locked: bool
    documents: list[CaseDocument]


def citizen_view(session: Session, browser: Mapping, incident: Incident,
                 purposes: tuple[str, ...] | None = None) -> CitizenView:
    found = [document for document in documents_of(session, incident.id)
             if purposes is None or document.purpose in purposes]
    if found and not citizen_may_read(browser, incident):
        return CitizenView(True, [])
    return CitizenView(False, found)
