-- +goose Up
-- No query reads inventories by updated_at except the engine's sweep of
-- pending ones, which inventories_pending (00090) serves; this index cost a
-- b-tree write on every change of every inventory and about 40 bytes a row.
DROP INDEX inventories_updated;

-- +goose Down
CREATE INDEX inventories_updated ON inventories (updated_at);
