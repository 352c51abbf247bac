DELETE FROM cache_versions WHERE name = 'revocations';
DROP TABLE client_permissions;
DROP TABLE backchannel_deliveries;
DROP TABLE session_clients;
DROP TABLE family_access_tokens;
DROP TABLE revoked_sessions;
