-- Open311 GeoReport v2 (issue 6): the keys API clients file requests with, the extra
-- questions a case type asks (Open311's "service definition" attributes, also on the web
-- form), the answers a case carries, and the address an API client sent instead of a point.
-- depends: 006_citizen_contacts

-- A key is 256 random bits, shown once; only its SHA-256 is kept. High-entropy keys need no
-- slow hash: nobody can guess one to test against the digest.
CREATE TABLE api_keys (
    id               serial PRIMARY KEY,
    name             text NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 100),
    organization_id  integer NOT NULL REFERENCES organizations (id),
    key_sha256       text NOT NULL UNIQUE CHECK (key_sha256 ~ '^[0-9a-f]{64}$'),
    created_at       timestamptz NOT NULL DEFAULT now(),
    revoked_at       timestamptz,
    last_used_at     timestamptz
);

-- [{code, datatype, required, description_th, description_en, order,
--   values: [{key, name_th, name_en}]}], see mapdash/questions.py
ALTER TABLE categories
    ADD COLUMN questions jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(questions) = 'array');

-- {code: answer}; the text of an Open311 address_string.
ALTER TABLE incidents
    ADD COLUMN attributes jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(attributes) = 'object'),
    ADD COLUMN address text CHECK (length(address) <= 500);

-- The questions of the standard case types (mapdash/catalog.py), for organizations that
-- existed before this migration. Every one optional: an emergency is never refused for a
-- missing answer.
UPDATE categories SET questions = '[
  {"code": "main_type", "datatype": "singlevaluelist", "required": false, "order": 1,
   "description_th": "ประเภทเหตุ", "description_en": "Main type",
   "values": [{"key": "accident", "name_th": "อุบัติเหตุ", "name_en": "Accident"},
              {"key": "illness", "name_th": "ป่วยฉุกเฉิน", "name_en": "Sudden illness"}]}
]' WHERE code = 'ems' AND questions = '[]';

UPDATE categories SET questions = '[
  {"code": "pole_number", "datatype": "string", "required": false, "order": 1,
   "description_th": "หมายเลขเสาไฟฟ้า (ถ้าเห็น)", "description_en": "Pole number (if you can see it)",
   "values": []},
  {"code": "lights_out", "datatype": "number", "required": false, "order": 2,
   "description_th": "จำนวนดวงที่ดับ", "description_en": "How many lights are out", "values": []}
]' WHERE code = 'streetlight' AND questions = '[]';

UPDATE categories SET questions = '[
  {"code": "still_flowing", "datatype": "singlevaluelist", "required": false, "order": 1,
   "description_th": "น้ำยังไหลออกมาอยู่หรือไม่", "description_en": "Is water still flowing out?",
   "values": [{"key": "yes", "name_th": "ยังไหลอยู่", "name_en": "Yes, still flowing"},
              {"key": "no", "name_th": "หยุดไหลแล้ว", "name_en": "No, it has stopped"}]}
]' WHERE code = 'water' AND questions = '[]';

UPDATE categories SET questions = '[
  {"code": "hazards", "datatype": "multivaluelist", "required": false, "order": 1,
   "description_th": "ลักษณะภัย (เลือกได้หลายข้อ)", "description_en": "What is happening (choose all that apply)",
   "values": [{"key": "flood", "name_th": "น้ำท่วม", "name_en": "Flood"},
              {"key": "storm", "name_th": "วาตภัย", "name_en": "Storm"},
              {"key": "landslide", "name_th": "ดินถล่ม", "name_en": "Landslide"}]}
]' WHERE code = 'disaster' AND questions = '[]';

UPDATE categories SET questions = '[
  {"code": "preferred_time", "datatype": "datetime", "required": false, "order": 1,
   "description_th": "วันและเวลาที่สะดวก", "description_en": "Preferred date and time",
   "values": []}
]' WHERE code = 'appointment' AND questions = '[]';
