-- Case types, villages and response templates administered in the browser (issue 19).
-- depends: 016_staff_and_organization

-- Each distinct set of step time limits (seed 001) a case started with. A case points at the
-- set of its type at intake and keeps it when the type's limits change later; a set never
-- changes, and equal sets are one row (cases/time_limits.py). The map's overdue lookup
-- reads a 4-byte id from its covering indexes instead of a whole set per case.
CREATE TABLE time_limits (
    id          serial PRIMARY KEY,
    minutes     jsonb NOT NULL UNIQUE CHECK (
        minutes ?& ARRAY['acknowledge', 'check', 'inform', 'print', 'set_status', 'work', 'report']),
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- Every type's limits as they are today, the steps a type leaves out at seed 001's defaults
-- (models.DEFAULT_SLA_MINUTES).
INSERT INTO time_limits (minutes)
SELECT DISTINCT jsonb_build_object(
    'acknowledge', coalesce((sla_minutes ->> 'acknowledge')::integer, 5),
    'check', coalesce((sla_minutes ->> 'check')::integer, 5),
    'inform', coalesce((sla_minutes ->> 'inform')::integer, 5),
    'print', coalesce((sla_minutes ->> 'print')::integer, 5),
    'set_status', coalesce((sla_minutes ->> 'set_status')::integer, 10),
    'work', coalesce((sla_minutes ->> 'work')::integer, 10080),
    'report', coalesce((sla_minutes ->> 'report')::integer, 30))
FROM categories;

-- Existing cases, open or closed (a closed case may be reopened), start from their type's
-- limits of today: the only ones there were.
ALTER TABLE incidents ADD COLUMN time_limits_id integer REFERENCES time_limits (id);
UPDATE incidents i SET time_limits_id = t.id
FROM categories c, time_limits t
WHERE c.id = i.category_id AND t.minutes = jsonb_build_object(
    'acknowledge', coalesce((c.sla_minutes ->> 'acknowledge')::integer, 5),
    'check', coalesce((c.sla_minutes ->> 'check')::integer, 5),
    'inform', coalesce((c.sla_minutes ->> 'inform')::integer, 5),
    'print', coalesce((c.sla_minutes ->> 'print')::integer, 5),
    'set_status', coalesce((c.sla_minutes ->> 'set_status')::integer, 10),
    'work', coalesce((c.sla_minutes ->> 'work')::integer, 10080),
    'report', coalesce((c.sla_minutes ->> 'report')::integer, 30));
ALTER TABLE incidents ALTER COLUMN time_limits_id SET NOT NULL;

-- The covering indexes of the dispatcher map (sql/004) carry the case's own limits, so
-- zoomed-out counts and the list still never visit the table for "overdue".
DROP INDEX incidents_open_village_idx;
CREATE INDEX incidents_open_village_idx ON incidents (organization_id, village_id)
    INCLUDE (category_id, department_id, status, created_at, updated_at, step_started_at,
             time_limits_id, location)
    WHERE is_open;
DROP INDEX incidents_open_created_idx;
CREATE INDEX incidents_open_created_idx ON incidents (organization_id, created_at DESC)
    INCLUDE (id, category_id, department_id, village_id, status, updated_at, step_started_at,
             time_limits_id, location)
    WHERE is_open;
-- A case type's page counts its open cases still on earlier limits: an index-only count.
CREATE INDEX incidents_open_category_limits_idx
    ON incidents (organization_id, category_id, time_limits_id) WHERE is_open;

-- The officer who answers for a type, shown to citizens on its report form (seed 003 lists
-- a name and a phone number beside every service).
ALTER TABLE categories
    ADD COLUMN contact_name text CHECK (char_length(contact_name) <= 200),
    ADD COLUMN contact_phone text CHECK (char_length(contact_phone) <= 40);

-- Canned public messages a dispatcher picks and edits when taking an action whose note the
-- citizen reads (office/response_templates.py). No type: for every type.
CREATE TABLE response_templates (
    id               serial PRIMARY KEY,
    organization_id  integer NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    category_id      integer REFERENCES categories (id) ON DELETE CASCADE,
    action           text NOT NULL
                     CHECK (action IN ('accept', 'request_info', 'resolve', 'reject')),
    title            text NOT NULL CHECK (char_length(title) BETWEEN 1 AND 100),
    text_th          text NOT NULL CHECK (char_length(text_th) BETWEEN 1 AND 2000),
    text_en          text NOT NULL DEFAULT '' CHECK (char_length(text_en) <= 2000),
    active           boolean NOT NULL DEFAULT true,
    sort_order       integer NOT NULL DEFAULT 0,
    created_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX response_templates_org_action_idx ON response_templates (organization_id, action);

-- A village file an administrator uploaded and checked, waiting for "confirm" (the preview
-- shows it on a map first). Found by the SHA-256 of a random token the confirm form
-- carries; forgotten after an hour (office/village_uploads.py).
CREATE TABLE village_uploads (
    token_sha256     text PRIMARY KEY CHECK (token_sha256 ~ '^[0-9a-f]{64}$'),
    organization_id  integer NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    user_id          integer NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    file_name        text NOT NULL,
    features         jsonb NOT NULL,  -- a GeoJSON FeatureCollection, EPSG:4326, checked
    created_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX village_uploads_created_idx ON village_uploads (created_at);
