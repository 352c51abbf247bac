-- Token exchange (RFC 8693), per client: the audiences it may obtain (a JSON array) and
-- whether it may ask for impersonation tokens (without `act`).
ALTER TABLE client_policies ADD COLUMN exchange_audiences TEXT;
ALTER TABLE client_policies ADD COLUMN exchange_impersonate BOOLEAN NOT NULL DEFAULT FALSE;

-- Tokens made by exchange, by the token they were exchanged from: revoking a token
-- revokes what was exchanged from it, down the chain. Its status index, to set its bit.
CREATE TABLE exchanged_tokens (
    jti TEXT PRIMARY KEY NOT NULL,
    parent_jti TEXT NOT NULL,
    list_id TEXT,
    idx BIGINT,
    expires_at BIGINT NOT NULL
);
CREATE INDEX exchanged_tokens_parent_jti ON exchanged_tokens (parent_jti);
CREATE INDEX exchanged_tokens_expires_at ON exchanged_tokens (expires_at);
