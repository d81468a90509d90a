-- +goose Up
-- The risk counters and the buyers' quota rows are short and are found by
-- their primary key only, so a rowid table stored each key twice: in the
-- row and in the key's own b-tree (sqlite_autoindex_…), about 300 bytes a
-- declaration of the 9 KB. Clustered on the key (WITHOUT ROWID) the row is
-- the key's b-tree entry: one b-tree and one write per row instead of two.
-- Their longest row (a quota entry, about 130 bytes) is far under the size
-- past which SQLite advises against WITHOUT ROWID (a twentieth of a page).
-- The rows are copied as they are; nothing reads rowids of these tables.
CREATE TABLE risk_counters_c (
    kind TEXT NOT NULL,
    key  TEXT NOT NULL,
    day  TEXT NOT NULL,
    n    BIGINT NOT NULL,
    fen  BIGINT NOT NULL,
    PRIMARY KEY (kind, key, day)
) WITHOUT ROWID;
INSERT INTO risk_counters_c SELECT kind, key, day, n, fen FROM risk_counters;
DROP TABLE risk_counters;
ALTER TABLE risk_counters_c RENAME TO risk_counters;

CREATE TABLE quota_usage_c (
    buyer_key TEXT NOT NULL,
    year      INTEGER NOT NULL,
    used_fen  BIGINT NOT NULL,
    name_hash TEXT NOT NULL,
    PRIMARY KEY (buyer_key, year)
) WITHOUT ROWID;
INSERT INTO quota_usage_c SELECT buyer_key, year, used_fen, name_hash FROM quota_usage;
DROP TABLE quota_usage;
ALTER TABLE quota_usage_c RENAME TO quota_usage;

CREATE TABLE quota_entries_c (
    inventory_id TEXT PRIMARY KEY,
    buyer_key    TEXT NOT NULL,
    year         INTEGER NOT NULL,
    amount_fen   BIGINT NOT NULL,
    caps         TEXT NOT NULL,
    state        TEXT NOT NULL,
    updated_at   TEXT NOT NULL
) WITHOUT ROWID;
INSERT INTO quota_entries_c SELECT inventory_id, buyer_key, year, amount_fen, caps, state, updated_at FROM quota_entries;
DROP TABLE quota_entries;
ALTER TABLE quota_entries_c RENAME TO quota_entries;

-- +goose Down
CREATE TABLE risk_counters_r (
    kind TEXT NOT NULL,
    key  TEXT NOT NULL,
    day  TEXT NOT NULL,
    n    BIGINT NOT NULL,
    fen  BIGINT NOT NULL,
    PRIMARY KEY (kind, key, day)
);
INSERT INTO risk_counters_r SELECT kind, key, day, n, fen FROM risk_counters;
DROP TABLE risk_counters;
ALTER TABLE risk_counters_r RENAME TO risk_counters;

CREATE TABLE quota_usage_r (
    buyer_key TEXT NOT NULL,
    year      INTEGER NOT NULL,
    used_fen  BIGINT NOT NULL,
    name_hash TEXT NOT NULL,
    PRIMARY KEY (buyer_key, year)
);
INSERT INTO quota_usage_r SELECT buyer_key, year, used_fen, name_hash FROM quota_usage;
DROP TABLE quota_usage;
ALTER TABLE quota_usage_r RENAME TO quota_usage;

CREATE TABLE quota_entries_r (
    inventory_id TEXT PRIMARY KEY,
    buyer_key    TEXT NOT NULL,
    year         INTEGER NOT NULL,
    amount_fen   BIGINT NOT NULL,
    caps         TEXT NOT NULL,
    state        TEXT NOT NULL,
    updated_at   TEXT NOT NULL
);
INSERT INTO quota_entries_r SELECT inventory_id, buyer_key, year, amount_fen, caps, state, updated_at FROM quota_entries;
DROP TABLE quota_entries;
ALTER TABLE quota_entries_r RENAME TO quota_entries;
