-- +goose Up
-- Risk, emergency measures, credit across departments, data direct-connect
-- (rules §5, §9). Package risk keeps these tables.

-- Risk rules: a CEL expression over the variables of docs/risk.md, an action,
-- a scope and validity. Every change is a new version, kept in
-- risk_rule_versions; risk_rules holds the current one.
CREATE TABLE risk_rules (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    version     INTEGER NOT NULL,
    expr        TEXT NOT NULL,
    action      TEXT NOT NULL,  -- reject, review, inspect, score
    score       INTEGER NOT NULL,
    trade_modes TEXT NOT NULL,  -- comma separated; empty: every trade mode
    districts   TEXT NOT NULL,  -- customs codes, comma separated; empty: every district
    valid_from  TIMESTAMPTZ,
    valid_to    TIMESTAMPTZ,
    state       TEXT NOT NULL,  -- draft, active, disabled
    author      TEXT NOT NULL,
    note        TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL
);

CREATE TABLE risk_rule_versions (
    rule_id     TEXT NOT NULL,
    version     INTEGER NOT NULL,
    name        TEXT NOT NULL,
    expr        TEXT NOT NULL,
    action      TEXT NOT NULL,
    score       INTEGER NOT NULL,
    trade_modes TEXT NOT NULL,
    districts   TEXT NOT NULL,
    valid_from  TIMESTAMPTZ,
    valid_to    TIMESTAMPTZ,
    state       TEXT NOT NULL,
    author      TEXT NOT NULL,
    note        TEXT NOT NULL,
    at          TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (rule_id, version)
);

-- What hit an inventory: rules (kind rule) and emergency measures (kind measure).
CREATE TABLE risk_hits (
    inventory_id TEXT NOT NULL,
    kind         TEXT NOT NULL,
    ref          TEXT NOT NULL,
    version      INTEGER NOT NULL,
    action       TEXT NOT NULL,
    score        INTEGER NOT NULL,
    at           TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (inventory_id, kind, ref, version)
);

-- History counters by day (China Standard Time): kind addr (orders per
-- consignee-address hash), buyer (dutiable fen per buyer), phone (parcels
-- per consignee-phone hash). Keys are keyed hashes, never clear data.
CREATE TABLE risk_counters (
    kind TEXT NOT NULL,
    key  TEXT NOT NULL,
    day  TEXT NOT NULL,
    n    BIGINT NOT NULL,
    fen  BIGINT NOT NULL,
    PRIMARY KEY (kind, key, day)
);
-- An inventory is counted once, however often it is judged.
CREATE TABLE risk_counted (
    inventory_id TEXT PRIMARY KEY,
    at           TIMESTAMPTZ NOT NULL
);
CREATE TABLE risk_first_seen (
    enterprise_code TEXT PRIMARY KEY,
    at              TIMESTAMPTZ NOT NULL
);
-- One row: bumped by every change of rules, measures or direct-connect flags,
-- so that other nodes reload.
CREATE TABLE risk_state (
    name       TEXT PRIMARY KEY,
    generation BIGINT NOT NULL
);
INSERT INTO risk_state (name, generation) VALUES ('generation', 1);

-- Emergency measures (风险应急措施).
CREATE TABLE emergency_measures (
    id          TEXT PRIMARY KEY,
    kind        TEXT NOT NULL,  -- product, gtin, hs_prefix, brand, origin, enterprise
    value       TEXT NOT NULL,
    ebc_code    TEXT NOT NULL,  -- with kind product
    action      TEXT NOT NULL,  -- hold, reject (after conversion)
    reason      TEXT NOT NULL,
    legal_basis TEXT NOT NULL,
    author      TEXT NOT NULL,
    starts_at   TIMESTAMPTZ NOT NULL,
    ends_at     TIMESTAMPTZ,
    state       TEXT NOT NULL,  -- active, lifted, converted
    ended_by    TEXT NOT NULL,
    end_reason  TEXT NOT NULL,
    ended_at    TIMESTAMPTZ,
    created_at  TIMESTAMPTZ NOT NULL
);
CREATE TABLE measure_holds (
    measure_id   TEXT NOT NULL,
    inventory_id TEXT NOT NULL,
    at           TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (measure_id, inventory_id)
);

-- Credit records of the departments (customs, inspection, market, commerce).
CREATE TABLE credit_records (
    id              TEXT PRIMARY KEY,
    enterprise_code TEXT NOT NULL,
    department      TEXT NOT NULL,
    kind            TEXT NOT NULL,  -- class_change, abnormal_list, serious_violation_list, penalty
    class           TEXT NOT NULL,
    legal_basis     TEXT NOT NULL,
    decision_no     TEXT NOT NULL,
    summary         TEXT NOT NULL,
    public          BOOLEAN NOT NULL,
    starts_at       TIMESTAMPTZ NOT NULL,
    expires_at      TIMESTAMPTZ,
    state           TEXT NOT NULL,  -- active, expired, repaired
    prev_class      TEXT NOT NULL,
    prev_abnormal   BOOLEAN NOT NULL,
    prev_serious    BOOLEAN NOT NULL,
    author          TEXT NOT NULL,
    ended_at        TIMESTAMPTZ,
    ended_by        TEXT NOT NULL,
    end_reason      TEXT NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL
);
CREATE INDEX credit_records_enterprise ON credit_records (enterprise_code, state);

-- Data direct-connect (身份比对数据直通): a platform's declared real-name
-- verification rate and its eligibility, with the history of changes.
CREATE TABLE direct_connect (
    enterprise_code TEXT PRIMARY KEY,
    declared_rate   TEXT NOT NULL,
    declared_at     TIMESTAMPTZ,
    eligible        BOOLEAN NOT NULL,
    reason          TEXT NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL
);
CREATE TABLE direct_connect_events (
    enterprise_code TEXT NOT NULL,
    at              TIMESTAMPTZ NOT NULL,
    kind            TEXT NOT NULL,
    detail          TEXT NOT NULL,
    actor           TEXT NOT NULL
);
CREATE INDEX direct_connect_events_code ON direct_connect_events (enterprise_code, at);

-- +goose Down
DROP TABLE direct_connect_events;
DROP TABLE direct_connect;
DROP TABLE credit_records;
DROP TABLE measure_holds;
DROP TABLE emergency_measures;
DROP TABLE risk_state;
DROP TABLE risk_first_seen;
DROP TABLE risk_counted;
DROP TABLE risk_counters;
DROP TABLE risk_hits;
DROP TABLE risk_rule_versions;
DROP TABLE risk_rules;
