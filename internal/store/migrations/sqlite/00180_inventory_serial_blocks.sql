-- +goose Up
-- On PostgreSQL inventory serials are drawn in blocks from a sequence
-- (store.NextSerial). SQLite has one writer and keeps the counter row:
-- nothing changes here.
SELECT 1;

-- +goose Down
SELECT 1;
