-- Live dispatcher screens (issue 15, item 4): every statement that adds or changes cases
-- sends one NOTIFY per organization it touched, delivered when (and only if) its
-- transaction commits, so the app's one listening connection per process can push the
-- change to the open screens instead of each screen polling.
-- depends: 037_open_case_counts

-- Once per statement (a bulk load notifies each organization once); a case forwarded to
-- another organization changes the screens of both. The payload is the organization's id:
-- what changed is read by the app (scoped per reader), never carried in the message.
CREATE FUNCTION cases_notify_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM pg_notify('mapdash_cases', organization_id::text)
        FROM (SELECT DISTINCT organization_id FROM new_rows) o;
    ELSE
        PERFORM pg_notify('mapdash_cases', organization_id::text)
        FROM (SELECT organization_id FROM new_rows
              UNION SELECT organization_id FROM old_rows) o;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER incidents_notify_insert AFTER INSERT ON incidents
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION cases_notify_changed();
CREATE TRIGGER incidents_notify_update AFTER UPDATE ON incidents
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cases_notify_changed();
