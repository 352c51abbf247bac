-- Upstream OpenID providers people may sign in with (`portcullis upstream add`). The
-- client secret is sealed with the key-encryption key; `metadata` is the provider's
-- discovery document as read when the upstream was added.
CREATE TABLE upstreams (
    name TEXT PRIMARY KEY NOT NULL,
    issuer TEXT NOT NULL,
    client_id TEXT NOT NULL,
    client_secret_sealed BLOB NOT NULL,
    scopes TEXT NOT NULL,
    claim_mapping TEXT NOT NULL,
    role_from_claim TEXT,
    link_by_verified_email BOOLEAN NOT NULL DEFAULT 0,
    userinfo BOOLEAN NOT NULL DEFAULT 0,
    metadata TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

-- A local user signed in through an upstream (or the LDAP directory, `ldap`): (upstream,
-- its subject) names them for good. Deleting an upstream deletes its links.
CREATE TABLE identity_links (
    upstream TEXT NOT NULL,
    subject TEXT NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    last_used_at BIGINT NOT NULL,
    PRIMARY KEY (upstream, subject)
);
CREATE INDEX identity_links_user ON identity_links (user_id);

-- A sign-in sent to an upstream and not back yet: the hash of its `state`, its nonce and
-- PKCE verifier, and what to continue with (the authorization request, or `rd`).
CREATE TABLE upstream_logins (
    state_hash BLOB PRIMARY KEY NOT NULL,
    upstream TEXT NOT NULL,
    nonce TEXT NOT NULL,
    verifier TEXT NOT NULL,
    carry_name TEXT NOT NULL,
    carry_value TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT
);
CREATE INDEX upstream_logins_expires_at ON upstream_logins (expires_at);

-- The upstream a session came from, and its session there: its back-channel logout
-- (OpenID Connect Back-Channel Logout §2.6, by `sid` or `sub`) ends ours.
ALTER TABLE sessions ADD COLUMN upstream TEXT;
ALTER TABLE sessions ADD COLUMN upstream_sub TEXT;
ALTER TABLE sessions ADD COLUMN upstream_sid TEXT;

-- A sign-in through an upstream that still owes a second factor keeps where it came from,
-- so the session it becomes still answers that upstream's back-channel logout.
ALTER TABLE pending_sign_ins ADD COLUMN upstream TEXT;
ALTER TABLE pending_sign_ins ADD COLUMN upstream_sub TEXT;
ALTER TABLE pending_sign_ins ADD COLUMN upstream_sid TEXT;
