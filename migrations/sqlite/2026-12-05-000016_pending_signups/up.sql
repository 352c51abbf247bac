-- Self-service sign-ups waiting for their email to be confirmed (`registration.self_service`).
-- The account is created only when the mailed link is used, so an address nobody
-- confirmed never gets one. Only the SHA-256 of the link's token is stored, and the
-- password only as its argon2id hash.
CREATE TABLE pending_signups (
    token_hash BLOB PRIMARY KEY NOT NULL,
    username TEXT NOT NULL,
    email TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT
);
CREATE INDEX pending_signups_expires_at ON pending_signups (expires_at);
