-- Several signing algorithms, DPoP (RFC 9449) and PAR (RFC 9126).
-- Per client (a row only when one differs from the defaults): the algorithms of its
-- tokens, whether its access tokens must be DPoP-bound, whether it must push its
-- authorization requests, and its profile (fapi2).
CREATE TABLE client_policies (
    client_id TEXT PRIMARY KEY NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    access_token_alg TEXT,
    id_token_alg TEXT,
    require_dpop BOOLEAN NOT NULL,
    require_par BOOLEAN NOT NULL,
    profile TEXT
);

-- The JWK thumbprint a code or a refresh token is bound to (RFC 9449 §10, §5).
ALTER TABLE authorization_codes ADD COLUMN dpop_jkt TEXT;
ALTER TABLE refresh_tokens ADD COLUMN dpop_jkt TEXT;

-- DPoP proofs seen within their window, by SHA-256 of (jkt, jti): one use across instances.
CREATE TABLE dpop_proof_jtis (
    id_hash BLOB PRIMARY KEY NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX dpop_proof_jtis_expires_at ON dpop_proof_jtis (expires_at);

-- Pushed authorization requests: the request_uri's hash, the client, the validated
-- parameters (form-encoded), when /authorize first used it; deleted when a code is issued
-- (single use).
CREATE TABLE pushed_requests (
    uri_hash BLOB PRIMARY KEY NOT NULL,
    client_id TEXT NOT NULL,
    params TEXT NOT NULL,
    dpop_jkt TEXT,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT
);
CREATE INDEX pushed_requests_expires_at ON pushed_requests (expires_at);
