-- mapdash schema, first version.
-- Plain SQL applied in order by yoyo-migrations (`mapdash db upgrade`); models.py mirrors it.

CREATE EXTENSION IF NOT EXISTS postgis;

-- One deployment may host several administrations (tambon, municipality, province).
CREATE TABLE organizations (
    id          serial PRIMARY KEY,
    slug        text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9][a-z0-9-]*$'),
    kind        text NOT NULL CHECK (kind IN ('tambon', 'municipality', 'province')),
    name_th     text NOT NULL,
    name_en     text NOT NULL,
    boundary    geometry(MultiPolygon, 4326) NOT NULL CHECK (ST_IsValid(boundary)),
    is_demo     boolean NOT NULL DEFAULT false,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX organizations_boundary_gix ON organizations USING gist (boundary);

-- หมู่บ้าน: the unit staff, crews and executives think in.
CREATE TABLE villages (
    id              serial PRIMARY KEY,
    organization_id integer NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    number          integer NOT NULL CHECK (number > 0),
    name_th         text NOT NULL,
    name_en         text,
    geom            geometry(MultiPolygon, 4326) NOT NULL CHECK (ST_IsValid(geom)),
    UNIQUE (organization_id, number)
);
CREATE INDEX villages_geom_gix ON villages USING gist (geom);

CREATE TABLE departments (
    id              serial PRIMARY KEY,
    organization_id integer NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    code            text NOT NULL,
    name_th         text NOT NULL,
    name_en         text NOT NULL,
    UNIQUE (organization_id, code)
);

-- Case types. sla_minutes holds the time limit of each workflow step (seed 001):
-- {"acknowledge": 5, "check": 5, "inform": 5, "print": 5, "set_status": 10, "work": 10080, "report": 30}
CREATE TABLE categories (
    id                 serial PRIMARY KEY,
    organization_id    integer NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    code               text NOT NULL,
    name_th            text NOT NULL,
    name_en            text NOT NULL,
    icon               text NOT NULL DEFAULT 'pin',
    color              text NOT NULL DEFAULT '#2563eb' CHECK (color ~ '^#[0-9a-fA-F]{6}$'),
    department_id      integer NOT NULL REFERENCES departments (id),
    sensitive          boolean NOT NULL DEFAULT false,
    location_required  boolean NOT NULL DEFAULT true,
    emergency          boolean NOT NULL DEFAULT false,
    sla_minutes        jsonb NOT NULL DEFAULT '{}'::jsonb,
    sort_order         integer NOT NULL DEFAULT 0,
    active             boolean NOT NULL DEFAULT true,
    UNIQUE (organization_id, code)
);

CREATE TABLE users (
    id              serial PRIMARY KEY,
    organization_id integer NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    email           text NOT NULL,
    display_name    text NOT NULL DEFAULT '',
    password_hash   text NOT NULL,
    role            text NOT NULL CHECK (role IN ('admin', 'dispatcher', 'officer', 'crew')),
    department_id   integer REFERENCES departments (id),
    active          boolean NOT NULL DEFAULT true,
    is_demo         boolean NOT NULL DEFAULT false,
    created_at      timestamptz NOT NULL DEFAULT now(),
    -- an officer acts for exactly one department
    CHECK (role <> 'officer' OR department_id IS NOT NULL)
);
CREATE UNIQUE INDEX users_email_key ON users (lower(email));

CREATE TABLE incidents (
    id               bigserial PRIMARY KEY,
    tracking_code    text NOT NULL UNIQUE,
    organization_id  integer NOT NULL REFERENCES organizations (id),
    category_id      integer NOT NULL REFERENCES categories (id),
    -- village and department are stored at write time: the map reads them constantly
    village_id       integer REFERENCES villages (id) ON DELETE SET NULL,
    department_id    integer NOT NULL REFERENCES departments (id),
    status           text NOT NULL DEFAULT 'new' CHECK (status IN (
                         'new', 'accepted', 'info_requested', 'assigned', 'in_progress',
                         'resolved', 'rejected', 'duplicate')),
    is_open          boolean GENERATED ALWAYS AS (
                         status IN ('new', 'accepted', 'info_requested', 'assigned', 'in_progress')
                     ) STORED,
    location         geometry(Point, 4326),
    description      text NOT NULL DEFAULT '' CHECK (char_length(description) <= 2000),
    -- private: never shown in a public page or API
    reporter_name    text CHECK (char_length(reporter_name) <= 200),
    reporter_phone   text CHECK (char_length(reporter_phone) <= 40),
    reporter_line_id text CHECK (char_length(reporter_line_id) <= 100),
    channel          text NOT NULL DEFAULT 'web' CHECK (channel IN ('web', 'open311', 'line', 'staff', 'demo')),
    assigned_to      integer REFERENCES users (id),
    duplicate_of     bigint REFERENCES incidents (id),
    followers_count  integer NOT NULL DEFAULT 0,
    idempotency_key  text UNIQUE,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    closed_at        timestamptz
);
-- The dispatcher map reads open cases in a viewport.
CREATE INDEX incidents_open_location_gix ON incidents USING gist (location) WHERE is_open;
CREATE INDEX incidents_org_status_village_idx ON incidents (organization_id, status, village_id);
CREATE INDEX incidents_updated_idx ON incidents (organization_id, updated_at);

-- Append-only audit trail of every case.
CREATE TABLE incident_events (
    id           bigserial PRIMARY KEY,
    incident_id  bigint NOT NULL REFERENCES incidents (id),
    actor_id     integer REFERENCES users (id),
    actor_label  text NOT NULL DEFAULT '',
    action       text NOT NULL,
    from_status  text,
    to_status    text,
    note         text NOT NULL DEFAULT '',
    public       boolean NOT NULL DEFAULT false,
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX incident_events_incident_idx ON incident_events (incident_id, created_at);

CREATE FUNCTION incident_events_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'incident_events is append-only';
END;
$$;
CREATE TRIGGER incident_events_no_update BEFORE UPDATE OR DELETE ON incident_events
    FOR EACH ROW EXECUTE FUNCTION incident_events_append_only();

CREATE TABLE photos (
    id            bigserial PRIMARY KEY,
    incident_id   bigint NOT NULL REFERENCES incidents (id),
    kind          text NOT NULL CHECK (kind IN ('report', 'evidence')),
    path          text NOT NULL,
    thumb_path    text NOT NULL,
    content_type  text NOT NULL,
    sha256        text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    size_bytes    integer NOT NULL CHECK (size_bytes > 0),
    width         integer NOT NULL CHECK (width > 0),
    height        integer NOT NULL CHECK (height > 0),
    created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX photos_incident_idx ON photos (incident_id);
