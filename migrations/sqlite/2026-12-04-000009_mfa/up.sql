-- Multi-factor sign-in.

-- An authenticator app per user (RFC 6238): the secret sealed under the key-encryption
-- key (AES-256-GCM, the user id as associated data); it counts once the user confirmed it
-- with a first code; the last accepted time step (each code is usable once).
CREATE TABLE user_totp (
    user_id TEXT PRIMARY KEY NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    secret_sealed BLOB NOT NULL,
    confirmed_at BIGINT,
    last_step BIGINT,
    created_at BIGINT NOT NULL
);

-- Recovery codes, by SHA-256 (each has 80 bits of randomness); used ones are kept, marked.
CREATE TABLE recovery_codes (
    code_hash BLOB PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    used_at BIGINT
);
CREATE INDEX recovery_codes_user_id ON recovery_codes (user_id);

-- WebAuthn credentials (passkeys): the credential id (base64url), the public key and its
-- counter as webauthn-rs stores them (JSON), whether the authenticator verified the user
-- at registration and whether the key may be synced (backup eligible).
CREATE TABLE passkeys (
    credential_id TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    passkey TEXT NOT NULL,
    user_verified BOOLEAN NOT NULL,
    synced BOOLEAN NOT NULL,
    created_at BIGINT NOT NULL,
    last_used_at BIGINT
);
CREATE INDEX passkeys_user_id ON passkeys (user_id);

-- WebAuthn ceremonies in progress, by SHA-256 of their id: the challenge state, taken
-- once (any instance may finish what another started).
CREATE TABLE webauthn_ceremonies (
    id_hash BLOB PRIMARY KEY NOT NULL,
    user_id TEXT,
    kind TEXT NOT NULL,
    state TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX webauthn_ceremonies_expires_at ON webauthn_ceremonies (expires_at);

-- Sign-ins past their first factor, waiting for the second one (or for an enrolment the
-- policy requires), by SHA-256 of the cookie that names them: no session exists yet.
CREATE TABLE pending_sign_ins (
    id_hash BLOB PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    factors TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX pending_sign_ins_expires_at ON pending_sign_ins (expires_at);

-- The level a client's sign-ins must reach (`client create --require-acr 2|3`).
ALTER TABLE client_policies ADD COLUMN require_acr TEXT;
