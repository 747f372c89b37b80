-- Every change an administrator makes in the browser (issue 19): who, when, what, and the
-- values before and after, for the audit page. Append-only, like incident_events.
-- depends: 012_sign_in_and_sessions

CREATE TABLE admin_changes (
    id               bigserial PRIMARY KEY,
    organization_id  integer NOT NULL REFERENCES organizations (id),
    actor_id         integer REFERENCES users (id),  -- accounts are deactivated, never deleted
    actor_label      text NOT NULL,      -- the name at the time, kept if the account goes
    created_at       timestamptz NOT NULL DEFAULT now(),
    subject          text NOT NULL,      -- what kind of thing: office/changes.py SUBJECTS
    subject_id       bigint,             -- which one, when it has an id
    subject_label    text NOT NULL,      -- how to name it on the page (an e-mail, a code)
    action           text NOT NULL,      -- created, changed, removed, ...
    before           jsonb,
    after            jsonb
);
CREATE INDEX admin_changes_org_idx ON admin_changes (organization_id, created_at DESC, id DESC);

CREATE FUNCTION admin_changes_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'admin_changes is append-only';
END $$;
CREATE TRIGGER admin_changes_append_only BEFORE UPDATE OR DELETE ON admin_changes
    FOR EACH ROW EXECUTE FUNCTION admin_changes_append_only();
