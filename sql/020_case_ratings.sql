-- Citizens rate the result (issue 12): after a case is resolved its reporter gives 1-5 stars
-- and an optional comment, once per case, and within the organization's set number of days
-- may say it is not fixed, which reopens the case (Traffy Fondue's star and count_reopen).
-- depends: 019_case_work

CREATE TABLE case_ratings (
    incident_id bigint PRIMARY KEY REFERENCES incidents (id) ON DELETE CASCADE,
    stars       smallint NOT NULL CHECK (stars BETWEEN 1 AND 5),
    comment     text NOT NULL DEFAULT '' CHECK (char_length(comment) <= 1000),
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- How many times a closed case was opened again, by staff ("reopen") or by its reporter
-- ("not fixed"): the statistics' share of reopened cases reads it.
ALTER TABLE incidents ADD COLUMN reopen_count integer NOT NULL DEFAULT 0 CHECK (reopen_count >= 0);

-- For how many days after a case is resolved its reporter may say it is not fixed.
ALTER TABLE organizations
    ADD COLUMN not_fixed_days integer NOT NULL DEFAULT 14 CHECK (not_fixed_days BETWEEN 1 AND 365);
