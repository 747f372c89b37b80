-- Offline map packs for crews (issue 17): the crew's phone keeps the background tiles of its
-- area, to this zoom and at most this many megabytes, as the organization's admin sets them.
-- depends: 022_crew_positions

ALTER TABLE organizations
    ADD COLUMN map_pack_max_zoom smallint NOT NULL DEFAULT 16 CHECK (map_pack_max_zoom BETWEEN 12 AND 18),
    ADD COLUMN map_pack_max_mb integer NOT NULL DEFAULT 50 CHECK (map_pack_max_mb BETWEEN 1 AND 500);
