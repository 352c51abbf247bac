-- Single-use, short-lived links sent by mail (password reset, email verification,
-- invitations): only the SHA-256 of the token is stored; `used_at` is set once, by a
-- conditional update, so a link works exactly once.
CREATE TABLE action_tokens (
    token_hash BYTEA PRIMARY KEY NOT NULL,
    purpose TEXT NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT
);
CREATE INDEX action_tokens_expires_at ON action_tokens (expires_at);
