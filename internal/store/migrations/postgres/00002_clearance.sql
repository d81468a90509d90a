-- +goose Up
-- Retail import clearance: raw messages, documents, inventories and their
-- history, the receipts outbox, and the buyers' quotas.

-- Every accepted message, sealed (it holds personal data in clear), with the
-- synchronous receipt it was answered: the same guid from the same sender gets
-- the same answer again.
CREATE TABLE messages (
    id          TEXT PRIMARY KEY,
    sender      TEXT NOT NULL,
    guid        TEXT NOT NULL,
    msg_type    TEXT NOT NULL,
    received_at TIMESTAMPTZ NOT NULL,
    body        BYTEA NOT NULL,
    http_status INTEGER NOT NULL,
    receipt     TEXT NOT NULL,
    UNIQUE (sender, guid)
);

-- Orders, payments and waybills: kind + two key parts (order and payment:
-- ebp_code, order_no; waybill: logistics_code, logistics_no).
CREATE TABLE documents (
    kind         TEXT NOT NULL,
    k1           TEXT NOT NULL,
    k2           TEXT NOT NULL,
    order_no     TEXT NOT NULL,
    sender       TEXT NOT NULL,
    app_type     TEXT NOT NULL,
    deleted      BOOLEAN NOT NULL,
    content_hash TEXT NOT NULL,
    data         TEXT NOT NULL,
    message_id   TEXT NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    updated_at   TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (kind, k1, k2)
);

CREATE TABLE inventories (
    id             TEXT PRIMARY KEY,
    agent_code     TEXT NOT NULL,
    cop_no         TEXT NOT NULL,
    ebp_code       TEXT NOT NULL,
    order_no       TEXT NOT NULL,
    ebc_code       TEXT NOT NULL,
    logistics_code TEXT NOT NULL,
    logistics_no   TEXT NOT NULL,
    trade_mode     TEXT NOT NULL,
    sender         TEXT NOT NULL,
    pre_no         TEXT NOT NULL,
    invt_no        TEXT NOT NULL,
    status         TEXT NOT NULL,
    reason_code    TEXT NOT NULL,
    reason_info    TEXT NOT NULL,
    buyer_key      TEXT NOT NULL,
    dutiable_fen   BIGINT NOT NULL,
    duty_fen       BIGINT NOT NULL,
    ct_fen         BIGINT NOT NULL,
    vat_fen        BIGINT NOT NULL,
    tax_fen        BIGINT NOT NULL,
    regime         TEXT NOT NULL,
    pending        BOOLEAN NOT NULL,
    wait_until     TIMESTAMPTZ NOT NULL,
    seed           TEXT NOT NULL,
    app_type       TEXT NOT NULL,
    content_hash   TEXT NOT NULL,
    data           TEXT NOT NULL,
    message_id     TEXT NOT NULL,
    version        BIGINT NOT NULL,
    created_at     TIMESTAMPTZ NOT NULL,
    updated_at     TIMESTAMPTZ NOT NULL,
    released_at    TIMESTAMPTZ,
    UNIQUE (agent_code, cop_no)
);
CREATE INDEX inventories_order ON inventories (ebp_code, order_no);
CREATE INDEX inventories_waybill ON inventories (logistics_code, logistics_no);
CREATE INDEX inventories_pending ON inventories (pending) WHERE pending;
CREATE INDEX inventories_waiting ON inventories (wait_until) WHERE status = '120';
CREATE INDEX inventories_updated ON inventories (updated_at);

-- Every state an inventory went through, with who, when and why.
CREATE TABLE inventory_events (
    inventory_id TEXT NOT NULL,
    at           TIMESTAMPTZ NOT NULL,
    status       TEXT NOT NULL,
    code         TEXT NOT NULL,
    info         TEXT NOT NULL,
    actor        TEXT NOT NULL
);
CREATE INDEX inventory_events_inventory ON inventory_events (inventory_id, at);

-- The receipts outbox: written in the transaction of the change it reports.
-- Sequence numbers count per enterprise, taken from receipt_counters in that
-- same transaction: the counter's row lock orders the writers, so a reader
-- paging with after=seq never passes a receipt that commits later, and a
-- rolled-back transaction leaves no gap.
CREATE TABLE receipts (
    enterprise_code TEXT NOT NULL,
    seq             BIGINT NOT NULL,
    message_type    TEXT NOT NULL,
    cop_no          TEXT NOT NULL,
    order_no        TEXT NOT NULL,
    return_status   TEXT NOT NULL,
    return_info     TEXT NOT NULL,
    xml             TEXT NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (enterprise_code, seq)
);
CREATE TABLE receipt_counters (
    enterprise_code TEXT PRIMARY KEY,
    last_seq        BIGINT NOT NULL
);

-- Buyers' yearly amounts (rules §4): released and in-flight inventories.
CREATE TABLE quota_usage (
    buyer_key TEXT NOT NULL,
    year      INTEGER NOT NULL,
    used_fen  BIGINT NOT NULL,
    name_hash TEXT NOT NULL,
    PRIMARY KEY (buyer_key, year)
);
CREATE TABLE quota_entries (
    inventory_id TEXT PRIMARY KEY,
    buyer_key    TEXT NOT NULL,
    year         INTEGER NOT NULL,
    amount_fen   BIGINT NOT NULL,
    caps         TEXT NOT NULL,
    state        TEXT NOT NULL,
    updated_at   TIMESTAMPTZ NOT NULL
);
-- Per-person yearly quantity caps of the positive list, in milli-units of the cap's unit.
CREATE TABLE cap_usage (
    buyer_key TEXT NOT NULL,
    year      INTEGER NOT NULL,
    hs_code   TEXT NOT NULL,
    used_milli BIGINT NOT NULL,
    PRIMARY KEY (buyer_key, year, hs_code)
);

CREATE TABLE counters (
    name  TEXT PRIMARY KEY,
    value BIGINT NOT NULL
);
INSERT INTO counters (name, value) VALUES ('inventory_serial', 0);

-- +goose Down
DROP TABLE counters;
DROP TABLE cap_usage;
DROP TABLE quota_entries;
DROP TABLE quota_usage;
DROP TABLE receipt_counters;
DROP TABLE receipts;
DROP TABLE inventory_events;
DROP TABLE inventories;
DROP TABLE documents;
DROP TABLE messages;
