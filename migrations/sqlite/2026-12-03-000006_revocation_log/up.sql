-- The revocation tables become an append-only log: each row carries the number
-- (`cache_versions.revocations`) its write took, and instances apply the rows after the
-- last number they have seen instead of reloading everything. Rows from before this
-- migration get 0: they are read once, at start-up, like everything else.
ALTER TABLE revoked_tokens ADD COLUMN seq BIGINT NOT NULL DEFAULT 0;
ALTER TABLE revoked_sessions ADD COLUMN seq BIGINT NOT NULL DEFAULT 0;
ALTER TABLE revoked_clients ADD COLUMN seq BIGINT NOT NULL DEFAULT 0;
CREATE INDEX revoked_tokens_seq ON revoked_tokens (seq);
CREATE INDEX revoked_sessions_seq ON revoked_sessions (seq);
CREATE INDEX revoked_clients_seq ON revoked_clients (seq);
