-- The statistics page reads "overdue now" from stats_cache too (issue 12: a fiscal year of a
-- million cases in 300 ms): the overdue counts are kept with the moment they stay exact until
-- (the earliest limit an open case of the period crosses after the count), and the notification
-- worker recounts kept figures that went out of date, most recently viewed first, so that no
-- reader waits for a recount. The kept figures are dropped: the next view counts them afresh.
-- depends: 025_new_cases_by_type

DELETE FROM stats_cache;
ALTER TABLE stats_cache
    -- the period's months (stats_changes.month), for the worker's search of out-of-date ones
    ADD COLUMN first_month date NOT NULL,
    ADD COLUMN last_month date NOT NULL,
    -- {"total": n, "by": {breakdown: [[key, n], ...]}} at computed_at
    ADD COLUMN overdue jsonb NOT NULL,
    -- exact until then; NULL: no open case of the period has a limit still ahead
    ADD COLUMN overdue_until timestamptz,
    ADD COLUMN viewed_at timestamptz NOT NULL DEFAULT now();

-- What "overdue now" counts changes with the step's start and the case's limits as well.
CREATE OR REPLACE FUNCTION stats_cases_changed() RETURNS trigger LANGUAGE plpgsql AS $$
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
        ON CONFLICT (organization_id, month) DO UPDATE SET changed_at = EXCLUDED.changed_at;
    END IF;
    RETURN NULL;
END $$;
