-- Many workers: a run being trained is held by a worker under a lease that the worker's
-- heartbeat renews; a run whose lease lapses (its worker died) goes back to the queue. Cancel
-- requests travel through the database, so they reach a run on any machine.
ALTER TABLE runs ADD COLUMN worker_id TEXT;                          -- who holds (or last held) it
ALTER TABLE runs ADD COLUMN lease_expires_at INTEGER;                -- while running
ALTER TABLE runs ADD COLUMN cancel_requested INTEGER NOT NULL DEFAULT 0;
ALTER TABLE runs ADD COLUMN worker_losses INTEGER NOT NULL DEFAULT 0; -- times its worker was lost
CREATE INDEX runs_by_worker ON runs (worker_id, status);

CREATE TABLE workers (
    id            TEXT PRIMARY KEY,
    host          TEXT NOT NULL,
    pid           INTEGER NOT NULL,
    backend       TEXT NOT NULL,
    device        TEXT NOT NULL,
    slots         INTEGER NOT NULL,
    busy          INTEGER NOT NULL,
    started_at    INTEGER NOT NULL,
    heartbeat_at  INTEGER NOT NULL,
    stopped_at    INTEGER
);
