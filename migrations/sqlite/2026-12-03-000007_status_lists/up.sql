-- IETF Token Status Lists (draft-ietf-oauth-status-list). Every access token points at
-- one bit of a list: `status_lists` are the lists (fixed capacity, deleted once every
-- token pointing at them has expired); `status_blocks` are the ranges of indexes an
-- instance reserved for one client's tokens (so a client's not-before covers its
-- blocks); `token_statuses` say which index a token of a session got (so ending the
-- session reaches its tokens); `status_ranges` are the bits set, numbered like the
-- revocation log they belong to.
CREATE TABLE status_lists (
    id TEXT PRIMARY KEY NOT NULL,
    capacity BIGINT NOT NULL,
    allocated BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX status_lists_expires_at ON status_lists (expires_at);

CREATE TABLE status_blocks (
    list_id TEXT NOT NULL,
    start_idx BIGINT NOT NULL,
    end_idx BIGINT NOT NULL,
    client_id TEXT NOT NULL,
    reserved_at BIGINT NOT NULL,
    PRIMARY KEY (list_id, start_idx)
);
CREATE INDEX status_blocks_client_id ON status_blocks (client_id);

CREATE TABLE token_statuses (
    list_id TEXT NOT NULL,
    idx BIGINT NOT NULL,
    jti TEXT NOT NULL,
    sid TEXT,
    expires_at BIGINT NOT NULL,
    PRIMARY KEY (list_id, idx)
);
CREATE INDEX token_statuses_jti ON token_statuses (jti);
CREATE INDEX token_statuses_sid ON token_statuses (sid);
CREATE INDEX token_statuses_expires_at ON token_statuses (expires_at);

CREATE TABLE status_ranges (
    list_id TEXT NOT NULL,
    start_idx BIGINT NOT NULL,
    end_idx BIGINT NOT NULL,
    seq BIGINT NOT NULL,
    PRIMARY KEY (list_id, start_idx, end_idx, seq)
);
CREATE INDEX status_ranges_seq ON status_ranges (seq);
