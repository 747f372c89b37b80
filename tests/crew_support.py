"""Helpers for the crew and evidence tests: photos of made-up scenes, cases ready to close."""
import io
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from PIL import Image, ImageDraw

from mapdash.cases import photos, workflow
from mapdash.models import Incident
from mapdash.office.auth import create_user
from tests.factories import make_incident, make_org

EXIF_IFD, DATETIME_ORIGINAL, OFFSET_ORIGINAL = 0x8769, 36867, 36881


def scene(seed: int, size=(1200, 900)) -> Image.Image:
    """A picture of its own: coloured shapes placed by `seed`. Two seeds never look alike."""
    rng = random.Random(seed)
    image = Image.new("RGB", size, tuple(rng.randrange(256) for _ in range(3)))
    draw = ImageDraw.Draw(image)
    for _ in range(30):
        x, y = rng.randrange(size[0]), rng.randrange(size[1])
        w, h = rng.randrange(40, 500), rng.randrange(40, 400)
        shape = draw.ellipse if rng.random() < .5 else draw.rectangle
        shape([x, y, x + w, y + h], fill=tuple(rng.randrange(256) for _ in range(3)))
    return image


def jpeg(image: Image.Image, quality: int = 90, taken: datetime | None = None) -> bytes:
    """JPEG bytes; `taken` is written as the EXIF capture time (with its UTC offset)."""
    out = io.BytesIO()
    exif = Image.Exif()
    if taken is not None:
        exif.get_ifd(EXIF_IFD)[DATETIME_ORIGINAL] = taken.strftime("%Y:%m:%d %H:%M:%S")
        offset = taken.strftime("%z")
        exif.get_ifd(EXIF_IFD)[OFFSET_ORIGINAL] = f"{offset[:3]}:{offset[3:]}"
    image.save(out, "JPEG", quality=quality, exif=exif)
    return out.getvalue()


def resaved_smaller(data: bytes, scale: float = 0.4, quality: int = 60) -> bytes:
    """The same picture saved again smaller, as one sent through a chat app."""
    image = Image.open(io.BytesIO(data))
    image = image.resize((int(image.width * scale), int(image.height * scale)))
    return jpeg(image, quality=quality)


def add_report_photo(session, incident: Incident, data: bytes):
    """A citizen's photo on the case, stored as intake stores it (needs an app context)."""
    photo = photos.store_photo(session, incident, photos.process_image(data), "report")
    session.flush()
    return photo


PASSWORD = "crew-password-1"
# The test tambon's west village (tests/factories.py); a case sits at its middle.
CASE_LON, CASE_LAT = 100.005, 10.005


@dataclass
class Field:
    org: object
    crew: object
    other_crew: object
    dispatcher: object
    case: Incident          # assigned to `crew`, with one citizen photo
    citizen_photo: bytes    # the JPEG the citizen sent


def make_user(session, org, role: str, email: str, department: str | None = None):
    return create_user(session, organization_id=org.id, email=email, password=PASSWORD, role=role,
                       department_code=department, display_name=f"{role} {email.split('@')[0]}")


def assigned_case(session, dispatcher, crew, lon=CASE_LON, lat=CASE_LAT, **fields) -> Incident:
    """A new case taken through the dispatcher's steps to `crew`, as the workflow does it."""
    incident = make_incident(session, lon=lon, lat=lat, **fields)
    workflow.perform(session, incident.id, "accept", dispatcher)
    workflow.perform(session, incident.id, "assign", dispatcher, assignee_id=crew.id)
    return incident


def make_field(session) -> Field:
    """An organization with two crews and a dispatcher; a case assigned to the first crew,
    reported an hour ago with a photo. Needs an app context (photos are stored on disk)."""
    org = make_org(session)
    crew = make_user(session, org, "crew", "crew@test.mapdash.test", "engineering")
    other = make_user(session, org, "crew", "crew2@test.mapdash.test", "engineering")
    dispatcher = make_user(session, org, "dispatcher", "dispatcher@test.mapdash.test")
    case = assigned_case(session, dispatcher, crew)
    case.created_at = datetime.now(UTC) - timedelta(hours=1)
    citizen_photo = jpeg(scene(1000))
    add_report_photo(session, case, citizen_photo)
    session.flush()
    return Field(org, crew, other, dispatcher, case, citizen_photo)
