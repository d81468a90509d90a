-- +goose Up
-- A summary declaration's total added the values of its lines whatever their
-- currency (CNY and USD into one number). Totals are now per currency, summed
-- from the summary's lines (export_summary_lines), so the column goes.
ALTER TABLE export_summaries DROP COLUMN total_fen;

-- +goose Down
ALTER TABLE export_summaries ADD COLUMN total_fen BIGINT NOT NULL DEFAULT 0;
