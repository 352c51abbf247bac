-- The value of cache_versions.clients written with each client's last change, so every
-- instance reloads only the clients that changed since the version it holds rather than
-- all of them (hardening round 2, finding 5). A table of its own: clients has 16 columns.
CREATE TABLE client_versions (
    client_id TEXT PRIMARY KEY NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    version BIGINT NOT NULL
);
CREATE INDEX client_versions_version ON client_versions (version);
