-- Dynamic client registration (RFC 7591, RFC 7592).
-- Initial access tokens (RFC 7591 §3): made by an operator (`portcullis client
-- registration-token create`), stored as SHA-256 only; each registration uses one up, and
-- a conditional UPDATE keeps concurrent registrations within max_uses.
CREATE TABLE initial_access_tokens (
    id TEXT PRIMARY KEY NOT NULL,
    token_hash BYTEA NOT NULL UNIQUE,
    created_at BIGINT NOT NULL,
    expires_at BIGINT,
    max_uses BIGINT,
    uses BIGINT NOT NULL DEFAULT 0
);
-- A client that registered itself: the SHA-256 of its registration access token
-- (RFC 7592 §1), the informational metadata we echo but do not act on (client_uri,
-- logo_uri, contacts…; JSON), and which initial access token registered it (NULL: open
-- registration). Goes with its client.
CREATE TABLE client_registrations (
    client_id TEXT PRIMARY KEY NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    access_token_hash BYTEA NOT NULL,
    metadata TEXT NOT NULL,
    initial_token_id TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
