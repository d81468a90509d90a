-- +goose Up
-- Receipts pushed to the enterprise's own endpoint, with the last delivered
-- sequence number: delivery resumes there after a failure or a restart.
CREATE TABLE webhooks (
    enterprise_code TEXT PRIMARY KEY,
    url             TEXT NOT NULL,
    secret          TEXT NOT NULL,
    delivered_seq   BIGINT NOT NULL,
    failures        INTEGER NOT NULL,
    last_error      TEXT NOT NULL,
    next_attempt    TIMESTAMPTZ NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL
);

-- +goose Down
DROP TABLE webhooks;
