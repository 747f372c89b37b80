-- The dispatcher's zoomed-out map reads open cases counted ahead (issue 15): per village and
-- per grid cell of a pyramid of zooms, split by what the map filters on (type, department,
-- status, overdue). Statement triggers on incidents keep the counts in the same transaction
-- as every change that moves a case into, out of or between counts, so they are always exact.
-- "Overdue" changes with the clock, not with writes: the counts hold the cases due before
-- their organization's `overdue_at`, readers add the few open cases due between then and now
-- (an index on incidents.due_at), and the worker moves overdue_at on every minute
-- (open_counts_catch_up), so that part stays small. See mapdash/maps/counts.py.
-- depends: 036_households

-- When the case's current step must be done: the limits of its step's staff steps in the
-- case's own set of limits, added up (workflow.CLOCK_STEPS and STEP_OF_STATUS, which
-- tests/test_open_counts.py compares with this); NULL while no clock runs.
CREATE FUNCTION case_due_at(status text, started timestamptz, limits_id integer)
RETURNS timestamptz LANGUAGE sql STABLE AS $$
    SELECT started + make_interval(mins => sum((t.minutes ->> part)::integer)::integer)
    FROM time_limits t,
         unnest(CASE status
                    WHEN 'new' THEN ARRAY['acknowledge', 'check']
                    WHEN 'accepted' THEN ARRAY['inform', 'print', 'set_status']
                    WHEN 'assigned' THEN ARRAY['work']
                    WHEN 'in_progress' THEN ARRAY['work'] END) part
    WHERE t.id = limits_id
$$;

ALTER TABLE incidents ADD COLUMN due_at timestamptz;
UPDATE incidents SET due_at = case_due_at(status, coalesce(step_started_at, updated_at),
                                          time_limits_id)
WHERE is_open;
CREATE INDEX incidents_open_due_idx ON incidents (organization_id, due_at) WHERE is_open;

CREATE FUNCTION incidents_set_due_at() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.due_at := case_due_at(NEW.status, coalesce(NEW.step_started_at, NEW.updated_at),
                              NEW.time_limits_id);
    RETURN NEW;
END $$;
CREATE TRIGGER incidents_due_at BEFORE INSERT OR UPDATE ON incidents
    FOR EACH ROW EXECUTE FUNCTION incidents_set_due_at();

-- Up to when each organization's counts hold its overdue cases (due_at < overdue_at).
CREATE TABLE open_counts_clock (
    organization_id integer PRIMARY KEY REFERENCES organizations (id) ON DELETE CASCADE,
    overdue_at timestamptz NOT NULL
);

-- Open cases per village (NULL: none) and whether they have a place on the map.
CREATE TABLE open_counts_villages (
    organization_id integer NOT NULL,
    village_id integer,
    placed boolean NOT NULL,
    category_id integer NOT NULL,
    department_id integer NOT NULL,
    status text NOT NULL,
    cases integer NOT NULL,
    overdue integer NOT NULL,
    CONSTRAINT open_counts_villages_key UNIQUE NULLS NOT DISTINCT
        (organization_id, village_id, placed, category_id, department_id, status)
);

-- Open cases with a place per grid cell: at zoom z a cell is 90 / 2^z degrees wide (a
-- quarter of a map tile, geo.grid_cell_degrees), x and y count cells from 0° east and north.
-- The sums of the positions place each cell's point at the mean of its cases.
CREATE TABLE open_counts_cells (
    organization_id integer NOT NULL,
    zoom smallint NOT NULL,
    x integer NOT NULL,
    y integer NOT NULL,
    village_id integer,
    category_id integer NOT NULL,
    department_id integer NOT NULL,
    status text NOT NULL,
    cases integer NOT NULL,
    overdue integer NOT NULL,
    sum_x double precision NOT NULL,
    sum_y double precision NOT NULL,
    overdue_x double precision NOT NULL,
    overdue_y double precision NOT NULL,
    CONSTRAINT open_counts_cells_key UNIQUE NULLS NOT DISTINCT
        (organization_id, zoom, x, y, village_id, category_id, department_id, status)
);

-- The zooms of the pyramid (mapdash/maps/counts.py GRID_ZOOMS).
CREATE FUNCTION open_counts_zooms() RETURNS SETOF smallint LANGUAGE sql IMMUTABLE AS $$
    SELECT generate_series(8, 16)::smallint
$$;

