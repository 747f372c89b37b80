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
