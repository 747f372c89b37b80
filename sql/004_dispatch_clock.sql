-- The dispatcher map (issue 4): the service clock of each open case, and the indexes its
-- reads use.
-- depends: 003_citizen_intake

-- When the case entered its current step of the service clock (seed 001): intake (new),
-- preparing (accepted), the work (assigned, in progress). workflow.perform sets it when the
-- step changes; NULL means "since the last status change" (updated_at), which is exact for
-- a case intake has just stored.
ALTER TABLE incidents ADD COLUMN step_started_at timestamptz;

-- Zoomed-out counts per village and per grid cell read only this index: no visit to the
-- table for 50,000 open cases.
CREATE INDEX incidents_open_village_idx ON incidents (organization_id, village_id)
    INCLUDE (category_id, department_id, status, created_at, updated_at, step_started_at,
             location)
    WHERE is_open;

-- The list beside the map: the newest open cases of a large area matching the filters, read
-- in order from this index alone; the table is visited only for the few hundred picked.
CREATE INDEX incidents_open_created_idx ON incidents (organization_id, created_at DESC)
    INCLUDE (id, category_id, department_id, village_id, status, updated_at, step_started_at,
             location)
    WHERE is_open;
