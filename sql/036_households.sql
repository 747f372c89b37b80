-- Households (seed 002: every house surveyed by drone and given a QR sticker that opens the
-- administration's services with the house's place preset). Not cases: a table of their own,
-- imported from a survey file or placed on the map by staff (mapdash/households/).
-- depends: 035_payments

CREATE TABLE households (
    id               serial PRIMARY KEY,
    organization_id  integer NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    village_id       integer NOT NULL REFERENCES villages (id) ON DELETE CASCADE,
    -- As written on the house ("12", "12/3"); Thai digits and spaces normalised on the way in.
    house_number     text NOT NULL CHECK (char_length(house_number) BETWEEN 1 AND 20),
    location         geometry(Point, 4326) NOT NULL,
    -- The only thing a sticker's QR code carries: random, never personal data.
    qr_key           text NOT NULL UNIQUE CHECK (qr_key ~ '^[A-Za-z0-9_-]{12,64}$'),
    created_at       timestamptz NOT NULL DEFAULT now(),
    UNIQUE (village_id, house_number)
);
CREATE INDEX households_org_idx ON households (organization_id, village_id);
-- The dispatcher's household layer reads the points within the view.
CREATE INDEX households_location_gix ON households USING gist (location);

-- A checked household file waiting for the administrator's "confirm", as village_uploads
-- (sql/017): found by the SHA-256 of a random token, forgotten after an hour.
CREATE TABLE household_uploads (
    token_sha256     text PRIMARY KEY CHECK (token_sha256 ~ '^[0-9a-f]{64}$'),
    organization_id  integer NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    user_id          integer NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    file_name        text NOT NULL,
    households       jsonb NOT NULL,  -- [{row, village_id, house_number, lon, lat}], checked
    created_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX household_uploads_created_idx ON household_uploads (created_at);

-- A garbage fee paid for a house the survey knows is on that household's account
-- (services/payments.py links it when the number and village match).
ALTER TABLE payments ADD CONSTRAINT payments_household_id_fkey
    FOREIGN KEY (household_id) REFERENCES households (id) ON DELETE SET NULL;