-- The statements that add the counts of the rows of `source` (a query of incidents' columns
-- and `sign`, +1 or -1): the open ones, overdue when due before their organization's
-- overdue_at. Run by the caller: only the trigger's own statements see its transition tables.
CREATE FUNCTION open_counts_sql(source text) RETURNS text[] LANGUAGE sql IMMUTABLE AS $$
    SELECT ARRAY[format($q$
        WITH d AS (
            SELECT s.*, coalesce(s.due_at < c.overdue_at, false) AS late
            FROM (%1$s) s LEFT JOIN open_counts_clock c USING (organization_id)
            WHERE s.is_open)
        INSERT INTO open_counts_villages AS t
            (organization_id, village_id, placed, category_id, department_id, status,
             cases, overdue)
        SELECT organization_id, village_id, location IS NOT NULL, category_id, department_id,
               status, sum(sign), coalesce(sum(sign) FILTER (WHERE late), 0)
        FROM d
        GROUP BY 1, 2, 3, 4, 5, 6
        HAVING sum(sign) <> 0 OR coalesce(sum(sign) FILTER (WHERE late), 0) <> 0
        ON CONFLICT ON CONSTRAINT open_counts_villages_key DO UPDATE
            SET cases = t.cases + EXCLUDED.cases,
                overdue = t.overdue + EXCLUDED.overdue$q$, source),
    format($q$
        WITH d AS (
            SELECT s.organization_id, s.village_id, s.category_id, s.department_id, s.status,
                   s.sign, ST_X(s.location) AS lon, ST_Y(s.location) AS lat,
                   coalesce(s.due_at < c.overdue_at, false) AS late
            FROM (%1$s) s LEFT JOIN open_counts_clock c USING (organization_id)
            WHERE s.is_open AND s.location IS NOT NULL)
        INSERT INTO open_counts_cells AS t
            (organization_id, zoom, x, y, village_id, category_id, department_id, status,
             cases, overdue, sum_x, sum_y, overdue_x, overdue_y)
        SELECT organization_id, z, floor(lon / (90.0::float8 / 2 ^ z)),
               floor(lat / (90.0::float8 / 2 ^ z)), village_id, category_id, department_id,
               status, sum(sign), coalesce(sum(sign) FILTER (WHERE late), 0),
               sum(sign * lon), sum(sign * lat), coalesce(sum(sign * lon) FILTER (WHERE late), 0),
               coalesce(sum(sign * lat) FILTER (WHERE late), 0)
        FROM d CROSS JOIN open_counts_zooms() z
        GROUP BY 1, 2, 3, 4, 5, 6, 7, 8
        HAVING sum(sign) <> 0 OR coalesce(sum(sign) FILTER (WHERE late), 0) <> 0
               OR sum(sign * lon) <> 0 OR sum(sign * lat) <> 0
        ON CONFLICT ON CONSTRAINT open_counts_cells_key DO UPDATE
            SET cases = t.cases + EXCLUDED.cases, overdue = t.overdue + EXCLUDED.overdue,
                sum_x = t.sum_x + EXCLUDED.sum_x, sum_y = t.sum_y + EXCLUDED.sum_y,
                overdue_x = t.overdue_x + EXCLUDED.overdue_x,
                overdue_y = t.overdue_y + EXCLUDED.overdue_y$q$, source)]
$$;

CREATE FUNCTION open_counts_add(source text) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    statement text;
BEGIN
    FOREACH statement IN ARRAY open_counts_sql(source) LOOP
        EXECUTE statement;
    END LOOP;
END $$;

-- What counts of a case: changes of anything else (a note, a follower) skip the counts.
CREATE FUNCTION open_counts_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    counted constant text := 'organization_id, village_id, category_id, department_id, '
                             'status, is_open, location, due_at';
    statement text;
    source text;
    moved constant text := format(
        'FROM old_rows o JOIN new_rows n USING (id) WHERE (o.%s) IS DISTINCT FROM (n.%s)',
        replace(counted, ', ', ', o.'), replace(counted, ', ', ', n.'));
