-- +goose Up
-- Logistics channels, technical service providers, the service response
-- centre and operations (issue 12).

-- A manifest: one master bill (air waybill, rail consignment note, bill of
-- lading …) or voyage of a carrier, with the parcels it carries.
CREATE TABLE lg_manifests (
    id               TEXT PRIMARY KEY,
    logistics_code   TEXT NOT NULL,
    bill_no          TEXT NOT NULL,
    voyage_no        TEXT NOT NULL,
    traf_mode        TEXT NOT NULL,
    channel          TEXT NOT NULL,
    route            TEXT NOT NULL,
    weight_g         BIGINT NOT NULL,
    cost_fen         BIGINT,
    planned_arrival  TIMESTAMPTZ,
    departed_at      TIMESTAMPTZ,
    arrived_at       TIMESTAMPTZ,
    stage            TEXT NOT NULL,
    stage_at         TIMESTAMPTZ NOT NULL,
    created_at       TIMESTAMPTZ NOT NULL,
    UNIQUE (logistics_code, bill_no)
);
CREATE INDEX lg_manifests_channel ON lg_manifests (channel, created_at);

CREATE TABLE lg_parcels (
    logistics_code TEXT NOT NULL,
    logistics_no   TEXT NOT NULL,
    manifest_id    TEXT NOT NULL,
    PRIMARY KEY (logistics_code, logistics_no)
);
CREATE INDEX lg_parcels_manifest ON lg_parcels (manifest_id);

-- Departure, arrival and other events of a manifest, as reported.
CREATE TABLE lg_events (
    id          TEXT PRIMARY KEY,
    manifest_id TEXT NOT NULL,
    event       TEXT NOT NULL,
    at          TIMESTAMPTZ NOT NULL,
    place       TEXT NOT NULL,
    note        TEXT NOT NULL,
    recorded_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX lg_events_manifest ON lg_events (manifest_id, at);

-- Something stuck longer than logistics.stuck_after: one alert per
-- subject and stage, closed when the subject moves on.
CREATE TABLE lg_alerts (
    id             TEXT PRIMARY KEY,
    subject        TEXT NOT NULL,
    manifest_id    TEXT NOT NULL,
    logistics_code TEXT NOT NULL,
    stage          TEXT NOT NULL,
    since          TIMESTAMPTZ NOT NULL,
    raised_at      TIMESTAMPTZ NOT NULL,
    resolved_at    TIMESTAMPTZ,
    detail         TEXT NOT NULL
);
CREATE UNIQUE INDEX lg_alerts_open ON lg_alerts (subject, stage);

-- Technical service providers: a client's authorisation of a provider to
-- transmit the listed message types on its behalf, between two dates.
CREATE TABLE tsp_authorisations (
    id            TEXT PRIMARY KEY,
    client_code   TEXT NOT NULL,
    provider_code TEXT NOT NULL,
    msg_types     TEXT NOT NULL, -- ",CEB311Message,CEB621Message,"
    valid_from    TIMESTAMPTZ NOT NULL,
    valid_until   TIMESTAMPTZ NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL,
    revoked_at    TIMESTAMPTZ
);
CREATE INDEX tsp_authorisations_provider ON tsp_authorisations (provider_code, client_code);

-- Which provider transmitted a stored message for which client (messages.sender
-- is the provider, the documents' sender the client).
CREATE TABLE tsp_messages (
    message_id    TEXT PRIMARY KEY,
    provider_code TEXT NOT NULL,
    client_code   TEXT NOT NULL,
    msg_type      TEXT NOT NULL,
    received_at   TIMESTAMPTZ NOT NULL
);
CREATE INDEX tsp_messages_provider ON tsp_messages (provider_code, received_at);

-- Every submission of a provider with its outcome, for the quality figures.
CREATE TABLE tsp_submissions (
    id            TEXT PRIMARY KEY,
    provider_code TEXT NOT NULL,
    msg_type      TEXT NOT NULL,
    http_status   INTEGER NOT NULL,
    documents     INTEGER NOT NULL,
    refused       INTEGER NOT NULL,
    latency_us    BIGINT NOT NULL,
    at            TIMESTAMPTZ NOT NULL
);
CREATE INDEX tsp_submissions_provider ON tsp_submissions (provider_code, at);

CREATE TABLE tsp_suspensions (
    provider_code TEXT PRIMARY KEY,
    reason        TEXT NOT NULL,
    suspended_at  TIMESTAMPTZ NOT NULL
);

-- The service response centre: tickets with their SLA deadlines and history.
CREATE TABLE sr_tickets (
    id                 TEXT PRIMARY KEY,
    enterprise_code    TEXT NOT NULL,
    subject            TEXT NOT NULL,
    priority           TEXT NOT NULL,
    link_kind          TEXT NOT NULL,
    link_ref           TEXT NOT NULL,
    reason_code        TEXT NOT NULL,
    status             TEXT NOT NULL,
    assignee           TEXT NOT NULL,
    escalation         INTEGER NOT NULL,
    created_at         TIMESTAMPTZ NOT NULL,
    updated_at         TIMESTAMPTZ NOT NULL,
    response_due       TIMESTAMPTZ NOT NULL,
    resolve_due        TIMESTAMPTZ NOT NULL,
    first_response_at  TIMESTAMPTZ,
    resolved_at        TIMESTAMPTZ
);
CREATE INDEX sr_tickets_enterprise ON sr_tickets (enterprise_code, created_at);
CREATE INDEX sr_tickets_status ON sr_tickets (status);

CREATE TABLE sr_ticket_events (
    id        TEXT PRIMARY KEY,
    ticket_id TEXT NOT NULL,
    at        TIMESTAMPTZ NOT NULL,
    actor     TEXT NOT NULL,
    kind      TEXT NOT NULL,
    body      TEXT NOT NULL
);
CREATE INDEX sr_ticket_events_ticket ON sr_ticket_events (ticket_id, at);

-- Incidents shown on the public status page.
CREATE TABLE sr_incidents (
    id          TEXT PRIMARY KEY,
    title       TEXT NOT NULL,
    body        TEXT NOT NULL,
    severity    TEXT NOT NULL,
    started_at  TIMESTAMPTZ NOT NULL,
    resolved_at TIMESTAMPTZ
);

-- +goose Down
DROP TABLE sr_incidents;
DROP TABLE sr_ticket_events;
DROP TABLE sr_tickets;
DROP TABLE tsp_suspensions;
DROP TABLE tsp_submissions;
DROP TABLE tsp_messages;
DROP TABLE tsp_authorisations;
DROP TABLE lg_alerts;
DROP TABLE lg_events;
DROP TABLE lg_parcels;
DROP TABLE lg_manifests;
