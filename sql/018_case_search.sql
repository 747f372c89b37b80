-- Staff intake and finding any case (issue 19): the channels a request reaches the office by,
-- and a search over every case, open and closed, by code, phone, name and Thai text.
-- depends: 017_case_types_admin

-- Requests staff enter for a citizen: by phone, at the counter, by letter, from Facebook
-- ('staff': entered by staff, the channel not said).
ALTER TABLE incidents DROP CONSTRAINT incidents_channel_check;
ALTER TABLE incidents ADD CONSTRAINT incidents_channel_check CHECK (channel IN (
    'web', 'open311', 'line', 'staff', 'demo', 'phone', 'counter', 'letter', 'facebook'));

-- Trigram indexes match any substring, which Thai needs: it writes no spaces between words.
CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- Text as the search compares it: lower case, Thai digits as 0-9, and the Thai marks that are
-- not letters to pg_trgm (maitaikhu, the four tone marks, thanthakhat, yamakkan) as Thai
-- digits, which are. Left as they are, a mark splits a word in two and "ช้าง" gives only
-- trigrams every "ข้าง" and "เช้า" has; dropped, "ช้าง" and "ช่าง" become one word.
-- The stored search_text below depends on it: change it only with a migration that
-- rewrites that column.
CREATE FUNCTION search_normalize(value text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
RETURN translate(lower(value),
                 U&'\0E50\0E51\0E52\0E53\0E54\0E55\0E56\0E57\0E58\0E59\0E47\0E48\0E49\0E4A\0E4B\0E4C\0E4E',
                 U&'0123456789\0E50\0E51\0E52\0E53\0E54\0E55\0E56');

-- A phone number as its digits, as typed in any form: '081-234 5678', '+66 81 234 5678' and
-- '๐๘๑๒๓๔๕๖๗๘' are all '0812345678'.
CREATE FUNCTION search_phone(value text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
RETURN (SELECT CASE WHEN digits ~ '^66[0-9]{8,9}$' THEN '0' || substr(digits, 3) ELSE digits END
        FROM (SELECT regexp_replace(translate(value, U&'\0E50\0E51\0E52\0E53\0E54\0E55\0E56\0E57\0E58\0E59',
                                              '0123456789'), '[^0-9]', '', 'g') AS digits) typed);

-- What staff search in a case, normalized once when it is written: a search then rechecks
-- the rows its index finds by a plain LIKE on this column (a third of the time of
-- normalizing each row again). The reporter's contact, the place as written, the details.
ALTER TABLE incidents ADD COLUMN search_text text GENERATED ALWAYS AS (search_normalize(
    coalesce(reporter_name, '') || ' ' || coalesce(search_phone(reporter_phone), '') || ' ' ||
    coalesce(reporter_line_id, '') || ' ' || coalesce(reporter_email, '') || ' ' ||
    coalesce(address, '') || ' ' || description)) STORED;
CREATE INDEX incidents_search_trgm_idx ON incidents USING gin (search_text gin_trgm_ops);

-- The case list sorted by status, type or village (cases/search.py): each group's newest
-- cases first, read in order from these instead of sorting every case. No village: group 0.
CREATE INDEX incidents_org_status_created_idx ON incidents (organization_id, status, created_at DESC);
CREATE INDEX incidents_org_category_created_idx ON incidents (organization_id, category_id, created_at DESC);
CREATE INDEX incidents_org_village_created_idx
    ON incidents (organization_id, (coalesce(village_id, 0)), created_at DESC);
