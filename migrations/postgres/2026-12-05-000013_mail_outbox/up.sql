-- Outgoing mail, queued in the database so a restart loses nothing and no request waits
-- on SMTP: a worker claims due rows (a lease in `locked_until`), sends, and deletes them;
-- failures are retried with backoff (`attempts`, `next_attempt_at`, `last_error`).
CREATE TABLE mail_outbox (
    id TEXT PRIMARY KEY NOT NULL,
    to_address TEXT NOT NULL,
    subject TEXT NOT NULL,
    text_body TEXT NOT NULL,
    html_body TEXT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    locked_until BIGINT,
    last_error TEXT,
    created_at BIGINT NOT NULL
);
CREATE INDEX mail_outbox_next_attempt_at ON mail_outbox (next_attempt_at);
