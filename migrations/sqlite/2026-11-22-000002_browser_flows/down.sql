DROP TABLE redeemed_codes;
ALTER TABLE refresh_tokens DROP COLUMN family_expires_at;
ALTER TABLE refresh_tokens DROP COLUMN acr;
ALTER TABLE refresh_tokens DROP COLUMN amr;
ALTER TABLE authorization_codes DROP COLUMN amr;
