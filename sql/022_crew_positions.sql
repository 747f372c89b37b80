-- Where crews are (issue 17): a crew member on duty shares the phone's position; the
-- dispatcher's map shows each crew's last one and how old it is, and "assign" lists the
-- case's crews nearest first. Kept for the organization's set number of days, then deleted
-- by the worker (field/positions.py).
-- depends: 021_statistics

CREATE TABLE crew_positions (
    id              bigserial PRIMARY KEY,
    user_id         integer NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    organization_id integer NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    position        geometry(Point, 4326) NOT NULL,
    accuracy_m      real NOT NULL CHECK (accuracy_m BETWEEN 0 AND 1000),
    recorded_at     timestamptz NOT NULL,               -- by the phone's clock
    received_at     timestamptz NOT NULL DEFAULT now(),
    -- A position sent again (an answer lost on the way) is stored once; the index also
    -- reads one crew's track, newest first.
    CONSTRAINT crew_positions_user_recorded_key UNIQUE (user_id, recorded_at)
);
-- The retention purge, per organization and age.
CREATE INDEX crew_positions_org_recorded_idx ON crew_positions (organization_id, recorded_at);

-- Each crew member's newest position, kept at write time so the map and the assign list read
-- one row per crew rather than the newest of each track. A position older than the one
-- kept (a queued one sent late) does not replace it. stopped_at: the crew stopped sharing
-- then; the position is shown again only when a newer one comes.
CREATE TABLE crew_last_positions (
    user_id         integer PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    organization_id integer NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    position        geometry(Point, 4326) NOT NULL,
    accuracy_m      real NOT NULL CHECK (accuracy_m BETWEEN 0 AND 1000),
    recorded_at     timestamptz NOT NULL,
    received_at     timestamptz NOT NULL,
    stopped_at      timestamptz
);
CREATE INDEX crew_last_positions_org_idx ON crew_last_positions (organization_id);

-- For how many days crews' positions are kept (the admin's organization page).
ALTER TABLE organizations ADD COLUMN crew_position_days integer NOT NULL DEFAULT 30
    CHECK (crew_position_days BETWEEN 1 AND 365);
