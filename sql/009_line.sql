-- LINE webhook events already handled (issue 7): LINE may deliver an event again (redelivery
-- after a failed answer, same webhookEventId); its row makes the second delivery a no-op.
-- The row is written in the same transaction as the answer is decided; replied_at says the
-- reply went out (a reply token works once, so it cannot go out twice).
-- depends: 006_citizen_contacts

CREATE TABLE line_webhook_events (
    webhook_event_id text PRIMARY KEY CHECK (length(webhook_event_id) <= 64),
    event_type text NOT NULL CHECK (length(event_type) <= 40),
    received_at timestamptz NOT NULL DEFAULT now(),
    replied_at timestamptz,
    reply_error text
);
