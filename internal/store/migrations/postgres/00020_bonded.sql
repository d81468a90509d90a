-- +goose Up
-- Bonded import (1210), rules §6–§8: account books with their stock and every
-- movement, tallies and zone entries, cancellations and returns, tax
-- guarantees with their history, tax bills, and gate exits.
-- Quantities are integer thousandths of the declared unit (milli), so that
-- stock adds exactly and "never below zero" is one conditional UPDATE.

-- 账册: one per bonded warehouse, kept by its zone operator (role area).
CREATE TABLE bonded_books (
    ems_no        TEXT PRIMARY KEY,
    operator_code TEXT NOT NULL,
    name          TEXT NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL
);

-- Items of a book, linked to product filings by item_record_no. on_hand is
-- the stock in the warehouse; reserved is held by accepted inventories not yet
-- released. Available = on_hand − reserved, never below zero.
CREATE TABLE bonded_items (
    ems_no         TEXT NOT NULL,
    item_record_no TEXT NOT NULL,
    ebc_code       TEXT NOT NULL,
    item_no        TEXT NOT NULL,
    name           TEXT NOT NULL,
    unit           TEXT NOT NULL,
    on_hand_milli  BIGINT NOT NULL,
    reserved_milli BIGINT NOT NULL,
    created_at     TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (ems_no, item_record_no),
    CHECK (reserved_milli >= 0 AND on_hand_milli >= reserved_milli)
);

-- Every change of on_hand: in (zone entry), out (release), returned (a return
-- arrived, or a cancel after release), adjusted (signed). The monthly
-- reconciliation is computed from these rows.
CREATE TABLE bonded_moves (
    id             BIGSERIAL PRIMARY KEY,
    ems_no         TEXT NOT NULL,
    item_record_no TEXT NOT NULL,
    kind           TEXT NOT NULL,
    qty_milli      BIGINT NOT NULL,
    ref            TEXT NOT NULL,
    note           TEXT NOT NULL,
    at             TIMESTAMPTZ NOT NULL
);
CREATE INDEX bonded_moves_item ON bonded_moves (ems_no, item_record_no, at);

-- Stock held or taken by one inventory line: reserved → out → (returned qty).
CREATE TABLE bonded_holds (
    inventory_id   TEXT NOT NULL,
    gnum           INTEGER NOT NULL,
    ems_no         TEXT NOT NULL,
    item_record_no TEXT NOT NULL,
    qty_milli      BIGINT NOT NULL,
    returned_milli BIGINT NOT NULL,
    state          TEXT NOT NULL,
    updated_at     TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (inventory_id, gnum)
);

-- Zone entries (一线入区) from the JSON API, a CSV upload or a CEB711.
CREATE TABLE bonded_entries (
    entry_no      TEXT PRIMARY KEY,
    ems_no        TEXT NOT NULL,
    operator_code TEXT NOT NULL,
    source        TEXT NOT NULL,
    tally_no      TEXT NOT NULL,
    items         TEXT NOT NULL,
    differences   TEXT NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL
);

-- Tallies (先理货后报关): what physically arrived, before the entry is declared.
CREATE TABLE bonded_tallies (
    tally_no      TEXT PRIMARY KEY,
    ems_no        TEXT NOT NULL,
    operator_code TEXT NOT NULL,
    items         TEXT NOT NULL,
    deadline      TIMESTAMPTZ NOT NULL,
    entry_no      TEXT NOT NULL,
    differences   TEXT NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL,
    declared_at   TIMESTAMPTZ
);

-- Guarantor accounts: balance = lodged − debited + credited.
CREATE TABLE guarantee_accounts (
    assure_code  TEXT PRIMARY KEY,
    balance_fen  BIGINT NOT NULL,
    lodged_fen   BIGINT NOT NULL,
    debited_fen  BIGINT NOT NULL,
    credited_fen BIGINT NOT NULL,
    updated_at   TIMESTAMPTZ NOT NULL,
    CHECK (balance_fen >= 0)
);
CREATE TABLE guarantees (
    id          TEXT PRIMARY KEY,
    assure_code TEXT NOT NULL,
    amount_fen  BIGINT NOT NULL,
    reference   TEXT NOT NULL,
    valid_until TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL
);
CREATE TABLE guarantee_history (
    id            BIGSERIAL PRIMARY KEY,
    assure_code   TEXT NOT NULL,
    kind          TEXT NOT NULL,
    amount_fen    BIGINT NOT NULL,
    balance_fen   BIGINT NOT NULL,
    inventory_id  TEXT NOT NULL,
    ref           TEXT NOT NULL,
    note          TEXT NOT NULL,
    at            TIMESTAMPTZ NOT NULL
);
CREATE INDEX guarantee_history_code ON guarantee_history (assure_code, id);

