-- +goose Up
-- Export (9610 / 9710 / 9810), rules §11: export orders, receipts of payment,
-- waybills, arrivals and departures as declared; export inventories with their
-- lines; monthly summary declarations with their lines and the inventory lines
-- behind each; export returns and their tallies; 无票免税 registrations; and
-- overseas warehouses filed for 9810. Money is integer fen of the declared
-- currency; quantities are decimal text.

-- Orders (kind order, key ebpCode/orderNo), receipts of payment (receipt,
-- ebpCode/orderNo), waybills (waybill, logisticsCode/logisticsNo), arrivals
-- (arrival) and departures (departure) by logisticsCode/logisticsNo, and
-- master/house waybill lists (waybill_list, agentCode/copNo).
CREATE TABLE export_docs (
    kind       TEXT NOT NULL,
    k1         TEXT NOT NULL,
    k2         TEXT NOT NULL,
    ebc_code   TEXT NOT NULL,
    amount_fen BIGINT NOT NULL,
    currency   TEXT NOT NULL,
    data       TEXT NOT NULL,
    sender     TEXT NOT NULL,
    at         TIMESTAMPTZ NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (kind, k1, k2)
);

-- Export inventories (CEB603): 120 waiting for documents or for the arrival,
-- 100 rejected, 800 released (after the arrival), 899 closed (departed or cancelled).
CREATE TABLE export_inventories (
    id              TEXT PRIMARY KEY,
    agent_code      TEXT NOT NULL,
    cop_no          TEXT NOT NULL,
    pre_no          TEXT NOT NULL,
    invt_no         TEXT NOT NULL UNIQUE,
    ebp_code        TEXT NOT NULL,
    order_no        TEXT NOT NULL,
    ebc_code        TEXT NOT NULL,
    owner_code      TEXT NOT NULL,
    logistics_code  TEXT NOT NULL,
    logistics_no    TEXT NOT NULL,
    trade_mode      TEXT NOT NULL,
    statistics_flag TEXT NOT NULL,
    customs_code    TEXT NOT NULL,
    port_code       TEXT NOT NULL,
    traf_mode       TEXT NOT NULL,
    country         TEXT NOT NULL,
    currency        TEXT NOT NULL,
    total_fen       BIGINT NOT NULL,
    matched         BOOLEAN NOT NULL,
    status          TEXT NOT NULL,
    reason_code     TEXT NOT NULL,
    reason_info     TEXT NOT NULL,
    sender          TEXT NOT NULL,
    data            TEXT NOT NULL,
    declared_at     TIMESTAMPTZ NOT NULL,
    released_at     TIMESTAMPTZ,
    closed_at       TIMESTAMPTZ,
    cancelled       BOOLEAN NOT NULL,
    sum_no          TEXT NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL,
    UNIQUE (agent_code, cop_no)
);
CREATE INDEX export_inventories_order ON export_inventories (ebp_code, order_no);
CREATE INDEX export_inventories_waybill ON export_inventories (logistics_code, logistics_no);
CREATE INDEX export_inventories_released ON export_inventories (released_at);

CREATE TABLE export_lines (
    inventory_id TEXT NOT NULL,
    gnum         INTEGER NOT NULL,
    item_no      TEXT NOT NULL,
    item_name    TEXT NOT NULL,
    gcode        TEXT NOT NULL,
    unit         TEXT NOT NULL,
    currency     TEXT NOT NULL,
    qty          TEXT NOT NULL,
    total_fen    BIGINT NOT NULL,
    PRIMARY KEY (inventory_id, gnum)
);

