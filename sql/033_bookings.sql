-- Appointments and bookings (issue 13, item 1): the counters, the hall and the meeting rooms a
-- citizen books a slot of, their opening hours and the days the office is closed; a booking
-- is the side record of an appointment-kind case. Two people can never hold the same last
-- place of a slot: each slot booked has one row whose count a CHECK keeps within capacity.
-- depends: 032_information_requests

CREATE TABLE booking_resources (
    id              serial PRIMARY KEY,
    organization_id integer NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    name_th         text NOT NULL CHECK (length(name_th) BETWEEN 1 AND 100),
    name_en         text NOT NULL CHECK (length(name_en) BETWEEN 1 AND 100),
    -- The length of a slot, and how many bookings one slot takes (a counter: 1; a hall: 1).
    slot_minutes    integer NOT NULL CHECK (slot_minutes BETWEEN 10 AND 1440),
    capacity        integer NOT NULL CHECK (capacity BETWEEN 1 AND 100),
    -- Opening hours in Thai time per weekday, 0 = Monday: {"0": ["08:30", "16:30"], ...};
    -- a weekday left out is closed (services/slots.py reads it).
    hours           jsonb NOT NULL DEFAULT '{}',
    active          boolean NOT NULL DEFAULT true,
    created_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (organization_id, name_th)
);

-- Days nothing can be booked (Thai public holidays, office closures), as the admin enters them.
CREATE TABLE booking_closed_days (
    id              serial PRIMARY KEY,
    organization_id integer NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    day             date NOT NULL,
    name_th         text NOT NULL CHECK (length(name_th) BETWEEN 1 AND 200),
    name_en         text NOT NULL DEFAULT '' CHECK (length(name_en) <= 200),
    UNIQUE (organization_id, day)
);

-- Which resources an appointment-kind case type offers.
CREATE TABLE category_resources (
    category_id integer NOT NULL REFERENCES categories (id) ON DELETE CASCADE,
    resource_id integer NOT NULL REFERENCES booking_resources (id) ON DELETE CASCADE,
    PRIMARY KEY (category_id, resource_id)
);

-- One row per slot anyone has booked. Booking adds one to `booked` (INSERT ... ON CONFLICT DO
-- UPDATE locks the row), so concurrent bookings of a slot queue on it and the one that would
-- go past the capacity breaks the CHECK: refused, never both stored.
CREATE TABLE booking_slots (
    resource_id integer NOT NULL REFERENCES booking_resources (id) ON DELETE CASCADE,
    starts_at   timestamptz NOT NULL,
    capacity    integer NOT NULL,
    booked      integer NOT NULL DEFAULT 0,
    PRIMARY KEY (resource_id, starts_at),
    CONSTRAINT booking_slots_within_capacity CHECK (booked BETWEEN 0 AND capacity)
);

CREATE TABLE bookings (
    id          bigserial PRIMARY KEY,
    incident_id bigint NOT NULL UNIQUE REFERENCES incidents (id) ON DELETE CASCADE,
    resource_id integer NOT NULL REFERENCES booking_resources (id),
    starts_at   timestamptz NOT NULL,
    ends_at     timestamptz NOT NULL,
    -- When the slot was given back (cancelled by the citizen, refused, moved from is a new
    -- time on the same row); NULL: the booking holds its slot.
    released_at timestamptz,
    created_at  timestamptz NOT NULL DEFAULT now(),
    CHECK (ends_at > starts_at)
);
CREATE INDEX bookings_resource_starts_idx ON bookings (resource_id, starts_at);

-- A citizen cancels their own appointment: a closed status of its own, not "rejected".
ALTER TABLE incidents DROP CONSTRAINT incidents_status_check;
ALTER TABLE incidents ADD CONSTRAINT incidents_status_check CHECK (status IN (
    'new', 'accepted', 'info_requested', 'assigned', 'in_progress',
    'resolved', 'rejected', 'duplicate', 'referred', 'cancelled'));

-- The reminder the day before, and the citizen told that staff moved their appointment.
ALTER TABLE notifications DROP CONSTRAINT notifications_kind_check;
ALTER TABLE notifications ADD CONSTRAINT notifications_kind_check CHECK (kind IN (
    'accepted', 'info_requested', 'resolved', 'rejected', 'forwarded', 'referred',
    'new_case', 'not_fixed', 'overdue', 'password_link', 'plan_decided', 'announcement',
    'booking_moved', 'booking_reminder'));

-- The appointment type's old date question gives way to the slot picker.
UPDATE categories SET questions = (
    SELECT coalesce(jsonb_agg(q), '[]'::jsonb) FROM jsonb_array_elements(questions) q
    WHERE q->>'code' <> 'preferred_time')
WHERE kind = 'appointment';
