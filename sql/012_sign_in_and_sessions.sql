-- Sign-in that resists guessing, and staff sessions that really end (issue 16, items 1-2).
-- depends: 011_rate_limit_from_first_hit

-- Sign-in attempts not (yet) successful, per e-mail address tried and per client address,
-- each kept as a keyed hash (office/sign_in_throttle.py). An unknown e-mail is counted like
-- a known one, so a refusal cannot tell which e-mails have an account. Shared by every app
-- worker, and logged: a lock outlives a database restart.
CREATE TABLE sign_in_failures (
    bucket           text PRIMARY KEY,
    -- the e-mail's account, when there is one: the admins' list of locked accounts
    user_id          integer REFERENCES users (id) ON DELETE CASCADE,
    failures         integer NOT NULL CHECK (failures >= 0),
    last_failure_at  timestamptz NOT NULL,
    -- every sign-in of this bucket is refused until then, the right password too
    locked_until     timestamptz
);
CREATE INDEX sign_in_failures_user_idx ON sign_in_failures (user_id);
CREATE INDEX sign_in_failures_last_idx ON sign_in_failures (last_failure_at);

-- One signed-in staff session (office/staff_sessions.py). The session cookie holds a random
-- token, this table only its SHA-256. Signing out, a new password and deactivation delete
-- the account's rows, which ends every cookie at once; idle and absolute expiry are checked
-- against these times on every request.
CREATE TABLE staff_sessions (
    id            bigserial PRIMARY KEY,
    token_sha256  text NOT NULL UNIQUE,
    user_id       integer NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at    timestamptz NOT NULL,
    last_seen_at  timestamptz NOT NULL
);
CREATE INDEX staff_sessions_user_idx ON staff_sessions (user_id);
