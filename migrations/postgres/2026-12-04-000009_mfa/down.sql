ALTER TABLE client_policies DROP COLUMN require_acr;
DROP TABLE pending_sign_ins;
DROP TABLE webauthn_ceremonies;
DROP TABLE passkeys;
DROP TABLE recovery_codes;
DROP TABLE user_totp;
