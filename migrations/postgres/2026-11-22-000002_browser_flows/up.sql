-- Additive: what the browser flows need beyond the initial model.

-- The authentication methods of the session that produced a code or refresh token
-- (ID token `amr`), and a refresh family's absolute end.
ALTER TABLE authorization_codes ADD COLUMN amr TEXT;
ALTER TABLE refresh_tokens ADD COLUMN amr TEXT;
ALTER TABLE refresh_tokens ADD COLUMN acr TEXT;
ALTER TABLE refresh_tokens ADD COLUMN family_expires_at BIGINT;

-- Codes already redeemed, with what they produced, so a second redemption can revoke it
-- all (RFC 6749 §4.1.2, RFC 9700 §4.2.4).
CREATE TABLE redeemed_codes (
    code_hash BYTEA PRIMARY KEY NOT NULL,
    client_id TEXT NOT NULL,
    access_jti TEXT NOT NULL,
    access_expires_at BIGINT NOT NULL,
    refresh_family_id TEXT,
    expires_at BIGINT NOT NULL
);
CREATE INDEX redeemed_codes_expires_at ON redeemed_codes (expires_at);
