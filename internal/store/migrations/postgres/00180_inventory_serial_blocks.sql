-- +goose Up
-- Inventory serials (preNo, invtNo) are drawn in blocks of 64 by each node
-- (store.NextSerial): the counter row made every writer wait for the one
-- holding it until commit. A sequence is held by no transaction; its value
-- is the last serial of the last block given out.
CREATE SEQUENCE inventory_serials INCREMENT BY 64 MINVALUE 0;
SELECT setval('inventory_serials', (SELECT value FROM counters WHERE name = 'inventory_serial'));

-- +goose Down
UPDATE counters SET value = (SELECT last_value FROM inventory_serials) WHERE name = 'inventory_serial';
DROP SEQUENCE inventory_serials;
