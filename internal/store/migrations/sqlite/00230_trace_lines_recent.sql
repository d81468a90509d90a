-- +goose Up
-- The newest codes (store.DB.RecentTraceCodes, cbec trace codes) sorted
-- every piece joined to its line to return the first few. This index gives
-- the lines newest first, and a release's lines in the order stored; each
-- line's pieces come in order from trace_codes_line, so the query reads a few
-- entries and sorts nothing (PostgreSQL sorts one line's pieces at a time).
-- The codes' own index cannot serve it although codes lead with their release
-- minute: codes issued before December 2026 are random and would sort among
-- the newest, and within a minute codes are random. A release appends at the
-- index's end. id is the rowid, which every index here ends with anyway; it
-- is named so that both engines have the same index (PostgreSQL needs it).
CREATE INDEX trace_lines_recent ON trace_lines (released_at DESC, id);

-- +goose Down
DROP INDEX trace_lines_recent;
