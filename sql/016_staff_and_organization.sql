-- The office's people and organization, run from the browser (issue 19, item 1): one-time
-- links to set a password, when each account last signed in, each department's officer in
-- charge, the organization's contact, logo and emergency numbers, and the set-password
-- e-mail in the outbox.
-- depends: 015_admin_changes

-- A one-time link with which a new person (or one whose password was reset) chooses a
-- password (office/password_links.py). The link carries a random secret, signed with
-- SECRET_KEY; only the secret's SHA-256 is kept. It works once, until it expires; a new
-- link of the same account, or deactivation, removes the ones still unused.
CREATE TABLE password_links (
    id            serial PRIMARY KEY,
    user_id       integer NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_sha256  text NOT NULL UNIQUE,
    purpose       text NOT NULL CHECK (purpose IN ('invite', 'reset')),
    created_by    integer REFERENCES users (id),
    created_at    timestamptz NOT NULL DEFAULT now(),
    expires_at    timestamptz NOT NULL,
    used_at       timestamptz
);
CREATE INDEX password_links_user_idx ON password_links (user_id);

-- Shown on the staff list ("last sign-in"); NULL: never since this was recorded.
ALTER TABLE users ADD COLUMN last_sign_in_at timestamptz;

-- The person a department's cases answer to (a user of the same organization).
ALTER TABLE departments ADD COLUMN officer_id integer REFERENCES users (id);

-- How citizens reach the office, its logo (the clean JPEG copy of the upload, at most
-- 480 px a side: small enough for a row) and the emergency numbers the public pages show:
-- [{"number": "1669", "label_th": ..., "label_en": ...}], NULL: 1669, 191 and 199.
ALTER TABLE organizations
    ADD COLUMN phone text CHECK (length(phone) <= 50),
    ADD COLUMN email text CHECK (length(email) <= 254),
    ADD COLUMN address text CHECK (length(address) <= 500),
    ADD COLUMN office_hours text CHECK (length(office_hours) <= 200),
    ADD COLUMN emergency_numbers jsonb CHECK (jsonb_typeof(emergency_numbers) = 'array'),
    ADD COLUMN logo bytea CHECK (length(logo) <= 1048576),
    ADD COLUMN logo_sha256 text,
    ADD CONSTRAINT organizations_logo_whole CHECK ((logo IS NULL) = (logo_sha256 IS NULL));

-- The outbox also carries the set-password link to a new person: a message about an
-- account, not a case.
ALTER TABLE notifications
    ALTER COLUMN incident_id DROP NOT NULL,
    ADD COLUMN user_id integer REFERENCES users (id) ON DELETE CASCADE,
    ADD CONSTRAINT notifications_case_or_account CHECK ((incident_id IS NULL) <> (user_id IS NULL)),
    DROP CONSTRAINT notifications_kind_check,
    ADD CONSTRAINT notifications_kind_check CHECK (kind IN (
        'accepted', 'info_requested', 'resolved', 'rejected', 'new_case', 'overdue',
        'password_link'));
CREATE INDEX notifications_user_idx ON notifications (user_id);
