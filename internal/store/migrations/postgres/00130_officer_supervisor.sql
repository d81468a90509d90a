-- +goose Up
-- A supervisor may reopen the finding their department's side recorded at the
-- inspection bench (a finding is otherwise final for that side).
ALTER TABLE officers ADD COLUMN supervisor BOOLEAN NOT NULL DEFAULT FALSE;

-- +goose Down
ALTER TABLE officers DROP COLUMN supervisor;
