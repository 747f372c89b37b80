-- The map reads each open case's due time from its row (incidents.due_at, sql/037 and 039:
-- the end of its current step by its own limits, an information request's last day), as the
-- overdue alerts and the statistics do, instead of looking its step's limit up per row. The
-- map's covering indexes carry it, so "overdue" stays an index-only read.
-- depends: 039_information_due_counts

DROP INDEX incidents_open_village_idx;
CREATE INDEX incidents_open_village_idx ON incidents (organization_id, village_id)
    INCLUDE (category_id, department_id, status, created_at, updated_at, step_started_at,
             time_limits_id, due_at, location)
    WHERE is_open;
DROP INDEX incidents_open_created_idx;
CREATE INDEX incidents_open_created_idx ON incidents (organization_id, created_at DESC)
    INCLUDE (id, category_id, department_id, village_id, status, updated_at, step_started_at,
             time_limits_id, due_at, location)
    WHERE is_open;
