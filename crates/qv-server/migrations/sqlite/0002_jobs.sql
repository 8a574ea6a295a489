-- Jobs (the seed's quantum_jobs), the durable queue, job events and usage.
CREATE TABLE jobs (
    id                TEXT PRIMARY KEY,
    user_id           TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name              TEXT,
    tags              TEXT NOT NULL DEFAULT '[]',   -- JSON array of strings
    algorithm_type    TEXT NOT NULL DEFAULT 'circuit',
    status            TEXT NOT NULL,
    priority          INTEGER NOT NULL DEFAULT 0,
    backend           TEXT NOT NULL,                -- as requested (`auto`, ...)
    backend_used      TEXT,                         -- what ran it
    backend_version   TEXT,
    num_qubits        INTEGER NOT NULL,
    shots             INTEGER NOT NULL,
    spec              TEXT NOT NULL,                -- JSON: program and options
    result            TEXT,                         -- JSON, when COMPLETED
    error             TEXT,                         -- when FAILED (or why CANCELLED)
    idempotency_key   TEXT,
    created_at        INTEGER NOT NULL,
    started_at        INTEGER,
    ended_at          INTEGER,
    execution_ms      INTEGER,
    lease_owner       TEXT,                         -- worker holding the claim
    lease_expires_at  INTEGER,
    fence             INTEGER NOT NULL DEFAULT 0,   -- bumped at every claim
    attempts          INTEGER NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX jobs_idempotency ON jobs(user_id, idempotency_key) WHERE idempotency_key IS NOT NULL;
-- Claim order: highest priority, then oldest (fair share ranks users among these).
CREATE INDEX jobs_queue ON jobs(status, priority DESC, created_at, id);
-- Listing newest first, per user and (admin) overall; the cursor is (created_at, id).
CREATE INDEX jobs_user_created ON jobs(user_id, created_at DESC, id DESC);
CREATE INDEX jobs_created ON jobs(created_at DESC, id DESC);
-- Heartbeats (by owner) and recovery of expired leases.
CREATE INDEX jobs_lease_owner ON jobs(lease_owner) WHERE lease_owner IS NOT NULL;
CREATE INDEX jobs_lease ON jobs(status, lease_expires_at);

CREATE TABLE job_events (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    job_id     TEXT NOT NULL,
    user_id    TEXT NOT NULL,
    status     TEXT NOT NULL,
    message    TEXT,
    at         INTEGER NOT NULL
);
CREATE INDEX job_events_job ON job_events(job_id, seq);

CREATE TABLE usage_records (
    id                 TEXT PRIMARY KEY,
    user_id            TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    job_id             TEXT NOT NULL,
    backend            TEXT NOT NULL,
    shots              INTEGER NOT NULL,
    simulated_seconds  DOUBLE PRECISION NOT NULL,
    at                 INTEGER NOT NULL
);
CREATE INDEX usage_records_user_at ON usage_records(user_id, at);
