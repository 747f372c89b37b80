-- The kind of service a case type offers (vocabulary.CASE_KINDS): the manuals' appointments,
-- information requests, plan proposals, registrations and payments are cases with a form,
-- a tracking page and an extra record of their own, not problem reports in disguise.
-- depends: 027_stats_organizations

ALTER TABLE categories ADD COLUMN kind text NOT NULL DEFAULT 'report'
    CHECK (kind IN ('report', 'appointment', 'information', 'proposal', 'registration',
                    'payment'));

-- The types every organization was set up with (office/catalog.py).
UPDATE categories SET kind = 'information' WHERE code = 'info_request';
UPDATE categories SET kind = 'appointment' WHERE code = 'appointment';
UPDATE categories SET kind = 'proposal' WHERE code = 'dev_plan';
