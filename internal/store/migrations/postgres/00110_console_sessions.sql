-- +goose Up
-- Sessions of the enterprise console (issue 16): the cookie holds a random id,
-- only its SHA-256 is stored, with the hash of the key (or administrator
-- token) that signed in, so that rotating or revoking the key ends the session.
-- enterprise_code is empty for the administrator.
CREATE TABLE console_sessions (
    id_hash         TEXT PRIMARY KEY,
    enterprise_code TEXT NOT NULL,
    key_hash        TEXT NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL,
    expires_at      TIMESTAMPTZ NOT NULL
);
CREATE INDEX console_sessions_expires ON console_sessions (expires_at);

-- +goose Down
DROP TABLE console_sessions;
