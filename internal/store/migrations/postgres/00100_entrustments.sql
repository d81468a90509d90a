-- +goose Up
-- Entrustments (rules §12): an e-commerce enterprise (or an exporter) lets a
-- declaring agent declare its inventories from valid_from until valid_until
-- (NULL: without end); revoked_at ends one at once. Kept after revocation, so
-- that who could declare for whom, and when, can be told later.
CREATE TABLE entrustments (
    id          TEXT PRIMARY KEY,
    ebc_code    TEXT NOT NULL,
    agent_code  TEXT NOT NULL,
    valid_from  TIMESTAMPTZ NOT NULL,
    valid_until TIMESTAMPTZ,
    created_at  TIMESTAMPTZ NOT NULL,
    revoked_at  TIMESTAMPTZ
);
CREATE INDEX entrustments_ebc ON entrustments (ebc_code, agent_code);
CREATE INDEX entrustments_agent ON entrustments (agent_code);

-- +goose Down
DROP TABLE entrustments;
