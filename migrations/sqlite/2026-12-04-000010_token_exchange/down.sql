DROP TABLE exchanged_tokens;
ALTER TABLE client_policies DROP COLUMN exchange_impersonate;
ALTER TABLE client_policies DROP COLUMN exchange_audiences;
