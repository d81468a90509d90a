-- +goose Up
-- Reference data (contract §6). Each upload of the tariff table, the positive
-- list or the negative list is a version with the instant it takes effect;
-- versions are never changed or deleted, so the table in force at any moment
-- can be rebuilt. Rates and amounts are decimal text exactly as parsed (never
-- REAL or NUMERIC: a rate of 0.13 must stay 0.13). Times are TIMESTAMPTZ.
CREATE TABLE tariff_versions (
    id             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    effective_from TIMESTAMPTZ NOT NULL,
    replace_all    BOOLEAN NOT NULL DEFAULT FALSE, -- the upload is the whole table: rows it lacks end
    uploaded_by    TEXT NOT NULL,
    uploaded_at    TIMESTAMPTZ NOT NULL,
    row_count      INTEGER NOT NULL
);

CREATE TABLE tariff_rows (
    version_id                      BIGINT NOT NULL REFERENCES tariff_versions (id),
    hs_code                         TEXT NOT NULL,
    name                            TEXT NOT NULL,
    vat_rate                        TEXT NOT NULL,
    consumption_tax_rate            TEXT NOT NULL,
    consumption_tax_threshold       TEXT NOT NULL,
    consumption_tax_unit            TEXT NOT NULL,
    consumption_tax_threshold_piece TEXT NOT NULL,
    consumption_tax_specific        TEXT NOT NULL,
    consumption_tax_specific_unit   TEXT NOT NULL,
    consumption_tax_specific_below  TEXT NOT NULL,
    litres_per_tonne                TEXT NOT NULL,
    legal_unit                      TEXT NOT NULL,
    duty_rate                       TEXT NOT NULL,
    PRIMARY KEY (version_id, hs_code)
);

CREATE TABLE positive_list_versions (
    id             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    effective_from TIMESTAMPTZ NOT NULL,
    replace_all    BOOLEAN NOT NULL DEFAULT FALSE,
    uploaded_by    TEXT NOT NULL,
    uploaded_at    TIMESTAMPTZ NOT NULL,
    row_count      INTEGER NOT NULL
);

CREATE TABLE positive_list_rows (
    version_id  BIGINT NOT NULL REFERENCES positive_list_versions (id),
    hs_code     TEXT NOT NULL, -- 8 or 10 digits
    name        TEXT NOT NULL,
    remark_kind TEXT NOT NULL,
    remark      TEXT NOT NULL,
    PRIMARY KEY (version_id, hs_code)
);

CREATE TABLE negative_list_versions (
    id             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    effective_from TIMESTAMPTZ NOT NULL,
    replace_all    BOOLEAN NOT NULL DEFAULT FALSE,
    uploaded_by    TEXT NOT NULL,
    uploaded_at    TIMESTAMPTZ NOT NULL,
    row_count      INTEGER NOT NULL
);

CREATE TABLE negative_list_rows (
    version_id BIGINT NOT NULL REFERENCES negative_list_versions (id),
    position   INTEGER NOT NULL, -- order in the file: the list reports matches in list order
    hs_prefix  TEXT NOT NULL,
    gtin       TEXT NOT NULL,
    name       TEXT NOT NULL,
    kind       TEXT NOT NULL,
    reason     TEXT NOT NULL,
    PRIMARY KEY (version_id, position)
);

-- Product filings are not versioned: a later upload replaces the filing with
-- the same enterprise and item number. updated_at lets every node pick up the
-- filings other nodes stored since its last look.
CREATE TABLE product_filings (
    ebc_code       TEXT NOT NULL,
    item_no        TEXT NOT NULL,
    name           TEXT NOT NULL,
    hs_code        TEXT NOT NULL,
    gtin           TEXT NOT NULL,
    brand          TEXT NOT NULL,
    origin_country TEXT NOT NULL,
    spec           TEXT NOT NULL,
    legal_unit     TEXT NOT NULL,
    item_record_no TEXT NOT NULL,
    updated_at     TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (ebc_code, item_no)
);
CREATE INDEX product_filings_updated ON product_filings (updated_at);

-- +goose Down
DROP TABLE product_filings;
DROP TABLE negative_list_rows;
DROP TABLE negative_list_versions;
DROP TABLE positive_list_rows;
DROP TABLE positive_list_versions;
DROP TABLE tariff_rows;
DROP TABLE tariff_versions;
