-- +goose Up
-- The engine's sweep asks every second for the oldest pending inventories
-- (WHERE pending ORDER BY updated_at). With the index on (pending) the planner
-- walked inventories_updated over the whole table instead: a scan that grew
-- with every inventory ever received. Indexing updated_at of pending rows only
-- makes the sweep read just the rows it returns.
DROP INDEX inventories_pending;
CREATE INDEX inventories_pending ON inventories (updated_at) WHERE pending;

-- +goose Down
DROP INDEX inventories_pending;
CREATE INDEX inventories_pending ON inventories (pending) WHERE pending;
