-- An information request's clock is the organization's legal time limit (sql/032: the end of
-- its answer's last day, Thai time), not the steps of seed 001: the map's list and overdue
-- filter read it (maps/geo.py _DUE), and so must the open counts' due_at (sql/037).
-- depends: 038_case_notify

CREATE OR REPLACE FUNCTION incidents_set_due_at() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.due_at := coalesce(
        (SELECT (r.answer_due_on + 1)::timestamp AT TIME ZONE 'Asia/Bangkok'
         FROM information_requests r WHERE r.incident_id = NEW.id),
        case_due_at(NEW.status, coalesce(NEW.step_started_at, NEW.updated_at),
                    NEW.time_limits_id));
    RETURN NEW;
END $$;

-- The request's row is written just after its case, in the same transaction: its case's
-- due_at is set again then (the counts follow through their own trigger).
CREATE FUNCTION information_requests_due_at() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE incidents SET due_at = NULL WHERE id = NEW.incident_id AND is_open;
    RETURN NULL;
END $$;
CREATE TRIGGER information_requests_due_at AFTER INSERT OR UPDATE OF answer_due_on
    ON information_requests FOR EACH ROW EXECUTE FUNCTION information_requests_due_at();

UPDATE incidents i SET due_at = NULL
FROM information_requests r WHERE r.incident_id = i.id AND i.is_open;
