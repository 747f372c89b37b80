-- Telling citizens and staff about cases (issue 7): the outbox the worker sends from, where
-- each department wants its staff alerts, and which overdue steps were already announced.
-- depends: 006_citizen_contacts

-- One message to one recipient on one channel, written in the same transaction as the event
-- it announces and sent later by `mapdash notify run`. Its content is decided when it is
-- written, so a retry sends exactly the same thing.
CREATE TABLE notifications (
    id               bigserial PRIMARY KEY,
    incident_id      bigint NOT NULL REFERENCES incidents (id),
    event_id         bigint REFERENCES incident_events (id),   -- NULL: an overdue alert
    kind             text NOT NULL CHECK (kind IN ('accepted', 'info_requested', 'resolved',
                                                   'rejected', 'new_case', 'overdue')),
    channel          text NOT NULL CHECK (channel IN ('email', 'line')),
    recipient        text NOT NULL CHECK (length(recipient) BETWEEN 1 AND 254),
    payload          jsonb NOT NULL,
    -- The same for every attempt: LINE's X-Line-Retry-Key, the e-mail's Message-ID, so a
    -- message resent after a crash is recognised by the receiver.
    key              uuid NOT NULL UNIQUE DEFAULT gen_random_uuid(),
    -- What makes a message "the same": the event (or overdue step), kind, channel and
    -- recipient. A reporter who also follows the case is written to once.
    dedupe_key       text NOT NULL UNIQUE,
    status           text NOT NULL DEFAULT 'pending'
                     CHECK (status IN ('pending', 'sending', 'sent', 'failed')),
    attempts         integer NOT NULL DEFAULT 0,
    -- pending: when to try; sending: when the worker's lease runs out (then it is due again)
    next_attempt_at  timestamptz NOT NULL DEFAULT now(),
    last_error       text,
    sent_at          timestamptz,
    created_at       timestamptz NOT NULL DEFAULT now()
);
-- The worker's claim reads only the unsent rows, oldest due first.
CREATE INDEX notifications_due_idx ON notifications (next_attempt_at)
    WHERE status IN ('pending', 'sending');
-- ... and, per recipient, only its oldest unsent message (messages arrive in order).
CREATE INDEX notifications_unsent_idx ON notifications (channel, recipient, id)
    WHERE status IN ('pending', 'sending');
CREATE INDEX notifications_failed_idx ON notifications (created_at) WHERE status = 'failed';
CREATE INDEX notifications_incident_idx ON notifications (incident_id);

-- Where a department's staff hear of new and overdue cases: an e-mail address (a shared
-- mailbox) and/or a LINE group the Official Account is a member of (its groupId).
ALTER TABLE departments
    ADD COLUMN notify_email text CHECK (length(notify_email) <= 254),
    ADD COLUMN notify_line_group text CHECK (notify_line_group ~ '^C[0-9a-f]{32}$');

-- An overdue case is announced once per step: the step is known by when it started.
CREATE TABLE overdue_alerts (
    incident_id      bigint NOT NULL REFERENCES incidents (id),
    step_started_at  timestamptz NOT NULL,
    status           text NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (incident_id, step_started_at)
);
