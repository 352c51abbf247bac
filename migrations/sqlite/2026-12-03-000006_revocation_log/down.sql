DROP INDEX revoked_clients_seq;
DROP INDEX revoked_sessions_seq;
DROP INDEX revoked_tokens_seq;
ALTER TABLE revoked_clients DROP COLUMN seq;
ALTER TABLE revoked_sessions DROP COLUMN seq;
ALTER TABLE revoked_tokens DROP COLUMN seq;
