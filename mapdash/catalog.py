"""The departments and case types of a Thai local administration (see shared/docs/domain.md).

A new organization starts from these; `routing.py` says which department takes each type.
"""
from .models import DEFAULT_SLA_MINUTES

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

CATEGORIES = [
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
         icon="info", color="#2563eb", location_required=False, sla_minutes=_NO_FIELD_WORK_SLA),
    dict(code="appointment", name_th="นัดหมายล่วงหน้า", name_en="Appointment",
         icon="calendar", color="#0d9488", location_required=False, sla_minutes=_NO_FIELD_WORK_SLA),
    dict(code="dev_plan", name_th="เสนอปัญหาเพื่อบรรจุในแผนพัฒนาท้องถิ่น",
         name_en="Proposal for the local development plan", icon="plan", color="#16a34a"),
    dict(code="disaster", name_th="สาธารณภัย (น้ำท่วม วาตภัย)", name_en="Disaster (flood, storm)",
         icon="disaster", color="#b91c1c", emergency=True, sla_minutes=_EMERGENCY_SLA),
    dict(code="nuisance", name_th="เหตุเดือดร้อนรำคาญ", name_en="Nuisance", icon="noise",
         color="#a16207"),
    dict(code="complaint", name_th="ร้องเรียน / ร้องทุกข์", name_en="Complaint / grievance",
         icon="complaint", color="#475569", location_required=False),
]
