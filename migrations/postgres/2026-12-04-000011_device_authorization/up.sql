-- The device authorization grant (RFC 8628): one row per device_code (by SHA-256), its
-- user_code (normalized, unique while live), the client and scope, what the user decided
-- (pending | approved | denied) and, once approved, the sign-in it carries; the polling
-- interval (grows by 5 s on slow_down) and the last poll; redeemed once.
CREATE TABLE device_codes (
    device_code_hash TEXT PRIMARY KEY NOT NULL,
    user_code TEXT NOT NULL UNIQUE,
    client_id TEXT NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    scope TEXT NOT NULL,
    status TEXT NOT NULL,
    user_id TEXT,
    session_sid TEXT,
    auth_time BIGINT,
    acr TEXT,
    amr TEXT,
    poll_interval BIGINT NOT NULL,
    last_poll_at BIGINT,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    redeemed_at BIGINT
);
CREATE INDEX device_codes_expires_at ON device_codes (expires_at);