-- The tax of one released, guaranteed inventory: debited at release, billed
-- once bill_after_days have passed with no open return, credited back by a
-- cancel or an arrived return. lines holds the per-line amounts (JSON).
CREATE TABLE tax_lines (
    inventory_id TEXT PRIMARY KEY,
    assure_code  TEXT NOT NULL,
    invt_no      TEXT NOT NULL,
    cop_no       TEXT NOT NULL,
    ebc_code     TEXT NOT NULL,
    agent_code   TEXT NOT NULL,
    customs_code TEXT NOT NULL,
    released_at  TIMESTAMPTZ NOT NULL,
    duty_fen     BIGINT NOT NULL,
    ct_fen       BIGINT NOT NULL,
    vat_fen      BIGINT NOT NULL,
    tax_fen      BIGINT NOT NULL,
    lines        TEXT NOT NULL,
    state        TEXT NOT NULL,
    bill_no      TEXT NOT NULL,
    updated_at   TIMESTAMPTZ NOT NULL
);
CREATE INDEX tax_lines_open ON tax_lines (state, released_at);

CREATE TABLE tax_bills (
    bill_no     TEXT PRIMARY KEY,
    assure_code TEXT NOT NULL,
    issued_at   TIMESTAMPTZ NOT NULL,
    due_at      TIMESTAMPTZ NOT NULL,
    total_fen   BIGINT NOT NULL,
    line_count  INTEGER NOT NULL,
    status      TEXT NOT NULL,
    paid_at     TIMESTAMPTZ,
    payment_ref TEXT NOT NULL
);
CREATE INDEX tax_bills_code ON tax_bills (assure_code, issued_at);

-- Returns (CEB625): applied for within return_apply_days of release; the goods
-- arrive back within return_arrive_days, recorded by the zone operator.
CREATE TABLE bonded_returns (
    id           TEXT PRIMARY KEY,
    inventory_id TEXT NOT NULL,
    agent_code   TEXT NOT NULL,
    cop_no       TEXT NOT NULL,
    pre_no       TEXT NOT NULL,
    invt_no      TEXT NOT NULL,
    lines        TEXT NOT NULL,
    state        TEXT NOT NULL,
    reason       TEXT NOT NULL,
    applied_at   TIMESTAMPTZ NOT NULL,
    arrived_at   TIMESTAMPTZ,
    refund_fen   BIGINT NOT NULL,
    quota_fen    BIGINT NOT NULL,
    UNIQUE (agent_code, cop_no)
);
CREATE INDEX bonded_returns_inventory ON bonded_returns (inventory_id);

-- Cancels (CEB623) that were granted.
CREATE TABLE bonded_cancels (
    inventory_id TEXT PRIMARY KEY,
    agent_code   TEXT NOT NULL,
    cop_no       TEXT NOT NULL,
    from_status  TEXT NOT NULL,
    reason       TEXT NOT NULL,
    at           TIMESTAMPTZ NOT NULL
);

-- Parcels that left the zone through the gate (卡口), and each vehicle's check.
CREATE TABLE gate_exits (
    inventory_id TEXT PRIMARY KEY,
    exit_id      TEXT NOT NULL,
    at           TIMESTAMPTZ NOT NULL
);
CREATE TABLE gate_checks (
    id            TEXT PRIMARY KEY,
    operator_code TEXT NOT NULL,
    vehicle_no    TEXT NOT NULL,
    passed        BOOLEAN NOT NULL,
    parcels       TEXT NOT NULL,
    at            TIMESTAMPTZ NOT NULL
);

-- Cancels and returns name the inventory by invtNo; the gate by the parcel's waybill number.
CREATE INDEX bonded_inventories_invt_no ON inventories (invt_no);
CREATE INDEX bonded_inventories_logistics_no ON inventories (logistics_no);

-- +goose Down
DROP INDEX bonded_inventories_logistics_no;
DROP INDEX bonded_inventories_invt_no;
DROP TABLE gate_checks;
DROP TABLE gate_exits;
DROP TABLE bonded_cancels;
DROP TABLE bonded_returns;
DROP TABLE tax_bills;
DROP TABLE tax_lines;
DROP TABLE guarantee_history;
DROP TABLE guarantees;
DROP TABLE guarantee_accounts;
DROP TABLE bonded_tallies;
DROP TABLE bonded_entries;
DROP TABLE bonded_holds;
DROP TABLE bonded_moves;
DROP TABLE bonded_items;
DROP TABLE bonded_books;
