-- +goose Up
-- Receipts of the feed are stored packed: their guid and the key values the
-- receipt shows (package receipt, Pack), from which the text is rebuilt on
-- reading, byte for byte. The text took three quarters of a receipt's row
-- and a fifth of the bytes of a declaration. Rows with a text (written before
-- this migration, or by messages without a packed form) keep it.
ALTER TABLE receipts ADD COLUMN fields TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE receipts DROP COLUMN fields;
