ALTER TABLE pending_sign_ins DROP COLUMN upstream_sid;
ALTER TABLE pending_sign_ins DROP COLUMN upstream_sub;
ALTER TABLE pending_sign_ins DROP COLUMN upstream;
DROP TABLE upstream_logins;
DROP TABLE identity_links;
DROP TABLE upstreams;
ALTER TABLE sessions DROP COLUMN upstream_sid;
ALTER TABLE sessions DROP COLUMN upstream_sub;
ALTER TABLE sessions DROP COLUMN upstream;
