-- The dispatcher's emergency alarm (/api/dispatch/changes, every 3 s per screen) asks for the
-- newest emergencies still waiting to be accepted. Read per emergency type from this index, it
-- touches only those cases; before, it walked every waiting case of every type, newest first
-- (15,605 rows a poll after a burst of 11k ordinary reports, issue 15). Measured on 200k
-- cases with a burst of 11k ordinary ones waiting: 2.6 ms and 160 buffers before, 0.1 ms and 9.
-- depends: 024_not_fixed_alert

CREATE INDEX incidents_new_by_category_idx ON incidents (category_id, created_at DESC)
    WHERE status = 'new';
