-- +goose Up
-- The JSON of documents and inventories is stored compressed in data_z
-- (DEFLATE with a preset dictionary behind a format byte: store.packJSON),
-- about 40 % of its size as text. New and rewritten rows leave data empty;
-- rows written before keep their text in data until they are next written,
-- and read as before.
ALTER TABLE documents ADD COLUMN data_z BLOB;
ALTER TABLE inventories ADD COLUMN data_z BLOB;

-- +goose Down
-- Back to text: rows written since are decompressed by no SQL, so the way
-- down is only for a database that holds none of them (a test's).
ALTER TABLE inventories DROP COLUMN data_z;
ALTER TABLE documents DROP COLUMN data_z;
