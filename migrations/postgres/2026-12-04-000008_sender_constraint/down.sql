DROP TABLE pushed_requests;
DROP TABLE dpop_proof_jtis;
ALTER TABLE refresh_tokens DROP COLUMN dpop_jkt;
ALTER TABLE authorization_codes DROP COLUMN dpop_jkt;
DROP TABLE client_policies;
