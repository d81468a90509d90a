-- +goose Up
-- An inventory's steps (declared, judged, released …) are kept in its own
-- row, one JSON line each (store.Tx.AddEvent), instead of a row of
-- inventory_events and an entry of its index per step: the row is written
-- at each step anyway, so the step costs no statement of its own, and about
-- 100 bytes instead of 250. The steps recorded before stay in
-- inventory_events and are read first (store.DB.Events).
ALTER TABLE inventories ADD COLUMN events TEXT NOT NULL DEFAULT '';

-- +goose Down
-- The steps kept in rows are lost on the way down; only a test's database takes it.
ALTER TABLE inventories DROP COLUMN events;
