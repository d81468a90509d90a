-- +goose Up
-- Quality and traceability (rules §10): one traceability service code per
-- released piece, the life of each piece, product holds (recalls and failed
-- lab tests block further releases), recalls with the pieces they reached,
-- published warnings and policies, and online lab-test applications.

-- One row per released piece. What the public lookup shows is copied here at
-- release, so a lookup is one read by primary key.
CREATE TABLE trace_codes (
    code           TEXT PRIMARY KEY,
    inventory_id   TEXT NOT NULL,
    gnum           INTEGER NOT NULL,
    piece          INTEGER NOT NULL,
    ebc_code       TEXT NOT NULL,
    item_no        TEXT NOT NULL,
    gtin           TEXT NOT NULL,
    batch          TEXT NOT NULL,
    produced_on    TEXT NOT NULL,
    name           TEXT NOT NULL,
    brand          TEXT NOT NULL,
    origin_country TEXT NOT NULL,
    hs_code        TEXT NOT NULL,
    customs_code   TEXT NOT NULL,
    port_code      TEXT NOT NULL,
    inspected      BOOLEAN NOT NULL,
    state          TEXT NOT NULL,
    released_at    TIMESTAMPTZ NOT NULL
);
CREATE INDEX trace_codes_inventory ON trace_codes (inventory_id, gnum, piece);
CREATE INDEX trace_codes_item ON trace_codes (ebc_code, item_no);
CREATE INDEX trace_codes_gtin ON trace_codes (gtin);

-- What happened to a piece after its release (exited the zone, returned,
-- recalled); the release itself is the code's released_at.
CREATE TABLE trace_events (
    code     TEXT NOT NULL,
    at       TIMESTAMPTZ NOT NULL,
    kind     TEXT NOT NULL,
    location TEXT NOT NULL,
    actor    TEXT NOT NULL,
    ref      TEXT NOT NULL
);
CREATE INDEX trace_events_code ON trace_events (code, at);

-- A product whose further releases are held (status 300): an active recall
-- or a failed lab test. Matching: the filing (ebc_code + item_no) or the GTIN,
-- narrowed by batch when given.
CREATE TABLE product_holds (
    id         TEXT PRIMARY KEY,
    source     TEXT NOT NULL,
    ebc_code   TEXT NOT NULL,
    item_no    TEXT NOT NULL,
    gtin       TEXT NOT NULL,
    batch      TEXT NOT NULL,
    reason     TEXT NOT NULL,
    active     BOOLEAN NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    lifted_at  TIMESTAMPTZ
);

CREATE TABLE recalls (
    id            TEXT PRIMARY KEY,
    title         TEXT NOT NULL,
    reason        TEXT NOT NULL,
    advice        TEXT NOT NULL,
    risk_level    TEXT NOT NULL,
    ebc_code      TEXT NOT NULL,
    item_no       TEXT NOT NULL,
    gtin          TEXT NOT NULL,
    batch         TEXT NOT NULL,
    produced_from TEXT NOT NULL,
    produced_to   TEXT NOT NULL,
    product_name  TEXT NOT NULL,
    status        TEXT NOT NULL,
    pieces        INTEGER NOT NULL,
    hold_id       TEXT NOT NULL,
    created_by    TEXT NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL,
    closed_at     TIMESTAMPTZ
);
CREATE TABLE recall_pieces (
    recall_id TEXT NOT NULL,
    code      TEXT NOT NULL,
    PRIMARY KEY (recall_id, code)
);
CREATE INDEX recall_pieces_code ON recall_pieces (code);

-- Risk warnings (kind 'warning') and policy notices (kind 'policy').
CREATE TABLE notices (
    id           TEXT PRIMARY KEY,
    kind         TEXT NOT NULL,
    title        TEXT NOT NULL,
    body         TEXT NOT NULL,
    product      TEXT NOT NULL,
    ebc_code     TEXT NOT NULL,
    item_no      TEXT NOT NULL,
    gtin         TEXT NOT NULL,
    risk_level   TEXT NOT NULL,
    advice       TEXT NOT NULL,
    source       TEXT NOT NULL,
    published_at TIMESTAMPTZ NOT NULL,
    withdrawn_at TIMESTAMPTZ
);
CREATE INDEX notices_kind ON notices (kind, published_at);

-- Online inspection applications (在线报验检测) and the lab's result per test item.
CREATE TABLE lab_applications (
    id           TEXT PRIMARY KEY,
    applicant    TEXT NOT NULL,
    lab_code     TEXT NOT NULL,
    ebc_code     TEXT NOT NULL,
    item_no      TEXT NOT NULL,
    gtin         TEXT NOT NULL,
    batch        TEXT NOT NULL,
    product_name TEXT NOT NULL,
    sample       TEXT NOT NULL,
    items        TEXT NOT NULL,
    status       TEXT NOT NULL,
    note         TEXT NOT NULL,
    warning_id   TEXT NOT NULL,
    hold_id      TEXT NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    updated_at   TIMESTAMPTZ NOT NULL
);
CREATE INDEX lab_applications_product ON lab_applications (ebc_code, item_no);
CREATE TABLE lab_results (
    application_id TEXT NOT NULL,
    item           TEXT NOT NULL,
    passed         BOOLEAN NOT NULL,
    value          TEXT NOT NULL,
    standard       TEXT NOT NULL,
    method         TEXT NOT NULL,
    recorded_at    TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (application_id, item)
);

-- +goose Down
DROP TABLE lab_results;
DROP TABLE lab_applications;
DROP TABLE notices;
DROP TABLE recall_pieces;
DROP TABLE recalls;
DROP TABLE product_holds;
DROP TABLE trace_events;
DROP TABLE trace_codes;