BEGIN
    -- The worker's catch-up (open_counts_catch_up) waits for this transaction and this one
    -- reads overdue_at after it: a case's "late" here is what the catch-up saw, never both
    -- or neither. (Shared: writers never wait for each other here.)
    IF TG_OP = 'INSERT' THEN
        PERFORM pg_advisory_xact_lock_shared(35, organization_id)
        FROM (SELECT DISTINCT organization_id FROM new_rows ORDER BY 1) o;
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM pg_advisory_xact_lock_shared(35, organization_id)
        FROM (SELECT DISTINCT organization_id FROM old_rows ORDER BY 1) o;
    ELSE
        PERFORM pg_advisory_xact_lock_shared(35, organization_id)
        FROM (SELECT organization_id FROM new_rows UNION SELECT organization_id FROM old_rows
              ORDER BY 1) o;
    END IF;
    IF current_setting('transaction_isolation') <> 'read committed' THEN
        -- overdue_at as of this transaction's snapshot could be older than the catch-up's
        PERFORM 1 FROM open_counts_clock FOR SHARE;
    END IF;
    source := CASE TG_OP
        WHEN 'INSERT' THEN 'SELECT *, 1 AS sign FROM new_rows'
        WHEN 'DELETE' THEN 'SELECT *, -1 AS sign FROM old_rows'
        ELSE format('SELECT o.*, -1 AS sign %s UNION ALL SELECT n.*, 1 %s', moved, moved) END;
    FOREACH statement IN ARRAY open_counts_sql(source) LOOP
        EXECUTE statement;
    END LOOP;
    RETURN NULL;
END $$;

CREATE TRIGGER incidents_open_counts_insert AFTER INSERT ON incidents
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION open_counts_changed();
CREATE TRIGGER incidents_open_counts_update AFTER UPDATE ON incidents
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION open_counts_changed();
CREATE TRIGGER incidents_open_counts_delete AFTER DELETE ON incidents
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION open_counts_changed();

-- Moves an organization's overdue_at on to `up_to` (NULL: now; never back): the open cases
-- that ran late since are added to the overdue counts. Waits for the writers of the
-- organization's cases in flight. Returns how many counts of villages changed.
CREATE FUNCTION open_counts_catch_up(org integer, up_to timestamptz DEFAULT NULL)
RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
    since timestamptz;
    until timestamptz;
    moved integer;
BEGIN
    PERFORM pg_advisory_xact_lock(35, org);
    -- statements after the lock see every writer that held it
    SELECT overdue_at INTO since FROM open_counts_clock WHERE organization_id = org FOR UPDATE;
    IF since IS NULL THEN
        INSERT INTO open_counts_clock VALUES (org, '-infinity');
        since := '-infinity';
    END IF;
    until := greatest(since, coalesce(up_to, clock_timestamp()));
    INSERT INTO open_counts_villages AS t
        (organization_id, village_id, placed, category_id, department_id, status, cases, overdue)
    SELECT organization_id, village_id, location IS NOT NULL, category_id, department_id,
           status, 0, count(*)
    FROM incidents
    WHERE organization_id = org AND is_open AND due_at >= since AND due_at < until
    GROUP BY 1, 2, 3, 4, 5, 6
    ON CONFLICT ON CONSTRAINT open_counts_villages_key DO UPDATE
        SET overdue = t.overdue + EXCLUDED.overdue;
    GET DIAGNOSTICS moved = ROW_COUNT;
    INSERT INTO open_counts_cells AS t
        (organization_id, zoom, x, y, village_id, category_id, department_id, status,
         cases, overdue, sum_x, sum_y, overdue_x, overdue_y)
    SELECT organization_id, z, floor(ST_X(location) / (90.0::float8 / 2 ^ z)),
           floor(ST_Y(location) / (90.0::float8 / 2 ^ z)), village_id, category_id,
           department_id, status, 0, count(*), 0, 0, sum(ST_X(location)), sum(ST_Y(location))
    FROM incidents CROSS JOIN open_counts_zooms() z
    WHERE organization_id = org AND is_open AND due_at >= since AND due_at < until
          AND location IS NOT NULL
    GROUP BY 1, 2, 3, 4, 5, 6, 7, 8
    ON CONFLICT ON CONSTRAINT open_counts_cells_key DO UPDATE
        SET overdue = t.overdue + EXCLUDED.overdue,
            overdue_x = t.overdue_x + EXCLUDED.overdue_x,
            overdue_y = t.overdue_y + EXCLUDED.overdue_y;
    UPDATE open_counts_clock SET overdue_at = until WHERE organization_id = org;
    RETURN moved;
END $$;

-- A new organization has no cases: its counts hold its overdue ones up to now.
CREATE FUNCTION open_counts_clock_start() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO open_counts_clock VALUES (NEW.id, now());
    RETURN NULL;
END $$;
CREATE TRIGGER organizations_open_counts_clock AFTER INSERT ON organizations
    FOR EACH ROW EXECUTE FUNCTION open_counts_clock_start();

-- The counts of the cases already there; every organization's overdue counted up to now.
INSERT INTO open_counts_clock SELECT id, now() FROM organizations;
DO $$ BEGIN PERFORM open_counts_add('SELECT *, 1 AS sign FROM incidents'); END $$;
