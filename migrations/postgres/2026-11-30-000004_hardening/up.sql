-- Additive: a not-before per client. Access tokens of `client_id` issued before
-- `not_before` are revoked (client deleted, or its secret rotated with --revoke-tokens);
-- kept until every such token has expired (`expires_at`), then swept.
CREATE TABLE revoked_clients (
    client_id TEXT PRIMARY KEY NOT NULL,
    not_before BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    revoked_at BIGINT NOT NULL
);
CREATE INDEX revoked_clients_expires_at ON revoked_clients (expires_at);

-- Sign-in failure counters, shared by every instance: per (account, source), per account
-- and per source (see session::throttle). `previous_failure` is the last failure before
-- the latest one, read back when an attempt is reserved. Swept a day after the last.
CREATE TABLE login_failures (
    key TEXT PRIMARY KEY NOT NULL,
    failures BIGINT NOT NULL,
    previous_failure BIGINT NOT NULL,
    last_failure BIGINT NOT NULL
);
CREATE INDEX login_failures_last_failure ON login_failures (last_failure);
