-- A client's rate-limit window now starts at its first submission instead of at a boundary
-- of the clock (every tenth minute). With boundaries, ten reports at 10:09:59 and ten more at
-- 10:10:00 were all accepted, and whether a burst was stopped depended on when it began.
-- The counters are short-lived (unlogged, at most one window old): start them afresh.
-- depends: 003_citizen_intake

DROP TABLE rate_limit_counters;
CREATE UNLOGGED TABLE rate_limit_counters (
    bucket        text PRIMARY KEY,
    window_start  timestamptz NOT NULL,
    hits          integer NOT NULL CHECK (hits > 0)
);
CREATE INDEX rate_limit_counters_window_idx ON rate_limit_counters (window_start);
