-- Field crews close cases with photo evidence (issue 5).
-- A closing keeps what the crew sent and what the evidence checks found; its photos are rows
-- of `photos` (kind 'evidence') pointing at it. A failed check never blocks the crew: it flags
-- the case for a dispatcher, who accepts the evidence or sends the case back.
-- depends: 003_citizen_intake 004_dispatch_clock

CREATE TABLE closings (
    id                   bigserial PRIMARY KEY,
    incident_id          bigint NOT NULL REFERENCES incidents (id),
    crew_id              integer NOT NULL REFERENCES users (id),
    -- the "resolve" event written with it, in the same transaction
    event_id             bigint NOT NULL UNIQUE REFERENCES incident_events (id),
    -- made by the phone before its first try: a replay finds this closing, never makes a second
    idempotency_key      text NOT NULL UNIQUE CHECK (idempotency_key ~ '^[A-Za-z0-9_-]{16,64}$'),
    result               text NOT NULL CHECK (result IN ('fixed', 'cannot_fix')),
    reason               text CHECK (char_length(reason) <= 40),
    note                 text NOT NULL DEFAULT '' CHECK (char_length(note) <= 2000),
    -- when the crew pressed "close" (the phone's clock, kept within sane bounds) and where the
    -- phone said it was then; a closing made without signal reaches us later (received_at)
    closed_at            timestamptz NOT NULL,
    received_at          timestamptz NOT NULL DEFAULT now(),
    position             geography(Point, 4326),
    position_accuracy_m  real CHECK (position_accuracy_m >= 0),
    checks               jsonb NOT NULL,
    needs_review         boolean NOT NULL,
    CHECK ((result = 'cannot_fix') = (reason IS NOT NULL))
);
CREATE INDEX closings_incident_idx ON closings (incident_id, id);

ALTER TABLE photos
    -- 64-bit perceptual hash (DCT pHash) as a signed bigint: re-saved or resized copies of a
    -- picture stay within a few bits of it. Report photos get theirs when first compared.
    ADD COLUMN phash bigint,
    -- the photo's own capture time (EXIF), read before the metadata is stripped
    ADD COLUMN captured_at timestamptz,
    ADD COLUMN closing_id bigint REFERENCES closings (id);
CREATE INDEX photos_closing_idx ON photos (closing_id) WHERE closing_id IS NOT NULL;

-- NULL: nothing to review. The dispatcher list reads the flagged ones.
ALTER TABLE incidents
    ADD COLUMN evidence_review text CHECK (evidence_review IN ('needs_review', 'accepted', 'sent_back'));
CREATE INDEX incidents_evidence_review_idx ON incidents (organization_id)
    WHERE evidence_review = 'needs_review';

-- The crew page reads "my open cases" on every load.
CREATE INDEX incidents_open_assignee_idx ON incidents (assigned_to) WHERE is_open;
