-- Additive: revocation, introspection permissions, logout.

-- Sessions ended before their tokens expired: resource servers block tokens carrying
-- these `sid`s until `expires_at` (the longest access-token lifetime after the end).
CREATE TABLE revoked_sessions (
    sid TEXT PRIMARY KEY NOT NULL,
    expires_at BIGINT NOT NULL,
    revoked_at BIGINT NOT NULL
);
CREATE INDEX revoked_sessions_expires_at ON revoked_sessions (expires_at);

-- Access tokens issued from a refresh-token family, so revoking the family revokes them.
CREATE TABLE family_access_tokens (
    jti TEXT PRIMARY KEY NOT NULL,
    family_id TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX family_access_tokens_family_id ON family_access_tokens (family_id);

-- Which clients received tokens in a session (back-channel logout targets).
CREATE TABLE session_clients (
    sid TEXT NOT NULL,
    client_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (sid, client_id)
);

-- Back-channel logout deliveries, kept until delivered or given up, so a restart loses
-- nothing. The logout token is signed when sent.
CREATE TABLE backchannel_deliveries (
    id TEXT PRIMARY KEY NOT NULL,
    client_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    sid TEXT NOT NULL,
    attempts BIGINT NOT NULL,
    next_attempt_at BIGINT NOT NULL,
    last_error TEXT,
    created_at BIGINT NOT NULL
);
CREATE INDEX backchannel_deliveries_next_attempt_at ON backchannel_deliveries (next_attempt_at);

-- Extra rights of a client, e.g. `introspect`.
CREATE TABLE client_permissions (
    client_id TEXT NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    permission TEXT NOT NULL,
    PRIMARY KEY (client_id, permission)
);

INSERT INTO cache_versions (name, version) VALUES ('revocations', 0);
