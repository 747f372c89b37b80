-- Working a case fully, and no dead ends (issue 19): a priority set by staff, a case
-- forwarded to another organization or referred to an outside agency, the reply code a
-- citizen answers a staff question with, and the detail of an event.
-- depends: 018_case_search

-- How urgent the office judges a case: set by staff (workflow "set_priority").
ALTER TABLE incidents
    ADD COLUMN priority text NOT NULL DEFAULT 'normal'
        CHECK (priority IN ('normal', 'high', 'urgent')),
    -- The SHA-256 of the reply code shown to the citizen once, when they reported on the web
    -- form: with it they answer a staff question without e-mail or LINE (cases/replies.py).
    ADD COLUMN reply_code_sha256 text CHECK (reply_code_sha256 ~ '^[0-9a-f]{64}$');

-- "referred": closed, handed to an outside agency (electricity, water, highways).
ALTER TABLE incidents DROP CONSTRAINT incidents_status_check;
ALTER TABLE incidents ADD CONSTRAINT incidents_status_check CHECK (status IN (
    'new', 'accepted', 'info_requested', 'assigned', 'in_progress',
    'resolved', 'rejected', 'duplicate', 'referred'));

-- What an event did besides its note, for the pages that describe it: the priority set, the
-- organizations a forwarded case went between, the agency it was referred to.
ALTER TABLE incident_events ADD COLUMN detail jsonb;

-- The dispatcher map's feed of changes finds the cases forwarded away from an organization
-- (they are no longer its cases) through this small index.
CREATE INDEX incident_events_forwarded_idx ON incident_events (created_at)
    WHERE action = 'forward';

-- The citizen hears where the case went.
ALTER TABLE notifications DROP CONSTRAINT notifications_kind_check;
ALTER TABLE notifications ADD CONSTRAINT notifications_kind_check CHECK (kind IN (
    'accepted', 'info_requested', 'resolved', 'rejected', 'forwarded', 'referred',
    'new_case', 'overdue', 'password_link'));
