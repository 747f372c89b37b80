-- GeoReport v2 lets clients send a description of up to 4,000 characters (issue 6); the web
-- form had a limit of 2,000. One limit for every channel: 4,000.
-- depends: 007_open311 008_notifications 009_line

ALTER TABLE incidents DROP CONSTRAINT incidents_description_check;
ALTER TABLE incidents ADD CONSTRAINT incidents_description_check
    CHECK (char_length(description) <= 4000);
