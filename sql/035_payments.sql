-- Fee and tax payments with receipts (seed 004, issue 14): a citizen sends the photo of a
-- transfer slip for the garbage fee or a local tax; the finance division checks it against
-- its account and issues a numbered receipt, which anyone holding it can check online.
-- depends: 034_registrations

-- What a payment case pays, beside its case (1:1): the amount in satang, the transfer, and
-- either a household's garbage fee for a run of months or a tax and its year.
CREATE TABLE payments (
    incident_id     bigint PRIMARY KEY REFERENCES incidents (id) ON DELETE CASCADE,
    organization_id integer NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    pays_for        text NOT NULL CHECK (pays_for IN ('garbage_fee', 'tax')),
    amount_satang   bigint NOT NULL CHECK (amount_satang > 0 AND amount_satang <= 1000000000),
    transferred_on  date NOT NULL,
    -- the bank's reference, upper case without spaces: the same one twice is flagged
    transfer_ref    text CHECK (char_length(transfer_ref) BETWEEN 1 AND 64),
    payer_name      text NOT NULL CHECK (char_length(payer_name) BETWEEN 1 AND 200),
    -- the household as the citizen typed it; household_id links the surveyed household (sql/036)
    house_number    text CHECK (char_length(house_number) BETWEEN 1 AND 20),
    village_id      integer REFERENCES villages (id) ON DELETE SET NULL,
    household_id    integer,
    months_from     date CHECK (extract(day FROM months_from) = 1),
    months_to       date CHECK (extract(day FROM months_to) = 1),
    tax_kind        text CHECK (tax_kind IN ('land_building', 'signboard', 'other')),
    tax_year        integer CHECK (tax_year BETWEEN 2500 AND 2700),  -- Buddhist Era
    -- earlier payments whose slip looked the same or had the same reference, when sent:
    -- [{"incident_id": ..., "why": "same_image" | "same_reference"}], for the finance officer
    reused          jsonb NOT NULL DEFAULT '[]'::jsonb,
    CHECK (pays_for <> 'garbage_fee' OR (house_number IS NOT NULL AND months_from IS NOT NULL
                                         AND months_to >= months_from)),
    CHECK (pays_for <> 'tax' OR (tax_kind IS NOT NULL AND tax_year IS NOT NULL))
);
CREATE INDEX payments_transfer_ref_idx ON payments (organization_id, transfer_ref);

-- The last receipt number of each organization and fiscal year. Issuing a receipt adds one
-- to it in the issuing transaction: the row lock makes concurrent issues wait their turn, and
-- a rolled-back issue gives its number back, so numbers are never reused nor skipped.
CREATE TABLE receipt_counters (
    organization_id integer NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    fiscal_year     integer NOT NULL CHECK (fiscal_year BETWEEN 2500 AND 2700),
    last_number     integer NOT NULL CHECK (last_number > 0),
    PRIMARY KEY (organization_id, fiscal_year)
);

-- A receipt as issued (2570/000123). A voided one keeps its number and says why.
CREATE TABLE receipts (
    id              bigserial PRIMARY KEY,
    incident_id     bigint NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    organization_id integer NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    fiscal_year     integer NOT NULL,
    number          integer NOT NULL CHECK (number > 0),
    amount_satang   bigint NOT NULL CHECK (amount_satang > 0),
    payer_name      text NOT NULL,
    pays_for_text   text NOT NULL,  -- what it pays, as printed on it
    issued_at       timestamptz NOT NULL DEFAULT now(),
    issued_by       integer NOT NULL REFERENCES users (id),
    document_id     bigint REFERENCES case_documents (id),  -- its PDF, a private document
    voided_at       timestamptz,
    voided_by       integer REFERENCES users (id),
    void_reason     text CHECK (char_length(void_reason) BETWEEN 1 AND 500),
    UNIQUE (organization_id, fiscal_year, number),
    CHECK ((voided_at IS NULL) = (void_reason IS NULL) AND (voided_at IS NULL) = (voided_by IS NULL))
);
CREATE INDEX receipts_incident_idx ON receipts (incident_id);
-- One valid receipt per payment: a corrected one is issued after voiding the first.
CREATE UNIQUE INDEX receipts_one_valid_idx ON receipts (incident_id) WHERE voided_at IS NULL;

-- The payment types every organization starts with (office/catalog.py), for the existing
-- ones: the finance division takes them; sensitive, as a payment is nobody else's business
-- (never on the public list, the open data or Open311).
INSERT INTO departments (organization_id, code, name_th, name_en)
SELECT id, 'finance', 'กองคลัง', 'Finance Division' FROM organizations
ON CONFLICT (organization_id, code) DO NOTHING;

INSERT INTO categories (organization_id, code, name_th, name_en, icon, color, department_id,
                        location_required, sensitive, sort_order, kind, sla_minutes)
SELECT o.id, t.code, t.name_th, t.name_en, 'receipt', t.color, d.id, false, true,
       (SELECT coalesce(max(sort_order), 0) FROM categories WHERE organization_id = o.id) + t.n,
       'payment', '{"work": 4320}'::jsonb
FROM organizations o
JOIN departments d ON d.organization_id = o.id AND d.code = 'finance'
CROSS JOIN (VALUES (1, 'garbage_fee', 'ชำระค่าธรรมเนียมเก็บขยะ', 'Pay the garbage collection fee',
                    '#65a30d'),
                   (2, 'local_tax', 'ชำระภาษีท้องถิ่น', 'Pay a local tax', '#0891b2'))
    AS t (n, code, name_th, name_en, color)
ON CONFLICT (organization_id, code) DO NOTHING;
