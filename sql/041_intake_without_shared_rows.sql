-- A report's cost in the database was mostly its triggers (issue 15, item 5: pgbench with 16
-- clients inserting cases, ~100 per second with the triggers, ~860 without):
-- - The open counts' trigger ran its two statements as dynamic SQL (EXECUTE), planned again
--   on every statement that writes cases. The same statements (open_counts_sql, still the one
--   source) are now written into one trigger function per operation when the schema is made,
--   so PL/pgSQL plans them once per connection.
-- - Every report marked its month in stats_changes, one row per organization and month: all
--   the reports of an organization waited for each other's commit on that row. Each
--   connection now marks a row of its own (a slot, from its backend's process id); readers
--   already take the latest mark of a month's rows (max(changed_at)).
-- depends: 040_map_reads_due_at

ALTER TABLE stats_changes ADD COLUMN slot smallint NOT NULL DEFAULT 0,
    DROP CONSTRAINT stats_changes_pkey,
    ADD PRIMARY KEY (organization_id, month, slot);

-- Writers of one organization's cases at once mostly mark different rows.
CREATE FUNCTION stats_changes_slot() RETURNS smallint LANGUAGE sql STABLE AS $$
    SELECT (pg_backend_pid() % 16)::smallint
$$;

CREATE OR REPLACE FUNCTION stats_cases_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO stats_changes (organization_id, month, slot, changed_at)
        SELECT organization_id, month, stats_changes_slot(), clock_timestamp()
        FROM (SELECT DISTINCT organization_id, stats_month(created_at) AS month FROM new_rows) m
        ON CONFLICT (organization_id, month, slot) DO UPDATE SET changed_at = EXCLUDED.changed_at;
    ELSE
        INSERT INTO stats_changes (organization_id, month, slot, changed_at)
        SELECT organization_id, month, stats_changes_slot(), clock_timestamp()
        FROM (SELECT n.organization_id, stats_month(n.created_at) AS month
              FROM new_rows n JOIN old_rows o ON o.id = n.id
              WHERE (o.status, o.closed_at, o.reopen_count, o.village_id, o.category_id,
                     o.department_id, o.channel, o.organization_id, o.created_at, o.location,
                     coalesce(o.step_started_at, o.updated_at), o.time_limits_id)
                    IS DISTINCT FROM
                    (n.status, n.closed_at, n.reopen_count, n.village_id, n.category_id,
                     n.department_id, n.channel, n.organization_id, n.created_at, n.location,
                     coalesce(n.step_started_at, n.updated_at), n.time_limits_id)
              UNION
              SELECT o.organization_id, stats_month(o.created_at)
              FROM new_rows n JOIN old_rows o ON o.id = n.id
              WHERE (o.organization_id, o.created_at) <> (n.organization_id, n.created_at)) m
        ON CONFLICT (organization_id, month, slot) DO UPDATE SET changed_at = EXCLUDED.changed_at;
    END IF;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION stats_case_parts_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO stats_changes (organization_id, month, slot, changed_at)
    SELECT organization_id, month, stats_changes_slot(), clock_timestamp()
    FROM (SELECT DISTINCT i.organization_id, stats_month(i.created_at) AS month
          FROM changed_rows c JOIN incidents i ON i.id = c.incident_id) m
    ON CONFLICT (organization_id, month, slot) DO UPDATE SET changed_at = EXCLUDED.changed_at;
    RETURN NULL;
END $$;

-- The open counts' triggers, one per operation, their statements written in (static SQL).
DROP TRIGGER incidents_open_counts_insert ON incidents;
DROP TRIGGER incidents_open_counts_update ON incidents;
DROP TRIGGER incidents_open_counts_delete ON incidents;
DROP FUNCTION open_counts_changed();

DO $generate$
DECLARE
    -- What counts of a case: changes of anything else (a note, a follower) skip the counts.
    counted constant text := 'organization_id, village_id, category_id, department_id, '
                             'status, is_open, location, due_at';
    moved constant text := format(
        'FROM old_rows o JOIN new_rows n USING (id) WHERE (o.%s) IS DISTINCT FROM (n.%s)',
        replace(counted, ', ', ', o.'), replace(counted, ', ', ', n.'));
    operation record;
    statements text[];
BEGIN
    FOR operation IN
        SELECT * FROM (VALUES
            ('inserted', 'SELECT DISTINCT organization_id FROM new_rows',
             'SELECT *, 1 AS sign FROM new_rows'),
            ('deleted', 'SELECT DISTINCT organization_id FROM old_rows',
             'SELECT *, -1 AS sign FROM old_rows'),
            ('updated', 'SELECT organization_id FROM new_rows UNION SELECT organization_id FROM old_rows',
             format('SELECT o.*, -1 AS sign %s UNION ALL SELECT n.*, 1 %s', moved, moved))
        ) AS o (name, organizations, source)
    LOOP
        statements := open_counts_sql(operation.source);
        EXECUTE format($function$
            CREATE FUNCTION open_counts_%1$s() RETURNS trigger LANGUAGE plpgsql AS $body$
            BEGIN
                -- The worker's catch-up (open_counts_catch_up) waits for this transaction
                -- and this one reads overdue_at after it: a case's "late" here is what the
                -- catch-up saw, never both or neither. (Shared: writers never wait for each
                -- other here.)
                PERFORM pg_advisory_xact_lock_shared(35, organization_id)
                FROM (%2$s ORDER BY 1) o;
                IF current_setting('transaction_isolation') <> 'read committed' THEN
                    -- overdue_at as of this transaction's snapshot could be older than the
                    -- catch-up's
                    PERFORM 1 FROM open_counts_clock FOR SHARE;
                END IF;
                %3$s;
                %4$s;
                RETURN NULL;
            END $body$$function$,
            operation.name, operation.organizations, statements[1], statements[2]);
    END LOOP;
END $generate$;

CREATE TRIGGER incidents_open_counts_insert AFTER INSERT ON incidents
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION open_counts_inserted();
CREATE TRIGGER incidents_open_counts_update AFTER UPDATE ON incidents
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION open_counts_updated();
CREATE TRIGGER incidents_open_counts_delete AFTER DELETE ON incidents
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION open_counts_deleted();
