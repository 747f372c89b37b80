-- Information requests under the Official Information Act B.E. 2540: how the citizen wants to
-- receive what they ask for (the case's description names it), beside the case (one row per
-- case of kind 'information'), and the answer's due day from the organization's number of days
-- (kept with the case, so a change of the setting applies to new requests only).
-- depends: 031_proposals_and_news

ALTER TABLE organizations ADD COLUMN information_days integer NOT NULL DEFAULT 15
    CHECK (information_days BETWEEN 1 AND 90);

CREATE TABLE information_requests (
    incident_id bigint PRIMARY KEY REFERENCES incidents(id) ON DELETE CASCADE,
    delivery text NOT NULL CHECK (delivery IN ('email', 'office', 'post')),
    -- where a copy by post goes; the e-mail of a copy by e-mail is the reporter's
    postal_address text CHECK (length(postal_address) <= 500),
    certified boolean NOT NULL DEFAULT false,
    -- the last day (Thai date) of the answer's time limit
    answer_due_on date NOT NULL,
    CHECK (delivery <> 'post' OR postal_address IS NOT NULL)
);
