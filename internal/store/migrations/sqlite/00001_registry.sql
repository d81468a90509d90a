-- +goose Up
-- Times are fixed-width UTC text (see package store); money is integer fen.
CREATE TABLE enterprises (
    code                   TEXT PRIMARY KEY,
    name                   TEXT NOT NULL,
    uscc                   TEXT,
    roles                  TEXT NOT NULL, -- ",ebp,ebc," so that a role is found with LIKE on both engines
    credit_class           TEXT NOT NULL,
    abnormal_list          BOOLEAN NOT NULL DEFAULT FALSE,
    serious_violation_list BOOLEAN NOT NULL DEFAULT FALSE,
    status                 TEXT NOT NULL,
    created_at             TEXT NOT NULL,
    updated_at             TEXT NOT NULL
);
CREATE UNIQUE INDEX enterprises_uscc ON enterprises (uscc) WHERE uscc IS NOT NULL;

CREATE TABLE enterprise_certificates (
    enterprise_code TEXT NOT NULL REFERENCES enterprises (code),
    fingerprint     TEXT NOT NULL,
    algorithm       TEXT NOT NULL,
    subject         TEXT NOT NULL,
    serial          TEXT NOT NULL,
    not_after       TEXT NOT NULL,
    pem             TEXT NOT NULL,
    PRIMARY KEY (enterprise_code, fingerprint)
);

CREATE TABLE api_keys (
    key_hash        TEXT PRIMARY KEY,
    enterprise_code TEXT NOT NULL REFERENCES enterprises (code),
    prefix          TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    revoked_at      TEXT
);
CREATE INDEX api_keys_enterprise ON api_keys (enterprise_code);

CREATE TABLE settings (
    name       TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

-- +goose Down
DROP TABLE settings;
DROP TABLE api_keys;
DROP TABLE enterprise_certificates;
DROP TABLE enterprises;