-- Summary declarations (汇总申报): one per group of rules §11, with the month,
-- the deadline and whether it was made after the deadline.
CREATE TABLE export_summaries (
    sum_no       TEXT PRIMARY KEY,
    month        TEXT NOT NULL,
    ebc_code     TEXT NOT NULL,
    agent_code   TEXT NOT NULL,
    traf_mode    TEXT NOT NULL,
    owner_code   TEXT NOT NULL,
    country      TEXT NOT NULL,
    port_code    TEXT NOT NULL,
    customs_code TEXT NOT NULL,
    source       TEXT NOT NULL,
    cop_no       TEXT NOT NULL,
    lists        INTEGER NOT NULL,
    total_fen    BIGINT NOT NULL,
    late         BOOLEAN NOT NULL,
    due_at       TIMESTAMPTZ NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    explanation  TEXT NOT NULL
);
CREATE INDEX export_summaries_month ON export_summaries (month, ebc_code);

-- Lines of a summary: one per 10-digit HS, declared unit and currency.
CREATE TABLE export_summary_lines (
    sum_no    TEXT NOT NULL,
    gseqno    INTEGER NOT NULL,
    gcode     TEXT NOT NULL,
    unit      TEXT NOT NULL,
    currency  TEXT NOT NULL,
    qty       TEXT NOT NULL,
    total_fen BIGINT NOT NULL,
    lines     INTEGER NOT NULL,
    PRIMARY KEY (sum_no, gseqno)
);

-- Which inventory line went into which summary line.
CREATE TABLE export_summary_items (
    sum_no       TEXT NOT NULL,
    gseqno       INTEGER NOT NULL,
    inventory_id TEXT NOT NULL,
    gnum         INTEGER NOT NULL,
    PRIMARY KEY (inventory_id, gnum)
);

-- Export returns (CEB213 → 214) and their tallies (CEB215 → 216).
CREATE TABLE export_returns (
    id             TEXT PRIMARY KEY,
    ebc_code       TEXT NOT NULL,
    cop_no         TEXT NOT NULL,
    pre_no         TEXT NOT NULL,
    invt_no        TEXT NOT NULL,
    inventory_id   TEXT NOT NULL,
    logistics_code TEXT NOT NULL,
    logistics_no   TEXT NOT NULL,
    state          TEXT NOT NULL,
    reason         TEXT NOT NULL,
    exempt_fen     BIGINT NOT NULL,
    currency       TEXT NOT NULL,
    lines          TEXT NOT NULL,
    applied_at     TIMESTAMPTZ NOT NULL,
    tallied_at     TIMESTAMPTZ,
    UNIQUE (ebc_code, cop_no)
);
CREATE INDEX export_returns_waybill ON export_returns (logistics_code, logistics_no);

-- 无票免税: goods bought without purchase invoices, registered for the VAT/CT exemption.
CREATE TABLE export_no_invoice (
    id             TEXT PRIMARY KEY,
    ebc_code       TEXT NOT NULL,
    goods_date     TEXT NOT NULL,
    name           TEXT NOT NULL,
    unit           TEXT NOT NULL,
    qty            TEXT NOT NULL,
    unit_price_fen BIGINT NOT NULL,
    amount_fen     BIGINT NOT NULL,
    created_at     TIMESTAMPTZ NOT NULL
);
CREATE INDEX export_no_invoice_ebc ON export_no_invoice (ebc_code, goods_date);

-- Overseas warehouses filed with customs (9810).
CREATE TABLE export_warehouses (
    code       TEXT PRIMARY KEY,
    ebc_code   TEXT NOT NULL,
    name       TEXT NOT NULL,
    country    TEXT NOT NULL,
    address    TEXT NOT NULL,
    filed_at   TIMESTAMPTZ NOT NULL
);
CREATE INDEX export_warehouses_ebc ON export_warehouses (ebc_code, country);

-- +goose Down
DROP TABLE export_warehouses;
DROP TABLE export_no_invoice;
DROP TABLE export_returns;
DROP TABLE export_summary_items;
DROP TABLE export_summary_lines;
DROP TABLE export_summaries;
DROP TABLE export_lines;
DROP TABLE export_inventories;
DROP TABLE export_docs;
