-- Ways to tell a citizen about their case (issue 7), also sent by Open311 clients (issue 6):
-- an e-mail address they typed, and the LINE user a report made from LINE came from (LINE's
-- opaque userId, taken from a signed link, never typed). Staff only, like the other contacts.
-- depends: 005_crew_closings

ALTER TABLE incidents
    ADD COLUMN reporter_email text CHECK (length(reporter_email) <= 254),
    ADD COLUMN reporter_line_user text CHECK (length(reporter_line_user) <= 64);
ALTER TABLE incident_followers
    ADD COLUMN email text CHECK (length(email) <= 254),
    ADD COLUMN line_user text CHECK (length(line_user) <= 64);
