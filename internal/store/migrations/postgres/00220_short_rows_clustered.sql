-- +goose Up
-- SQLite only (its 00220 clusters the risk counters and the quota rows on
-- their keys); a PostgreSQL table is always a heap beside its key's index.
-- The number is kept so that both engines share their versions.
SELECT 1;

-- +goose Down
SELECT 1;
