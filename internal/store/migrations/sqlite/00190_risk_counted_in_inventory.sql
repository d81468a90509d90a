-- +goose Up
-- That an inventory is in the risk history counters (package risk counts it
-- once, however often it is judged) is kept in its own row: the decision
-- writes that row anyway, so the mark costs no statement of its own, and a
-- timestamp in the row instead of a row and an index entry of risk_counted.
-- The marks made before move into the rows.
ALTER TABLE inventories ADD COLUMN risk_counted_at TEXT;
UPDATE inventories SET risk_counted_at = (SELECT c.at FROM risk_counted c WHERE c.inventory_id = inventories.id)
    WHERE id IN (SELECT inventory_id FROM risk_counted);
DROP TABLE risk_counted;

-- +goose Down
CREATE TABLE risk_counted (
    inventory_id TEXT PRIMARY KEY,
    at           TEXT NOT NULL
);
INSERT INTO risk_counted (inventory_id, at) SELECT id, risk_counted_at FROM inventories WHERE risk_counted_at IS NOT NULL;
ALTER TABLE inventories DROP COLUMN risk_counted_at;
