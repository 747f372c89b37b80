"""A few elderly-allowance applications for the demo tambon, each at a different step:
waiting, accepted, asked for a clearer bank book page, approved, not approved. Fake people: names
from the demo's lists, ID numbers drawn at random with a valid checksum (so no real person's),
phones in the 000 block, and documents that are grey cards marked SAMPLE."""
import io
import random
from datetime import datetime, timedelta

from PIL import Image, ImageDraw
from sqlalchemy.orm import Session
from werkzeug.datastructures import FileStorage, MultiDict

from mapdash.cases import workflow
from mapdash.demo import data
from mapdash.models import Category, Organization, User
from mapdash.registrations import applications

# (days before `now`, steps after the application: (action, hours later, note)), village
_APPLICATIONS = (
    (40, (("accept", 3, ""), ("resolve", 70, "อนุมัติ เริ่มรับเบี้ยยังชีพตั้งแต่เดือนตุลาคม")), 1),
    (25, (("reject", 20, "ผู้ยื่นได้รับบำนาญจากทางราชการอยู่แล้ว จึงไม่มีสิทธิ์รับเบี้ยยังชีพ"),), 5),
    (9, (("accept", 2, ""), ("request_info", 4, "รูปหน้าสมุดบัญชีไม่ชัด กรุณาส่งรูปใหม่ที่เห็นเลขที่บัญชีชัดเจน")), 3),
    (3, (("accept", 5, ""),), 8),
    (0.1, (), 2),
)


def fake_national_id(rng: random.Random, first: str = "3") -> str:
    """13 digits with the Thai checksum, drawn at random (3: born before 1984)."""
    digits = first + "".join(str(rng.randint(0, 9)) for _ in range(11))
    total = sum(int(d) * w for d, w in zip(digits, range(13, 1, -1), strict=True))
    return digits + str((11 - total % 11) % 10)


def sample_document(label: str, seed: int) -> FileStorage:
    """A small grey card with SAMPLE written on it, as a JPEG upload."""
    image = Image.new("RGB", (320, 200), (215 - seed * 7, 220, 228))
    draw = ImageDraw.Draw(image)
    draw.rectangle((10, 10, 309, 189), outline=(90, 90, 110), width=3)
    draw.text((24, 24), f"SAMPLE - {label}", fill=(40, 40, 60))
    draw.text((24, 150), "demo data, not a real document", fill=(90, 90, 110))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=80)
    out.seek(0)
    return FileStorage(out, filename=f"{label}.jpg", content_type="image/jpeg")


def load_applications(session: Session, org: Organization, staff: User, now: datetime) -> int:
    category = session.query(Category).filter_by(organization_id=org.id,
                                                 code="elderly_allowance").one()
    rng = random.Random(2569)
    for index, (days, steps, village) in enumerate(_APPLICATIONS):
        at = (now - timedelta(days=days)).replace(microsecond=0)
        name = f"{rng.choice(data._FIRST_NAMES)} {rng.choice(data._LAST_NAMES)}"
        form = applications.ApplicationForm.model_validate(applications.ApplicationForm.raw(
            MultiDict({"full_name": name, "national_id": fake_national_id(rng),
                       "birth_day": str(rng.randint(1, 28)), "birth_month": str(rng.randint(1, 12)),
                       "birth_year": str(rng.randint(2490, 2505)), "village": str(village),
                       "address": f"{rng.randint(1, 180)} หมู่ {village}",
                       "phone": f"08{rng.choice('0689')}-000-{rng.randint(0, 9999):04d}",
                       "bank": rng.choice(("baac", "ktb", "gsb")),
                       "account_number": "".join(str(rng.randint(0, 9)) for _ in range(10)),
                       "account_name": name}), MultiDict()))
        incident = applications.apply(
            session, category, form, {purpose: [sample_document(purpose, index)] for purpose in
                                      ("id_card", "house_registration", "bank_book")},
            now=at, channel="demo")
        for action, hours, note in steps:
            workflow.perform(session, incident.id, action, staff, note=note,
                             now=at + timedelta(hours=hours))
    session.flush()
    return len(_APPLICATIONS)
