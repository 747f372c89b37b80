-- Statistics for executives (issue 12): a read-only role, and when each case was first
-- accepted and first assigned, kept as the events are written, so that the statistics page
-- reads the times of a fiscal year's cases with one join instead of searching their events.
-- depends: 020_case_ratings

-- An executive (นายก, ปลัด) sees the statistics and the monthly report, and changes nothing.
ALTER TABLE users DROP CONSTRAINT users_role_check,
    ADD CONSTRAINT users_role_check CHECK (role IN ('admin', 'dispatcher', 'officer', 'crew', 'executive'));

-- The first acceptance and the first assignment of each case (seed 001's steps: intake ends
-- with the acceptance, preparing with the assignment). Written by the trigger below only.
CREATE TABLE case_milestones (
    incident_id  bigint PRIMARY KEY REFERENCES incidents (id) ON DELETE CASCADE,
    accepted_at  timestamptz,
    assigned_at  timestamptz
);

CREATE FUNCTION case_milestones_from_event() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.action = 'accept' THEN
        INSERT INTO case_milestones (incident_id, accepted_at) VALUES (NEW.incident_id, NEW.created_at)
        ON CONFLICT (incident_id) DO UPDATE SET accepted_at = least(
            coalesce(case_milestones.accepted_at, EXCLUDED.accepted_at), EXCLUDED.accepted_at);
    ELSIF NEW.action = 'assign' THEN
        INSERT INTO case_milestones (incident_id, assigned_at) VALUES (NEW.incident_id, NEW.created_at)
        ON CONFLICT (incident_id) DO UPDATE SET assigned_at = least(
            coalesce(case_milestones.assigned_at, EXCLUDED.assigned_at), EXCLUDED.assigned_at);
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER incident_events_milestones AFTER INSERT ON incident_events
    FOR EACH ROW WHEN (NEW.action IN ('accept', 'assign'))
    EXECUTE FUNCTION case_milestones_from_event();

-- The cases already handled.
INSERT INTO case_milestones (incident_id, accepted_at, assigned_at)
SELECT incident_id, min(created_at) FILTER (WHERE action = 'accept'),
       min(created_at) FILTER (WHERE action = 'assign')
FROM incident_events WHERE action IN ('accept', 'assign') GROUP BY incident_id;

-- The statistics of a period are kept once computed (stats_cache) until a case reported in
-- one of its months changes: a fiscal year of a million cases is counted in seconds, read
-- back in milliseconds. Each change to what the figures count marks its month (Thai time) in
-- stats_changes; figures computed before that mark are computed again. "Overdue now" depends
-- on the clock and is always counted afresh.
CREATE TABLE stats_changes (
    organization_id integer NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    month           date NOT NULL,
    changed_at      timestamptz NOT NULL,
    PRIMARY KEY (organization_id, month)
);

CREATE TABLE stats_cache (
    organization_id integer NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    filter_key      text NOT NULL,
    -- the latest stats_changes.changed_at of the period's months when it was computed
    changed_at      timestamptz,
    figures         jsonb NOT NULL,
    computed_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (organization_id, filter_key)
);

CREATE FUNCTION stats_month(reported timestamptz) RETURNS date LANGUAGE sql IMMUTABLE AS $$
    SELECT date_trunc('month', reported AT TIME ZONE 'Asia/Bangkok')::date;
$$;

-- Once per statement (a bulk load marks each month once), for the rows whose counted
-- columns changed; a case moved to another organization changes the figures of both.
CREATE FUNCTION stats_cases_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO stats_changes (organization_id, month, changed_at)
        SELECT organization_id, month, clock_timestamp()
        FROM (SELECT DISTINCT organization_id, stats_month(created_at) AS month FROM new_rows) m
        ON CONFLICT (organization_id, month) DO UPDATE SET changed_at = EXCLUDED.changed_at;
    ELSE
        INSERT INTO stats_changes (organization_id, month, changed_at)
        SELECT organization_id, month, clock_timestamp()
        FROM (SELECT n.organization_id, stats_month(n.created_at) AS month
              FROM new_rows n JOIN old_rows o ON o.id = n.id
              WHERE (o.status, o.closed_at, o.reopen_count, o.village_id, o.category_id,
                     o.department_id, o.channel, o.organization_id, o.created_at, o.location)
                    IS DISTINCT FROM
                    (n.status, n.closed_at, n.reopen_count, n.village_id, n.category_id,
                     n.department_id, n.channel, n.organization_id, n.created_at, n.location)
              UNION
              SELECT o.organization_id, stats_month(o.created_at)
              FROM new_rows n JOIN old_rows o ON o.id = n.id
              WHERE (o.organization_id, o.created_at) <> (n.organization_id, n.created_at)) m
        ON CONFLICT (organization_id, month) DO UPDATE SET changed_at = EXCLUDED.changed_at;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER incidents_stats_insert AFTER INSERT ON incidents
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION stats_cases_changed();
CREATE TRIGGER incidents_stats_update AFTER UPDATE ON incidents
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION stats_cases_changed();

-- A rating or a milestone counts for the month its case was reported in.
CREATE FUNCTION stats_case_parts_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO stats_changes (organization_id, month, changed_at)
    SELECT organization_id, month, clock_timestamp()
    FROM (SELECT DISTINCT i.organization_id, stats_month(i.created_at) AS month
          FROM changed_rows c JOIN incidents i ON i.id = c.incident_id) m
    ON CONFLICT (organization_id, month) DO UPDATE SET changed_at = EXCLUDED.changed_at;
    RETURN NULL;
END $$;
CREATE TRIGGER case_ratings_stats_insert AFTER INSERT ON case_ratings
    REFERENCING NEW TABLE AS changed_rows
    FOR EACH STATEMENT EXECUTE FUNCTION stats_case_parts_changed();
CREATE TRIGGER case_ratings_stats_update AFTER UPDATE ON case_ratings
    REFERENCING NEW TABLE AS changed_rows
    FOR EACH STATEMENT EXECUTE FUNCTION stats_case_parts_changed();
CREATE TRIGGER case_ratings_stats_delete AFTER DELETE ON case_ratings
    REFERENCING OLD TABLE AS changed_rows
    FOR EACH STATEMENT EXECUTE FUNCTION stats_case_parts_changed();
CREATE TRIGGER case_milestones_stats_insert AFTER INSERT ON case_milestones
    REFERENCING NEW TABLE AS changed_rows
    FOR EACH STATEMENT EXECUTE FUNCTION stats_case_parts_changed();
CREATE TRIGGER case_milestones_stats_update AFTER UPDATE ON case_milestones
    REFERENCING NEW TABLE AS changed_rows
    FOR EACH STATEMENT EXECUTE FUNCTION stats_case_parts_changed();

-- "Overdue now", counted afresh at each reading, from the open cases of the period alone:
-- an index-only scan (the map's covering index sql/017 lacks the channel).
CREATE INDEX incidents_open_stats_idx ON incidents (organization_id, created_at)
    INCLUDE (village_id, category_id, department_id, channel, status, updated_at,
             step_started_at, time_limits_id)
    WHERE is_open;
