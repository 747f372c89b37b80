"""The departments and case types of a Thai local administration (see shared/docs/domain.md).

A new organization starts from these; `routing.py` says which department takes each type.
They are data stored in each organization's rows, in both languages (name_th, name_en), which
is why Thai appears here; an administrator edits them per organization.
"""
from typing import Any

from mapdash.models import DEFAULT_SLA_MINUTES

DEPARTMENTS = [
    # code, Thai, English
    ("engineering", "กองช่าง", "Engineering Division"),
    ("public_health", "กองสาธารณสุขและสิ่งแวดล้อม", "Public Health and Environment Division"),
    ("chief_admin", "สำนักปลัด", "Office of the Chief Administrator"),
    ("finance", "กองคลัง", "Finance Division"),
    ("disaster", "งานป้องกันและบรรเทาสาธารณภัย", "Disaster Prevention and Mitigation"),
    ("legal", "งานนิติการ", "Legal Affairs"),
    ("welfare", "กองสวัสดิการสังคม", "Social Welfare Division"),
]

# Emergencies are counted in minutes, everything else follows seed 001.
_EMERGENCY_SLA = {**DEFAULT_SLA_MINUTES, "acknowledge": 1, "check": 2, "work": 60}
_NO_FIELD_WORK_SLA = {**DEFAULT_SLA_MINUTES, "work": 3 * 24 * 60}


def _question(code, datatype, description_th, description_en, order=1, values=()):
    """One extra question of a type (mapdash/cases/questions.py). All optional: an emergency must
    never be refused for a missing answer. sql/007 gives existing organizations the same."""
    return {"code": code, "datatype": datatype, "required": False, "order": order,
            "description_th": description_th, "description_en": description_en,
            "values": [{"key": key, "name_th": th, "name_en": en} for key, th, en in values]}


# Seed 000's EMS form asks for the main type; the others help the crew bring the right part.
_QUESTIONS = {
    "ems": [_question("main_type", "singlevaluelist", "ประเภทเหตุ", "Main type", values=(
        ("accident", "อุบัติเหตุ", "Accident"), ("illness", "ป่วยฉุกเฉิน", "Sudden illness")))],
    "streetlight": [
        _question("pole_number", "string", "หมายเลขเสาไฟฟ้า (ถ้าเห็น)",
                  "Pole number (if you can see it)"),
        _question("lights_out", "number", "จำนวนดวงที่ดับ", "How many lights are out", order=2)],
    "water": [_question("still_flowing", "singlevaluelist", "น้ำยังไหลออกมาอยู่หรือไม่",
                        "Is water still flowing out?", values=(
        ("yes", "ยังไหลอยู่", "Yes, still flowing"), ("no", "หยุดไหลแล้ว", "No, it has stopped")))],
    "disaster": [_question("hazards", "multivaluelist", "ลักษณะภัย (เลือกได้หลายข้อ)",
                           "What is happening (choose all that apply)", values=(
        ("flood", "น้ำท่วม", "Flood"), ("storm", "วาตภัย", "Storm"),
        ("landslide", "ดินถล่ม", "Landslide")))],
}

CATEGORIES: list[dict[str, Any]] = [
    # code, Thai, English, icon, colour, flags, time limits
    dict(code="streetlight", name_th="ไฟฟ้าส่องสว่างดับ", name_en="Streetlight out",
         icon="streetlight", color="#eab308"),
    dict(code="water", name_th="ประปาชำรุด", name_en="Broken water supply",
         icon="water", color="#0ea5e9"),
    dict(code="road", name_th="ทางชำรุด", name_en="Damaged road", icon="road", color="#78716c"),
    dict(code="ems", name_th="อุบัติเหตุ / ป่วยฉุกเฉิน", name_en="Accident / medical emergency",
         icon="ems", color="#dc2626", emergency=True, sla_minutes=_EMERGENCY_SLA),
    dict(code="fire", name_th="เพลิงไหม้", name_en="Fire", icon="fire", color="#ea580c",
         emergency=True, sla_minutes=_EMERGENCY_SLA),
    dict(code="drug_tip", name_th="เบาะแสยาเสพติด", name_en="Drug tip", icon="shield",
         color="#7c3aed", sensitive=True),
    dict(code="info_request", name_th="ขอข้อมูลข่าวสาร", name_en="Information request",
         icon="info", color="#2563eb", kind="information", location_required=False,
         sla_minutes=_NO_FIELD_WORK_SLA),
    dict(code="appointment", name_th="นัดหมายล่วงหน้า", name_en="Appointment",
         icon="calendar", color="#0d9488", kind="appointment", location_required=False,
         sla_minutes=_NO_FIELD_WORK_SLA),
    dict(code="dev_plan", name_th="เสนอปัญหาเพื่อบรรจุในแผนพัฒนาท้องถิ่น",
         name_en="Proposal for the local development plan", icon="plan", color="#16a34a",
         kind="proposal"),
    dict(code="disaster", name_th="สาธารณภัย (น้ำท่วม วาตภัย)", name_en="Disaster (flood, storm)",
         icon="disaster", color="#b91c1c", emergency=True, sla_minutes=_EMERGENCY_SLA),
    dict(code="nuisance", name_th="เหตุเดือดร้อนรำคาญ", name_en="Nuisance", icon="noise",
         color="#a16207"),
    dict(code="complaint", name_th="ร้องเรียน / ร้องทุกข์", name_en="Complaint / grievance",
         icon="complaint", color="#475569", location_required=False),
    # Seed 003's registration form: applications carry an ID number and a bank account, so
    # they are confidential (never in the public list). The elderly allowance is for people
    # 60 or older by the end of the fiscal year; the disability allowance needs the
    # disability card. No window: an admin sets one for a registration round.
    dict(code="elderly_allowance", name_th="ลงทะเบียนรับเบี้ยยังชีพผู้สูงอายุ",
         name_en="Elderly allowance registration", icon="elderly", color="#9333ea",
         kind="registration", location_required=False, sensitive=True,
         sla_minutes=_NO_FIELD_WORK_SLA,
         registration={"min_age": 60, "opens": None, "closes": None,
                       "documents": ["id_card", "house_registration", "bank_book"]}),
    dict(code="disability_allowance", name_th="ลงทะเบียนรับเบี้ยความพิการ",
         name_en="Disability allowance registration", icon="disability", color="#0891b2",
         kind="registration", location_required=False, sensitive=True,
         sla_minutes=_NO_FIELD_WORK_SLA,
         registration={"min_age": None, "opens": None, "closes": None,
                       "documents": ["id_card", "disability_card", "house_registration",
                                     "bank_book"]}),
    # Seed 004: a transfer slip sent for the garbage fee or a tax; the finance division checks
    # it and issues the receipt (services/payments.py). sql/035 adds them to existing ones.
    # Sensitive: a payment is nobody else's business (no public list, open data or Open311).
    dict(code="garbage_fee", name_th="ชำระค่าธรรมเนียมเก็บขยะ",
         name_en="Pay the garbage collection fee", icon="receipt", color="#65a30d",
         kind="payment", location_required=False, sensitive=True,
         sla_minutes={"work": 3 * 24 * 60}),
    dict(code="local_tax", name_th="ชำระภาษีท้องถิ่น", name_en="Pay a local tax", icon="receipt",
         color="#0891b2", kind="payment", location_required=False, sensitive=True,
         sla_minutes={"work": 3 * 24 * 60}),
]
for _category in CATEGORIES:
    _category["questions"] = _QUESTIONS.get(_category["code"], [])
