-- Open311 POSTs sent again (issue 16): a client that timed out re-sends its request, and each
-- copy filed a case. Every filed request is now recorded per API key, under its
-- Idempotency-Key header or, without one, under the SHA-256 of its form (every field and
-- value): the same key, or the same form within OPEN311_SAME_REQUEST_MINUTES, answers the
-- first request's case. The row is written before the case, in the same transaction: a
-- concurrent copy waits on the unique index for the first transaction, then finds its case; a
-- refused request leaves no row. incident_id is NULL only inside that transaction.
-- depends: 011_rate_limit_from_first_hit

CREATE TABLE open311_submissions (
    id               bigserial PRIMARY KEY,
    api_key_id       integer NOT NULL REFERENCES api_keys (id) ON DELETE CASCADE,
    idempotency_key  text CHECK (idempotency_key ~ '^[!-~]{1,255}$'),
    form_sha256      text NOT NULL CHECK (form_sha256 ~ '^[0-9a-f]{64}$'),
    incident_id      bigint REFERENCES incidents (id) ON DELETE CASCADE,
    created_at       timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX open311_submissions_key_idx
    ON open311_submissions (api_key_id, idempotency_key) WHERE idempotency_key IS NOT NULL;
CREATE UNIQUE INDEX open311_submissions_form_idx
    ON open311_submissions (api_key_id, form_sha256) WHERE idempotency_key IS NULL;
CREATE INDEX open311_submissions_incident_idx ON open311_submissions (incident_id);
