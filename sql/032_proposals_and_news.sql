-- Plan proposals (issue 13, item 3) and news (item 4). A proposal is a case of a type of
-- kind 'proposal': its title, who benefits, rough cost and, once staff decide, its outcome
-- (taken into the plan of a Buddhist Era year, merged into another proposal, not taken) live
-- beside it. Its supporters are the case's followers (+1), each person once: the browser key
-- they supported from is kept (hashed) with their contact. News is not a case: announcements
-- with an optional set of villages and a period, pushed to LINE through the outbox.
-- depends: 038_export_order

CREATE TABLE proposals (
    incident_id      bigint PRIMARY KEY REFERENCES incidents (id) ON DELETE CASCADE,
    title            text NOT NULL CHECK (char_length(title) BETWEEN 1 AND 200),
    beneficiaries    text NOT NULL DEFAULT '' CHECK (char_length(beneficiaries) <= 1000),
    estimated_cost   numeric(14, 2) CHECK (estimated_cost >= 0),
    outcome          text CHECK (outcome IN ('taken', 'merged', 'not_taken')),
    plan_year        smallint CHECK (plan_year BETWEEN 2500 AND 2700),
    merged_into      bigint REFERENCES incidents (id),
    reason           text NOT NULL DEFAULT '' CHECK (char_length(reason) <= 2000),
    decided_at       timestamptz,
    -- a plan year only for a proposal taken into the plan, the original only for a merged one
    CONSTRAINT proposals_outcome_whole CHECK (
        (plan_year IS NOT NULL) = (outcome IS NOT DISTINCT FROM 'taken')
        AND (merged_into IS NOT NULL) = (outcome IS NOT DISTINCT FROM 'merged')
        AND (decided_at IS NOT NULL) = (outcome IS NOT NULL))
);
CREATE INDEX proposals_plan_year_idx ON proposals (plan_year) WHERE plan_year IS NOT NULL;

-- The browser a +1 came from (SHA-256 of its key), so one person counts once on a proposal.
ALTER TABLE incident_followers
    ADD COLUMN browser_key_sha256 text CHECK (browser_key_sha256 ~ '^[0-9a-f]{64}$');

CREATE TABLE announcements (
    id               serial PRIMARY KEY,
    organization_id  integer NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    title            text NOT NULL CHECK (char_length(title) BETWEEN 1 AND 200),
    body             text NOT NULL DEFAULT '' CHECK (char_length(body) <= 4000),
    -- the clean copy of the photo (cases/photos.py), public like the news itself
    photo            bytea,
    photo_thumb      bytea,
    photo_sha256     text,
    starts_on        date NOT NULL,
    ends_on          date,
    created_by       integer REFERENCES users (id) ON DELETE SET NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    withdrawn_at     timestamptz,
    -- when it was given to the outbox for LINE, to whom ('all' or 'villages'): once only
    line_pushed_at   timestamptz,
    line_audience    text CHECK (line_audience IN ('all', 'villages')),
    CONSTRAINT announcements_period CHECK (ends_on IS NULL OR ends_on >= starts_on),
    CONSTRAINT announcements_photo_whole CHECK (
        (photo IS NULL) = (photo_thumb IS NULL) AND (photo IS NULL) = (photo_sha256 IS NULL)),
    CONSTRAINT announcements_pushed_whole CHECK ((line_pushed_at IS NULL) = (line_audience IS NULL))
);
CREATE INDEX announcements_org_starts_idx ON announcements (organization_id, starts_on DESC);

-- No row: the whole organization's area.
CREATE TABLE announcement_villages (
    announcement_id  integer NOT NULL REFERENCES announcements (id) ON DELETE CASCADE,
    village_id       integer NOT NULL REFERENCES villages (id) ON DELETE CASCADE,
    PRIMARY KEY (announcement_id, village_id)
);

-- People who added the LINE Official Account as a friend (the webhook's follow/unfollow):
-- "all LINE followers" of an announcement, beside those who reported from LINE.
CREATE TABLE line_followers (
    line_user        text PRIMARY KEY CHECK (length(line_user) BETWEEN 1 AND 100),
    followed_at      timestamptz NOT NULL DEFAULT now(),
    unfollowed_at    timestamptz
);

-- The outbox also carries announcements to LINE: a message about a case, an account or
-- an announcement.
ALTER TABLE notifications
    ADD COLUMN announcement_id integer REFERENCES announcements (id) ON DELETE CASCADE,
    DROP CONSTRAINT notifications_case_or_account,
    ADD CONSTRAINT notifications_case_or_account
        CHECK (num_nonnulls(incident_id, user_id, announcement_id) = 1);
CREATE INDEX notifications_announcement_idx ON notifications (announcement_id);
ALTER TABLE notifications DROP CONSTRAINT notifications_kind_check;
ALTER TABLE notifications ADD CONSTRAINT notifications_kind_check CHECK (kind IN (
    'accepted', 'info_requested', 'resolved', 'rejected', 'forwarded', 'referred',
    'new_case', 'not_fixed', 'overdue', 'password_link', 'plan_decided', 'announcement'));
