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
