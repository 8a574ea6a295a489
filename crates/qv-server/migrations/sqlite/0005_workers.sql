-- Live worker pools: each pool (of `qv serve` or `qv worker`) registers
-- here with the backends it runs and renews `heartbeat_at` with its job
-- leases; a backend is online while a pool that runs it has a fresh
-- heartbeat. A pool that stops cleanly deletes its row; a crashed one's
-- row goes stale and is pruned by the next pool to start.
CREATE TABLE workers (
    id            TEXT PRIMARY KEY,
    host          TEXT NOT NULL,
    backends      TEXT NOT NULL,   -- comma-separated backend names
    started_at    INTEGER NOT NULL,
    heartbeat_at  INTEGER NOT NULL
);
