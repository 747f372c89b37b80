-- Private files of a case (cases/documents.py): a registration's ID card and house
-- registration, a payment's transfer slip, an information request's answer, a receipt.
-- Served only to the case's department or to its citizen, never public like photos.
-- depends: 028_case_kinds

CREATE TABLE case_documents (
    id           bigserial PRIMARY KEY,
    incident_id  bigint NOT NULL REFERENCES incidents (id),
    purpose      text NOT NULL CHECK (purpose ~ '^[a-z][a-z0-9_]{0,39}$'),
    filename     text NOT NULL CHECK (char_length(filename) BETWEEN 1 AND 200),
    media_type   text NOT NULL CHECK (media_type IN ('image/jpeg', 'application/pdf')),
    path         text NOT NULL UNIQUE,
    size_bytes   integer NOT NULL CHECK (size_bytes > 0),
    sha256       text NOT NULL,
    phash        bigint,
    staff_id     integer REFERENCES users (id),   -- NULL: the citizen sent it
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX case_documents_incident_idx ON case_documents (incident_id);
-- The same file sent again (a slip already used for another payment).
CREATE INDEX case_documents_sha256_idx ON case_documents (sha256);
