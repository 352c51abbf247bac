DROP TABLE client_versions;
