-- +goose Up
-- An inventory's waybill was indexed twice: by logistics firm and number
-- (inventories_waybill: the waybill's inventory, store.Tx.MarkWaiting's
-- wake-ups, the logistics manifests' join) and by number alone
-- (bonded_inventories_logistics_no: the bonded gate, store.DB's sorting-line
-- look-up by parcel). One index on (number, firm) serves both: the first
-- with both columns, the second with its first. A b-tree entry and write
-- less per inventory, about 30 bytes a declaration.
DROP INDEX bonded_inventories_logistics_no;
DROP INDEX inventories_waybill;
CREATE INDEX inventories_waybill ON inventories (logistics_no, logistics_code);

-- +goose Down
DROP INDEX inventories_waybill;
CREATE INDEX inventories_waybill ON inventories (logistics_code, logistics_no);
CREATE INDEX bonded_inventories_logistics_no ON inventories (logistics_no);
