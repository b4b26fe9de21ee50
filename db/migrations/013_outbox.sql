-- Steward speaks up (issue #13): the transactional outbox, the webhooks it
-- delivers to, and the scheduler's memory of its jobs.
--
-- An alert is queued in the same transaction as the change that causes it;
-- a sender drains the queue outside any transaction. Each message has a key
-- (rule, record, threshold, recipient): queueing it again is a no-op, so a
-- message is never queued twice.

-- Webhooks, configured by admins. A webhook's URL (a Slack URL is itself a
-- credential) and its secret are kept sealed with a key derived from the
-- audit key, which lives outside the database (see db/sealed.go): a backup
-- or a copy of the file alone does not reveal them.
CREATE TABLE webhooks (
    id             INTEGER PRIMARY KEY,
    url_sealed     TEXT NOT NULL,
    url_shown      TEXT NOT NULL,             -- scheme://host, all that is ever shown
    format         TEXT NOT NULL CHECK (format IN ('json', 'slack')),
    secret_sealed  TEXT NOT NULL DEFAULT '',  -- '' when it has none
    secret_hint    TEXT NOT NULL DEFAULT '',  -- its last four characters, for people
    events         TEXT NOT NULL DEFAULT '[]', -- a JSON array of event types
    disabled       INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL
);

-- One row per message to one recipient, with its delivery's state. The
-- delivery_id goes out with every attempt, so receivers can drop repeats.
CREATE TABLE outbox (
    id               INTEGER PRIMARY KEY,
    delivery_id      TEXT NOT NULL UNIQUE,
    rule             TEXT NOT NULL,
    record_kind      TEXT NOT NULL DEFAULT '',
    record_id        INTEGER NOT NULL DEFAULT 0,
    threshold        TEXT NOT NULL DEFAULT '',
    recipient        TEXT NOT NULL,
    event            TEXT NOT NULL,
    record_name      TEXT NOT NULL DEFAULT '',
    summary          TEXT NOT NULL,
    details          TEXT NOT NULL DEFAULT 'null', -- JSON
    channel          TEXT NOT NULL CHECK (channel IN ('webhook', 'email')),
    webhook_id       INTEGER REFERENCES webhooks(id) ON DELETE SET NULL,
    status           TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed')),
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  TEXT NOT NULL,
    last_attempt_at  TEXT NOT NULL DEFAULT '',
    last_error       TEXT NOT NULL DEFAULT '',
    sent_at          TEXT NOT NULL DEFAULT '',
    created_at       TEXT NOT NULL,
    UNIQUE (rule, record_kind, record_id, threshold, recipient)
);
-- The sender's question: what is due now?
CREATE INDEX outbox_due ON outbox(next_attempt_at) WHERE status = 'pending';
-- The delivery log, newest first, all or by status.
CREATE INDEX outbox_status ON outbox(status, id);
-- A webhook's deliveries: its latest on the admin page, its pending ones
-- when it is disabled or deleted.
CREATE INDEX outbox_webhook ON outbox(webhook_id, id) WHERE webhook_id IS NOT NULL;

-- The scheduler's jobs and when each last ran to the end, so that a restart
-- neither repeats nor skips one.
CREATE TABLE scheduled_jobs (
    name         TEXT PRIMARY KEY,
    last_run_at  TEXT NOT NULL
) WITHOUT ROWID;
