-- Citizens who said "this is the same problem" (+1) instead of reporting it again.
-- Their contact is private like the reporter's. A case marked duplicate hands its followers
-- to the original.
-- depends: 001_init

CREATE TABLE incident_followers (
    id               bigserial PRIMARY KEY,
    incident_id      bigint NOT NULL REFERENCES incidents (id),
    name             text CHECK (char_length(name) <= 200),
    phone            text CHECK (char_length(phone) <= 40),
    line_id          text CHECK (char_length(line_id) <= 100),
    created_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX incident_followers_incident_idx ON incident_followers (incident_id);
