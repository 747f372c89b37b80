"""The demo office's news (mapdash/news): one for the whole tambon, one for two villages
only, one that has ended (still on the news page, no longer on the home page). Dates are
days before and after `now`, so the demo reads the same whatever day it is loaded."""
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from mapdash.models import Announcement, User, Village
from mapdash.news.announcements import today

# (title, body, first and last day shown counted from today, village numbers (none: all))
_NEWS = [
    ("ขอเชิญร่วมประชาคมหมู่บ้าน จัดทำแผนพัฒนาท้องถิ่น",
     "องค์การบริหารส่วนตำบลขอเชิญชาวบ้านทุกหมู่ร่วมเสนอโครงการเข้าแผนพัฒนาท้องถิ่น "
     "ตามวันและสถานที่ที่ผู้ใหญ่บ้านแจ้ง หรือเสนอผ่านหน้า \"เสนอโครงการ\" ของเว็บไซต์นี้ได้",
     -3, 25, ()),
    ("งดจ่ายน้ำประปาชั่วคราว หมู่ 3 และหมู่ 5",
     "งดจ่ายน้ำเพื่อซ่อมท่อเมนตั้งแต่ 09.00 ถึง 15.00 น. โปรดสำรองน้ำไว้ใช้ "
     "หากน้ำยังไม่ไหลหลังเวลาดังกล่าว แจ้งได้ที่หมวดน้ำประปา",
     0, 1, (3, 5)),
    ("รับสมัครเบี้ยยังชีพผู้สูงอายุ รอบเดือนนี้",
     "ผู้ที่จะมีอายุครบ 60 ปีในปีงบประมาณหน้า ยื่นคำขอได้ที่สำนักปลัดหรือทางเว็บไซต์ "
     "พร้อมสำเนาบัตรประชาชนและสมุดบัญชีเงินฝาก",
     -40, -10, ()),
]


def load_news(session: Session, organization_id: int, admin: User, now: datetime) -> int:
    """Write the demo's announcements as the admin would have. Flushes."""
    day = today(now)
    villages = {v.number: v for v in session.scalars(
        select(Village).where(Village.organization_id == organization_id))}
    for title, body, first, last, numbers in _NEWS:
        written = now + timedelta(days=first, hours=-2)  # written a little before it is shown
        session.add(Announcement(
            organization_id=organization_id, title=title, body=body,
            starts_on=day + timedelta(days=first), ends_on=day + timedelta(days=last),
            created_by=admin.id,
            created_at=written, updated_at=written,
            villages=[villages[number] for number in numbers]))
    session.flush()
    return len(_NEWS)
