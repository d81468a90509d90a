-- +goose Up
-- A message's answer is no longer stored as text when it can be rebuilt: its
-- documents' receipts are the receipts numbered receipt_seq .. receipt_seq +
-- receipt_count - 1 in the sender's feed, and receipt_guid is the answer's
-- guid (package receipt, Whole). The text stayed, per message, next to the
-- same receipts stored per document. Answers in an envelope (DxpMsg) keep
-- their text in receipt, as do the rows written before this migration.
ALTER TABLE messages ADD COLUMN receipt_guid TEXT NOT NULL DEFAULT '';
ALTER TABLE messages ADD COLUMN receipt_seq BIGINT NOT NULL DEFAULT 0;
ALTER TABLE messages ADD COLUMN receipt_count INTEGER NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE messages DROP COLUMN receipt_count;
ALTER TABLE messages DROP COLUMN receipt_seq;
ALTER TABLE messages DROP COLUMN receipt_guid;
