-- +goose Up
-- A goods line's pieces share everything their public lookup shows but the
-- code and the piece's state: those facts move to one row per line
-- (trace_lines), and a piece keeps its code, its line's number, its place
-- in the line and its state. A release of three lines of two pieces writes
-- three rows of the line's facts and six rows of a few bytes instead of six
-- rows of eighteen columns, and the product indexes get an entry per line
-- instead of per piece. Pieces name their line by a number rather than by
-- inventory id and goods number: 36 bytes less in each piece's row and in
-- its index entry.
-- The pieces move to a new table rather than losing columns, which
-- PostgreSQL would only hide.

-- released_at is the line's, as all of an inventory's pieces are released
-- in one decision.
CREATE TABLE trace_lines (
    id             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    inventory_id   TEXT NOT NULL,
    gnum           INTEGER NOT NULL,
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
    released_at    TIMESTAMPTZ NOT NULL
);
-- An inventory's lines (store.DB.TraceCodesOfInventory, store.DB.SetTraceBatch),
-- one row per goods line (store.Tx.InsertTraceCodes: ON CONFLICT).
CREATE UNIQUE INDEX trace_lines_inventory ON trace_lines (inventory_id, gnum);
-- A recall's lines by filing (store.Tx.InsertRecall, matchWhere).
CREATE INDEX trace_lines_item ON trace_lines (ebc_code, item_no);
-- A recall's lines by GTIN (store.Tx.InsertRecall, matchWhere).
CREATE INDEX trace_lines_gtin ON trace_lines (gtin);

-- A line's facts are its first piece's (they are the same for every piece:
-- the issuer copied them from the line).
INSERT INTO trace_lines (inventory_id, gnum, ebc_code, item_no, gtin, batch, produced_on, name, brand, origin_country,
        hs_code, customs_code, port_code, inspected, released_at)
    SELECT inventory_id, gnum, ebc_code, item_no, gtin, batch, produced_on, name, brand, origin_country,
        hs_code, customs_code, port_code, inspected, released_at
    FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY inventory_id, gnum ORDER BY piece, code) AS n FROM trace_codes) ranked
    WHERE n = 1
    ORDER BY released_at, inventory_id, gnum;

CREATE TABLE trace_pieces (
    code    TEXT PRIMARY KEY,
    line_id BIGINT NOT NULL,
    piece   INTEGER NOT NULL,
    state   TEXT NOT NULL
);
INSERT INTO trace_pieces (code, line_id, piece, state)
    SELECT c.code, l.id, c.piece, c.state FROM trace_codes c JOIN trace_lines l ON l.inventory_id = c.inventory_id AND l.gnum = c.gnum;
DROP TABLE trace_codes;
ALTER TABLE trace_pieces RENAME TO trace_codes;
ALTER TABLE trace_codes RENAME CONSTRAINT trace_pieces_pkey TO trace_codes_pkey;
-- A line's pieces in order (store.DB.TraceCodesOfInventory, store.Tx.InsertRecall,
-- store.DB.SetTraceBatch).
CREATE INDEX trace_codes_line ON trace_codes (line_id, piece);

-- +goose Down
CREATE TABLE trace_wide (
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
INSERT INTO trace_wide (code, inventory_id, gnum, piece, ebc_code, item_no, gtin, batch, produced_on, name, brand,
        origin_country, hs_code, customs_code, port_code, inspected, state, released_at)
    SELECT c.code, l.inventory_id, l.gnum, c.piece, l.ebc_code, l.item_no, l.gtin, l.batch, l.produced_on, l.name, l.brand,
        l.origin_country, l.hs_code, l.customs_code, l.port_code, l.inspected, c.state, l.released_at
    FROM trace_codes c JOIN trace_lines l ON l.id = c.line_id;
DROP TABLE trace_codes;
DROP TABLE trace_lines;
ALTER TABLE trace_wide RENAME TO trace_codes;
ALTER TABLE trace_codes RENAME CONSTRAINT trace_wide_pkey TO trace_codes_pkey;
CREATE INDEX trace_codes_inventory ON trace_codes (inventory_id, gnum, piece);
CREATE INDEX trace_codes_item ON trace_codes (ebc_code, item_no);
CREATE INDEX trace_codes_gtin ON trace_codes (gtin);
