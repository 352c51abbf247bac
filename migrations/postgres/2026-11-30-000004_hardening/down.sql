DROP TABLE login_failures;
DROP TABLE revoked_clients;
