-- +goose Up
-- Officer console and joint inspection at the sorting line (issue 8). Package
-- console keeps these tables.

-- Officers: one department each, which decides what they may see and do.
CREATE TABLE officers (
    id            TEXT PRIMARY KEY,
    username      TEXT NOT NULL UNIQUE,
    name          TEXT NOT NULL,
    department    TEXT NOT NULL,  -- customs, inspection, market, commerce, admin
    password_hash TEXT NOT NULL,  -- argon2id, PHC string
    disabled      BOOLEAN NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL,
    updated_at    TIMESTAMPTZ NOT NULL
);

-- Sessions: the cookie holds a random token; only its SHA-256 is stored.
CREATE TABLE officer_sessions (
    token_hash TEXT PRIMARY KEY,
    officer_id TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX officer_sessions_officer ON officer_sessions (officer_id);

-- Append-only audit log: every officer action, who, what, when, before → after.
CREATE TABLE officer_audit (
    seq        BIGSERIAL PRIMARY KEY,
    at         TIMESTAMPTZ NOT NULL,
    officer_id TEXT NOT NULL,
    username   TEXT NOT NULL,
    department TEXT NOT NULL,
    action     TEXT NOT NULL,
    object     TEXT NOT NULL,
    before     TEXT NOT NULL,
    after      TEXT NOT NULL
);
-- +goose StatementBegin
CREATE FUNCTION officer_audit_append_only() RETURNS trigger AS $$
BEGIN RAISE EXCEPTION 'officer_audit is append-only'; END;
$$ LANGUAGE plpgsql;
-- +goose StatementEnd
CREATE TRIGGER officer_audit_no_change BEFORE UPDATE OR DELETE ON officer_audit
FOR EACH ROW EXECUTE FUNCTION officer_audit_append_only();

-- Sorting lines of a bonded warehouse, and their scanners (X-ray machines);
-- a scanner reports with its own token, stored as SHA-256.
CREATE TABLE sorting_lines (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    warehouse  TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE TABLE line_scanners (
    id         TEXT PRIMARY KEY,
    line_id    TEXT NOT NULL,
    name       TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at TIMESTAMPTZ NOT NULL
);

-- Parcels seen at a line: the scan, each side's mark and finding, the divert
-- instruction and the outcome once every side that marked has recorded.
CREATE TABLE line_parcels (
    id                 TEXT PRIMARY KEY,
    line_id            TEXT NOT NULL,
    scanner_id         TEXT NOT NULL,
    logistics_no       TEXT NOT NULL,
    inventory_id       TEXT NOT NULL,  -- empty when no inventory has this waybill
    image_ref          TEXT NOT NULL,
    scanned_at         TIMESTAMPTZ NOT NULL,
    divert             TEXT NOT NULL,  -- pass, inspect
    customs_mark       TEXT NOT NULL,  -- empty, or the marking officer's note
    inspection_mark    TEXT NOT NULL,
    customs_finding    TEXT NOT NULL,  -- empty, or release/return/detain:5xx + note (JSON)
    inspection_finding TEXT NOT NULL,
    outcome            TEXT NOT NULL,  -- empty until decided: the inventory status set
    updated_at         TIMESTAMPTZ NOT NULL
);
CREATE INDEX line_parcels_line ON line_parcels (line_id, scanned_at);
CREATE INDEX line_parcels_waybill ON line_parcels (logistics_no);

-- +goose Down
DROP TABLE line_parcels;
DROP TABLE line_scanners;
DROP TABLE sorting_lines;
DROP TABLE officer_audit;
DROP FUNCTION officer_audit_append_only();
DROP TABLE officer_sessions;
DROP TABLE officers;
