"""What each notification says: short Thai text with the link, and an English version.

The payload is channel-neutral (kind, subject_th, subject_en, text_th, text_en, url and
optionally photo_url); the LINE sender pushes text_th (and the photo), the e-mail sender puts
Thai first and English below. Rendered when the message is enqueued, so a retry sends exactly
what was decided then.
"""
from datetime import datetime

from mapdash.i18n import format_date
from mapdash.models import Incident

NOTE_LIMIT = 300  # a staff question or closing note, cut to stay a short message


def _short(text: str, limit: int = NOTE_LIMIT) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _payload(kind: str, url: str, subject: tuple[str, str], text: tuple[str, str],
             photo_url: str | None = None) -> dict:
    payload = {"kind": kind, "subject_th": subject[0], "subject_en": subject[1],
               "text_th": text[0], "text_en": text[1], "url": url}
    if photo_url:
        payload["photo_url"] = photo_url
    return payload


def accepted(incident: Incident, url: str) -> dict:
    code, org, category = incident.tracking_code, incident.organization, incident.category
    return _payload("accepted", url,
                    (f"รับเรื่อง {code} แล้ว", f"Your report {code} was accepted"),
                    (f"{org.name_th} รับเรื่อง \"{category.name_th}\" ของท่านแล้ว "
                     f"(รหัส {code})\nติดตามความคืบหน้า: {url}",
                     f"{org.name_en} has accepted your report \"{category.name_en}\" "
                     f"(code {code}).\nFollow it here: {url}"))


def info_requested(incident: Incident, question: str, url: str, reply_url: str) -> dict:
    """`reply_url`: the reporter's signed link to the answer form (replies.py)."""
    code, org = incident.tracking_code, incident.organization
    question = _short(question)
    payload = _payload("info_requested", url,
                       (f"ขอข้อมูลเพิ่มเติม เรื่อง {code}", f"More information needed for {code}"),
                       (f"เจ้าหน้าที่{org.name_th}ขอข้อมูลเพิ่มเติมเรื่อง {code}:\n{question}\n"
                        f"ตอบคำถาม (ลิงก์นี้สำหรับท่านเท่านั้น ใช้ได้ 30 วัน): {reply_url}\n"
                        f"รายละเอียด: {url}",
                        f"The staff of {org.name_en} need more information about {code}:\n"
                        f"{question}\nAnswer here (a link for you only, good for 30 days): "
                        f"{reply_url}\nDetails: {url}"))
    payload["reply_url"] = reply_url
    return payload


def resolved(incident: Incident, note: str, url: str, photo_url: str | None) -> dict:
    code = incident.tracking_code
    note = _short(note)
    return _payload("resolved", url,
                    (f"เรื่อง {code} ดำเนินการแล้ว", f"Your report {code} is resolved"),
                    (f"เรื่อง {code} ดำเนินการแล้ว: {note}\nดูผลการดำเนินงาน: {url}",
                     f"Your report {code} is resolved: {note}\nSee the result: {url}"),
                    photo_url)


def rejected(incident: Incident, reason: str, url: str) -> dict:
    code, org = incident.tracking_code, incident.organization
    reason = _short(reason)
    return _payload("rejected", url,
                    (f"ไม่รับเรื่อง {code}", f"Your report {code} was not taken up"),
                    (f"{org.name_th} ไม่รับเรื่อง {code}: {reason}\nรายละเอียด: {url}",
                     f"{org.name_en} did not take up your report {code}: {reason}\n"
                     f"Details: {url}"))


def new_case(incident: Incident, url: str) -> dict:
    """For the department's staff. A sensitive case (a drug tip) says only its type and code:
    the alert goes through a mailbox or a LINE group, outside our own pages."""
    code, category = incident.tracking_code, incident.category
    place_th = place_en = ""
    if incident.village is not None and not category.sensitive:
        place_th = f" {incident.village.label_th}"
        place_en = f" (village {incident.village.number})"
    details = "" if category.sensitive else _short(incident.description, 200)
    return _payload("new_case", url,
                    (f"เรื่องใหม่ {code}: {category.name_th}", f"New case {code}: {category.name_en}"),
                    (f"เรื่องใหม่ {code}: {category.name_th}{place_th}\n{details}\n"
                     f"เปิดศูนย์รับแจ้ง: {url}".replace("\n\n", "\n"),
                     f"New case {code}: {category.name_en}{place_en}\n{details}\n"
                     f"Open the dispatch map: {url}".replace("\n\n", "\n")))


STEP_NAMES = {"intake": ("รับและตรวจสอบเรื่อง", "intake and check"),
              "prepare": ("แจ้งผู้ร้อง พิมพ์ใบรับแจ้ง ตั้งสถานะ", "inform, print, set the status"),
              "work": ("ดำเนินการแก้ไข", "the work")}


def overdue(incident: Incident, step: str, due: datetime, url: str) -> dict:
    code, category = incident.tracking_code, incident.category
    step_th, step_en = STEP_NAMES[step]
    return _payload("overdue", url,
                    (f"เกินกำหนดเวลา: เรื่อง {code}", f"Overdue: case {code}"),
                    (f"เรื่อง {code} ({category.name_th}) เกินกำหนดเวลาขั้นตอน \"{step_th}\" "
                     f"(ครบกำหนด {format_date(due, with_time=True, lang='th')})\n"
                     f"เปิดศูนย์รับแจ้ง: {url}",
                     f"Case {code} ({category.name_en}) is past the time limit of \"{step_en}\" "
                     f"(due {format_date(due, with_time=True, lang='en')})\n"
                     f"Open the dispatch map: {url}"))
