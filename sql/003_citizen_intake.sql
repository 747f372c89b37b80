-- Citizens' intake: the duplicate hint, double-tap safety for +1, and the report rate limit.
-- depends: 002_followers

-- "Is it already reported?": open cases within 100 m, measured in metres on the sphere
-- (ST_DWithin on geography). Partial like incidents_open_location_gix: only open cases are
-- ever asked for, and they are a small share of the table.
CREATE INDEX incidents_open_geog_gix ON incidents USING gist ((location::geography)) WHERE is_open;

-- The public list of cases: newest first, every status, without sorting the whole table.
CREATE INDEX incidents_org_created_idx ON incidents (organization_id, created_at DESC);

-- A double-tapped "this is the same problem" adds one follower, as a double-tapped submit
-- creates one case (incidents.idempotency_key).
ALTER TABLE incident_followers ADD COLUMN idempotency_key text UNIQUE;

-- Report submissions per client address and fixed time window. The address is kept only as
-- a keyed hash, and windows are deleted once they are over. UNLOGGED: counters lost in a
-- crash only reset the limit, and they are not worth the WAL.
CREATE UNLOGGED TABLE rate_limit_counters (
    bucket        text NOT NULL,
    window_start  timestamptz NOT NULL,
    hits          integer NOT NULL CHECK (hits > 0),
    PRIMARY KEY (bucket, window_start)
);
CREATE INDEX rate_limit_counters_window_idx ON rate_limit_counters (window_start);
