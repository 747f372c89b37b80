-- A citizen's photo is checked (type, size, pixels) in the request and stored as it came, in a
-- private folder (incoming/); the worker makes the clean copy (no EXIF, no GPS, <= 2000 px)
-- and the thumbnail later, off the request path (cases/photo_processing.py). Until then the
-- row is `pending` and nothing serves it. Rows already stored are clean copies: not pending.
-- depends: 041_intake_without_shared_rows

ALTER TABLE photos
    ADD COLUMN pending boolean NOT NULL DEFAULT false,
    -- the worker's claims so far; bounded (a file that breaks the worker is given up)
    ADD COLUMN process_attempts smallint NOT NULL DEFAULT 0,
    -- when the worker may (again) take it: a claim holds it for a lease
    ADD COLUMN process_after timestamptz,
    -- the digest is of the clean copy: none until there is one (hashing 5 MB costs the
    -- request ~10 ms under load, for nothing anyone reads)
    ALTER COLUMN sha256 DROP NOT NULL,
    ADD CONSTRAINT photos_pending_is_incoming CHECK (
        NOT pending OR (path LIKE 'incoming/%' AND process_after IS NOT NULL)),
    ADD CONSTRAINT photos_clean_copy_has_digest CHECK (pending OR sha256 IS NOT NULL);

CREATE INDEX photos_pending_idx ON photos (process_after, id) WHERE pending;
