"""Thai first, English on request: the language choice, the message catalogue, Thai dates.

The catalogue is a plain dict (key -> (Thai, English)); templates call t("key").
"""
from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Flask, g, request
from urllib.parse import urlencode

LANGUAGES = ("th", "en")
LOCAL_TZ = ZoneInfo("Asia/Bangkok")
BE_OFFSET = 543  # Buddhist Era = Common Era + 543

THAI_MONTHS_SHORT = ("ม.ค.", "ก.พ.", "มี.ค.", "เม.ย.", "พ.ค.", "มิ.ย.",
                     "ก.ค.", "ส.ค.", "ก.ย.", "ต.ค.", "พ.ย.", "ธ.ค.")
EN_MONTHS_SHORT = ("Jan", "Feb", "Mar", "Apr", "May", "Jun",
                   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

MESSAGES = {
    "app.name": ("แจ้งเรื่องร้องเรียน", "Report a problem"),
    "app.tagline": ("แจ้งปัญหาในชุมชนถึงองค์กรปกครองส่วนท้องถิ่น แล้วติดตามจนแก้ไขเสร็จ",
                    "Tell your local administration about a problem and follow it until it is fixed"),
    "lang.switch": ("English", "ภาษาไทย"),
    "nav.home": ("หน้าแรก", "Home"),
    "nav.login": ("เข้าสู่ระบบเจ้าหน้าที่", "Staff sign-in"),
    "nav.logout": ("ออกจากระบบ", "Sign out"),
    "nav.dispatch": ("ศูนย์รับแจ้ง", "Dispatch"),
    "nav.crew": ("งานภาคสนาม", "Field work"),
    "home.choose": ("เลือกเรื่องที่ต้องการแจ้ง", "What would you like to report?"),
    "home.villages": ("หมู่บ้านในพื้นที่และเรื่องที่กำลังดำเนินการ",
                      "Villages and their open cases"),
    "home.open_cases": ("เรื่องที่กำลังดำเนินการ", "open cases"),
    "home.no_org": ("ยังไม่มีหน่วยงานในระบบ: ผู้ดูแลระบบต้องนำเข้าข้อมูลก่อน",
                    "No organization yet: an administrator must set one up first"),
    "home.demo": ("ข้อมูลสาธิต (สมมุติ) ไม่ใช่หน่วยงานจริง", "Demo data (synthetic), not a real administration"),
    "emergency.title": ("เหตุฉุกเฉิน โทรทันที", "Emergency? Call now"),
    "emergency.medical": ("เจ็บป่วยฉุกเฉิน", "Medical emergency"),
    "emergency.police": ("แจ้งเหตุด่วน ตำรวจ", "Police"),
    "emergency.fire": ("ดับเพลิง", "Fire brigade"),
    "emergency.note": ("การแจ้งผ่านระบบนี้ไม่ใช่การแทนการโทรแจ้งเหตุฉุกเฉิน",
                       "A report here does not replace calling the emergency number"),
    "login.title": ("เข้าสู่ระบบเจ้าหน้าที่", "Staff sign-in"),
    "login.email": ("อีเมล", "E-mail"),
    "login.password": ("รหัสผ่าน", "Password"),
    "login.submit": ("เข้าสู่ระบบ", "Sign in"),
    "login.failed": ("อีเมลหรือรหัสผ่านไม่ถูกต้อง", "Wrong e-mail or password"),
    "login.demo_disabled": ("บัญชีสาธิตใช้ได้เฉพาะในโหมดพัฒนาเท่านั้น",
                            "Demo accounts work only in development mode"),
    "login.required": ("กรุณาเข้าสู่ระบบก่อน", "Please sign in first"),
    "login.forbidden": ("บัญชีของคุณไม่มีสิทธิ์เข้าถึงหน้านี้",
                        "Your account may not open this page"),
    "logout.done": ("ออกจากระบบแล้ว", "You are signed out"),
    "dispatch.title": ("เรื่องที่กำลังดำเนินการ", "Open cases"),
    "dispatch.map_title": ("ศูนย์รับแจ้ง: แผนที่เรื่องที่กำลังดำเนินการ", "Dispatch: live map of open cases"),
    "dispatch.types": ("ประเภทเรื่อง (ชั้นข้อมูล)", "Case types (layers)"),
    "dispatch.all_statuses": ("ทุกสถานะที่ยังเปิดอยู่", "Every open status"),
    "dispatch.all_departments": ("ทุกกอง/ฝ่าย", "Every department"),
    "dispatch.all_villages": ("ทุกหมู่บ้าน", "Every village"),
    "dispatch.date_from": ("แจ้งตั้งแต่", "Reported from"),
    "dispatch.date_to": ("ถึง", "to"),
    "dispatch.overdue_only": ("เฉพาะที่เกินเวลา", "Overdue only"),
    "dispatch.clear": ("ล้างตัวกรอง", "Clear filters"),
    "dispatch.list_title": ("เรื่องในบริเวณแผนที่", "Cases in view"),
    "dispatch.list_empty": ("ไม่มีเรื่องที่ตรงกับตัวกรองในบริเวณนี้", "No case matches the filters here"),
    "dispatch.capped": ("แสดง {n} เรื่องล่าสุด ซูมเข้าหรือกรองเพื่อดูเพิ่ม",
                        "Showing the newest {n}: zoom in or filter to see more"),
    "dispatch.villages_hint": ("ตัวเลขบนหมู่บ้าน = จำนวนเรื่องที่ยังเปิดอยู่ ซูมเข้าเพื่อดูแต่ละเรื่อง",
                               "Numbers on villages = open cases; zoom in to see each case"),
    "dispatch.overdue": ("เกินเวลา", "Overdue"),
    "dispatch.live": ("อัปเดตอัตโนมัติ", "Live"),
    "dispatch.offline": ("ขาดการเชื่อมต่อ กำลังลองใหม่", "Connection lost, retrying"),
    "dispatch.alert_title": ("เหตุฉุกเฉินใหม่ รอรับเรื่อง", "New emergency, waiting to be accepted"),
    "dispatch.alert_accept": ("รับทราบและรับเรื่อง", "Acknowledge and accept"),
    "dispatch.alert_view": ("ดูเรื่อง", "View"),
    "dispatch.sound_off": ("คลิกที่ใดก็ได้บนหน้านี้เพื่อเปิดเสียงเตือน", "Click anywhere on this page to turn on the alarm sound"),
    "dispatch.close": ("ปิด", "Close"),
    "dispatch.village_short": ("ม.", "V."),
    "dispatch.reported": ("แจ้งเมื่อ", "Reported"),
    "dispatch.place": ("สถานที่", "Place"),
    "dispatch.no_place": ("ไม่ได้ระบุตำแหน่ง", "No place given"),
    "dispatch.reporter": ("ผู้แจ้ง (เห็นเฉพาะเจ้าหน้าที่)", "Reporter (staff only)"),
    "dispatch.anonymous": ("ไม่ประสงค์ออกนาม", "Anonymous"),
    "dispatch.followers": ("มีผู้แจ้งเรื่องเดียวกันอีก {n} คน", "{n} more people reported the same"),
    "dispatch.sensitive": ("เรื่องที่ต้องคุ้มครองผู้แจ้ง ห้ามเปิดเผยข้อมูลผู้แจ้ง",
                           "Protect the reporter: never disclose who reported this"),
    "dispatch.duplicate_of": ("ซ้ำกับเรื่อง", "Duplicate of"),
    "dispatch.photos": ("รูปถ่าย", "Photos"),
    "dispatch.no_photos": ("ไม่มีรูปถ่าย", "No photos"),
    "dispatch.assignee": ("ช่างผู้รับผิดชอบ", "Assigned to"),
    "dispatch.step_now": ("ขั้นตอนปัจจุบัน", "Current step"),
    "dispatch.limit": ("เกณฑ์", "limit"),
    "dispatch.waiting_citizen": ("รอข้อมูลจากผู้แจ้ง (หยุดนับเวลา)", "Waiting for the citizen (clock stopped)"),
    "dispatch.timeline": ("ลำดับเหตุการณ์", "Timeline"),
    "dispatch.event_report": ("ประชาชนแจ้งเรื่อง", "Reported"),
    "dispatch.internal": ("ภายใน", "internal"),
    "dispatch.actions": ("ดำเนินการ", "Actions"),
    "dispatch.no_actions": ("ไม่มีขั้นตอนที่คุณทำได้กับเรื่องนี้ในตอนนี้", "Nothing you can do on this case now"),
    "dispatch.print": ("พิมพ์ใบรับแจ้งเรื่อง (PDF)", "Print the request form (PDF)"),
    "dispatch.note": ("ข้อความ / เหตุผล", "Message / reason"),
    "dispatch.note_public": ("ผู้แจ้งจะเห็นข้อความนี้ในหน้าติดตามเรื่อง", "The citizen sees this on the tracking page"),
    "dispatch.note_internal": ("บันทึกภายใน ผู้แจ้งไม่เห็น", "Internal: the citizen does not see it"),
    "dispatch.choose_crew": ("เลือกช่าง", "Choose a crew member"),
    "dispatch.duplicate_code": ("รหัสเรื่องเดิม (เช่น ABCD-EFGH)", "Code of the original case (e.g. ABCD-EFGH)"),
    "dispatch.confirm": ("ยืนยัน", "Confirm"),
    "dispatch.loading": ("กำลังโหลด…", "Loading…"),
    "dispatch.failed": ("ทำรายการไม่สำเร็จ กรุณาลองใหม่", "That did not work: please try again"),
    "step.intake": ("รับเรื่องและตรวจสอบ", "Intake and check"),
    "step.prepare": ("แจ้งผู้แจ้ง พิมพ์ใบรับแจ้ง มอบหมายงาน", "Inform, print, assign"),
    "step.work": ("ดำเนินการแก้ไข", "The work"),
    "crew.title": ("งานที่ได้รับมอบหมาย", "My assigned cases"),
    "crew.none": ("ยังไม่มีงานที่ได้รับมอบหมาย", "No case is assigned to you"),
    "col.code": ("รหัส", "Code"),
    "col.date": ("วันที่แจ้ง", "Reported"),
    "col.type": ("ประเภท", "Type"),
    "col.village": ("หมู่บ้าน", "Village"),
    "col.department": ("หน่วยงานที่รับผิดชอบ", "Department"),
    "col.status": ("สถานะ", "Status"),
    "col.details": ("รายละเอียด", "Details"),
    "error.title": ("เกิดข้อผิดพลาด", "Something went wrong"),
    "error.csrf": ("แบบฟอร์มหมดอายุ กรุณาโหลดหน้าใหม่แล้วลองอีกครั้ง",
                   "The form expired: reload the page and try again"),
    "error.not_found": ("ไม่พบหน้าที่ต้องการ", "Page not found"),
    "error.too_large": ("ไฟล์ที่ส่งมีขนาดใหญ่เกินไป", "The upload is too large"),
    "status.new": ("รอรับเรื่อง", "New"),
    "status.accepted": ("รับเรื่องแล้ว", "Accepted"),
    "status.info_requested": ("ขอข้อมูลเพิ่มเติม", "More information requested"),
    "status.assigned": ("มอบหมายช่างแล้ว", "Assigned"),
    "status.in_progress": ("กำลังดำเนินการ", "In progress"),
    "status.resolved": ("ดำเนินการแล้ว", "Done"),
    "status.rejected": ("ไม่รับเรื่อง", "Rejected"),
    "status.duplicate": ("เรื่องซ้ำ", "Duplicate"),
    "village.none": ("ไม่ระบุหมู่บ้าน", "No village"),
}


def current_language() -> str:
    return g.get("lang", "th")


def t(key: str, **values) -> str:
    th, en = MESSAGES[key]
    text = en if current_language() == "en" else th
    return text.format(**values) if values else text


def localized(obj, field: str = "name") -> str:
    """obj.name_th or obj.name_en, whichever the reader chose (Thai when English is missing)."""
    if current_language() == "en":
        return getattr(obj, f"{field}_en", None) or getattr(obj, f"{field}_th")
    return getattr(obj, f"{field}_th")


def format_date(value: datetime | None, with_time: bool = False, lang: str | None = None) -> str:
    """'13 ก.ย. 2569' in Thai (Buddhist Era, Bangkok time), '13 Sep 2026' in English."""
    if value is None:
        return ""
    local = value.astimezone(LOCAL_TZ) if value.tzinfo else value
    lang = lang or current_language()
    if lang == "en":
        text = f"{local.day} {EN_MONTHS_SHORT[local.month - 1]} {local.year}"
    else:
        text = f"{local.day} {THAI_MONTHS_SHORT[local.month - 1]} {local.year + BE_OFFSET}"
    return f"{text} {local:%H:%M}" if with_time else text


def switch_language_url() -> str:
    """This page in the other language, keeping its query (?next=..., filters)."""
    other = "th" if current_language() == "en" else "en"
    args = request.args.to_dict(flat=False)
    args["lang"] = [other]
    return request.path + "?" + urlencode(args, doseq=True)


def _choose_language():
    asked = request.args.get("lang")
    if asked in LANGUAGES:
        g.lang, g.lang_asked = asked, True
    else:
        cookie = request.cookies.get("lang")
        g.lang = cookie if cookie in LANGUAGES else "th"


def _remember_language(response):
    if g.get("lang_asked"):
        response.set_cookie("lang", g.lang, max_age=365 * 24 * 3600, samesite="Lax")
    return response


def init_app(app: Flask) -> None:
    app.before_request(_choose_language)
    app.after_request(_remember_language)
    app.jinja_env.globals.update(t=t, localized=localized, current_language=current_language,
                                 switch_language_url=switch_language_url)
    app.jinja_env.filters["thai_date"] = format_date
    app.jinja_env.filters["status_label"] = lambda status: t(f"status.{status}")
