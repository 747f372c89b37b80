-- Registrations with documents (issue 14, seed 003: the elderly and disability allowances):
-- the rules a registration type states, and each application's personal data, kept beside
-- its case (one row per case) so the case's public pages and lists never hold it.
-- depends: 033_bookings

-- {"min_age": years reached by 30 September of the fiscal year or null, "opens"/"closes":
-- "YYYY-MM-DD" (Thai dates, both included) or null, "documents": [purpose, ...] required},
-- see mapdash/registrations/rules.py. Null for types of other kinds.
ALTER TABLE categories
    ADD COLUMN registration jsonb CHECK (registration IS NULL OR jsonb_typeof(registration) = 'object');

CREATE TABLE registrations (
    incident_id     bigint PRIMARY KEY REFERENCES incidents (id) ON DELETE CASCADE,
    full_name       text NOT NULL CHECK (length(full_name) BETWEEN 1 AND 200),
    -- 13 digits whose last is the Thai checksum (checked by the application)
    national_id     text NOT NULL CHECK (national_id ~ '^[0-9]{13}$'),
    birth_date      date NOT NULL,
    village_id      integer REFERENCES villages (id) ON DELETE SET NULL,
    address         text NOT NULL CHECK (length(address) BETWEEN 1 AND 500),
    phone           text NOT NULL CHECK (length(phone) BETWEEN 1 AND 40),
    bank            text NOT NULL CHECK (length(bank) BETWEEN 1 AND 40),
    account_number  text NOT NULL CHECK (account_number ~ '^[0-9]{10,15}$'),
    account_name    text NOT NULL CHECK (length(account_name) BETWEEN 1 AND 200),
    -- the fiscal year (Buddhist Era) applied for: the approved list is exported per year
    fiscal_year     integer NOT NULL CHECK (fiscal_year BETWEEN 2500 AND 2700)
);
-- A person applies once per type and year: the check looks an ID number up in its year.
CREATE INDEX registrations_year_id_idx ON registrations (fiscal_year, national_id);

-- The two registrations every organization offers (mapdash/office/catalog.py), for the
-- organizations that existed before this migration; handled by social welfare, confidential
-- (never in the public list: an application carries an ID number and a bank account).
INSERT INTO categories (organization_id, code, name_th, name_en, icon, color, department_id,
                        location_required, sensitive, kind, sort_order, sla_minutes, questions, registration)
SELECT o.id, t.code, t.name_th, t.name_en, t.icon, t.color, d.id, false, true, 'registration',
       t.sort_order, '{"acknowledge": 5, "check": 5, "inform": 5, "print": 5, "set_status": 10, "work": 4320, "report": 30}', '[]', t.rules::jsonb
FROM organizations o
JOIN departments d ON d.organization_id = o.id AND d.code = 'welfare'
CROSS JOIN (VALUES
    ('elderly_allowance', 'ลงทะเบียนรับเบี้ยยังชีพผู้สูงอายุ',
     'Elderly allowance registration', 'elderly', '#9333ea', 100,
     '{"min_age": 60, "opens": null, "closes": null, "documents": ["id_card", "house_registration", "bank_book"]}'),
    ('disability_allowance', 'ลงทะเบียนรับเบี้ยความพิการ',
     'Disability allowance registration', 'disability', '#0891b2', 101,
     '{"min_age": null, "opens": null, "closes": null, "documents": ["id_card", "disability_card", "house_registration", "bank_book"]}')
) AS t (code, name_th, name_en, icon, color, sort_order, rules)
WHERE NOT EXISTS (SELECT 1 FROM categories c WHERE c.organization_id = o.id AND c.code = t.code);
