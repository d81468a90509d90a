-- +goose Up
-- Entry and tally numbers are the zone operator's own (rules §12): another
-- zone recording an entry or tally of that number first must not take it.
CREATE TABLE bonded_entries_by_operator (
    entry_no      TEXT NOT NULL,
    ems_no        TEXT NOT NULL,
    operator_code TEXT NOT NULL,
    source        TEXT NOT NULL,
    tally_no      TEXT NOT NULL,
    items         TEXT NOT NULL,
    differences   TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    PRIMARY KEY (operator_code, entry_no)
);
INSERT INTO bonded_entries_by_operator SELECT entry_no, ems_no, operator_code, source, tally_no, items, differences, created_at FROM bonded_entries;
DROP TABLE bonded_entries;
ALTER TABLE bonded_entries_by_operator RENAME TO bonded_entries;

CREATE TABLE bonded_tallies_by_operator (
    tally_no      TEXT NOT NULL,
    ems_no        TEXT NOT NULL,
    operator_code TEXT NOT NULL,
    items         TEXT NOT NULL,
    deadline      TEXT NOT NULL,
    entry_no      TEXT NOT NULL,
    differences   TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    declared_at   TEXT,
    PRIMARY KEY (operator_code, tally_no)
);
INSERT INTO bonded_tallies_by_operator SELECT tally_no, ems_no, operator_code, items, deadline, entry_no, differences, created_at, declared_at FROM bonded_tallies;
DROP TABLE bonded_tallies;
ALTER TABLE bonded_tallies_by_operator RENAME TO bonded_tallies;

-- +goose Down
CREATE TABLE bonded_entries_global (
    entry_no      TEXT PRIMARY KEY,
    ems_no        TEXT NOT NULL,
    operator_code TEXT NOT NULL,
    source        TEXT NOT NULL,
    tally_no      TEXT NOT NULL,
    items         TEXT NOT NULL,
    differences   TEXT NOT NULL,
    created_at    TEXT NOT NULL
);
INSERT INTO bonded_entries_global SELECT entry_no, ems_no, operator_code, source, tally_no, items, differences, created_at FROM bonded_entries;
DROP TABLE bonded_entries;
ALTER TABLE bonded_entries_global RENAME TO bonded_entries;

CREATE TABLE bonded_tallies_global (
    tally_no      TEXT PRIMARY KEY,
    ems_no        TEXT NOT NULL,
    operator_code TEXT NOT NULL,
    items         TEXT NOT NULL,
    deadline      TEXT NOT NULL,
    entry_no      TEXT NOT NULL,
    differences   TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    declared_at   TEXT
);
INSERT INTO bonded_tallies_global SELECT tally_no, ems_no, operator_code, items, deadline, entry_no, differences, created_at, declared_at FROM bonded_tallies;
DROP TABLE bonded_tallies;
ALTER TABLE bonded_tallies_global RENAME TO bonded_tallies;
