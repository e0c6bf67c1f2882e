-- Distill Lab's store on PostgreSQL, for many machines sharing one lab: the same tables and
-- columns as the SQLite schema (`migrations/sqlite`, all of its migrations applied), so every
-- statement of the store runs on both. Times are Unix milliseconds. Append-only.

CREATE TABLE experiments (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    dataset     TEXT NOT NULL,
    spec        TEXT NOT NULL,
    warnings    TEXT NOT NULL,
    chain       TEXT NOT NULL,
    created_at  BIGINT NOT NULL
);
CREATE INDEX experiments_by_creation ON experiments (created_at DESC, id DESC);

CREATE TABLE runs (
    id                      TEXT PRIMARY KEY,
    experiment_id           TEXT NOT NULL REFERENCES experiments (id) ON DELETE CASCADE,
    ordinal                 BIGINT NOT NULL,
    kind                    TEXT NOT NULL,
    stage_index             BIGINT NOT NULL,
    stage_name              TEXT NOT NULL,
    seed                    BIGINT NOT NULL,
    teacher_run             TEXT,
    status                  TEXT NOT NULL,
    message                 TEXT,
    architecture            TEXT NOT NULL,
    link                    TEXT NOT NULL,
    params                  BIGINT NOT NULL,
    epochs_total            BIGINT NOT NULL,
    epochs_done             BIGINT NOT NULL DEFAULT 0,
    best_test_accuracy      DOUBLE PRECISION,
    last_test_accuracy      DOUBLE PRECISION,
    last_train_loss         DOUBLE PRECISION,
    fingerprint             TEXT,
    model_dir               TEXT,
    reused_from             TEXT,
    backend                 TEXT,
    device                  TEXT,
    report                  TEXT,
    queued_at               BIGINT NOT NULL,
    started_at              BIGINT,
    finished_at             BIGINT,
    budget                  TEXT,
    from_run                TEXT,
    best_val_accuracy       DOUBLE PRECISION,
    val_best_test_accuracy  DOUBLE PRECISION,
    worker_id               TEXT,
    lease_expires_at        BIGINT,
    cancel_requested        BIGINT NOT NULL DEFAULT 0,
    worker_losses           BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX runs_by_experiment ON runs (experiment_id, ordinal);
CREATE INDEX runs_by_status ON runs (status);
CREATE INDEX runs_by_fingerprint ON runs (fingerprint, status);
CREATE INDEX runs_by_worker ON runs (worker_id, status);

CREATE TABLE curve_points (
    run_id  TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    metric  TEXT NOT NULL,
    step    BIGINT NOT NULL,
    epoch   DOUBLE PRECISION NOT NULL,
    value   DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (run_id, metric, step)
);

CREATE TABLE shares (
    token          TEXT PRIMARY KEY,
    experiment_id  TEXT REFERENCES experiments (id) ON DELETE CASCADE,
    runs           TEXT,
    created_at     BIGINT NOT NULL,
    revoked_at     BIGINT
);

CREATE TABLE api_tokens (
    id            TEXT PRIMARY KEY,
    name          TEXT NOT NULL,
    scope         TEXT NOT NULL,
    digest        TEXT NOT NULL UNIQUE,
    created_at    BIGINT NOT NULL,
    last_used_at  BIGINT,
    revoked_at    BIGINT
);

CREATE TABLE sessions (
    digest      TEXT PRIMARY KEY,
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL
);
CREATE INDEX sessions_by_expiry ON sessions (expires_at);

CREATE TABLE workers (
    id            TEXT PRIMARY KEY,
    host          TEXT NOT NULL,
    pid           BIGINT NOT NULL,
    backend       TEXT NOT NULL,
    device        TEXT NOT NULL,
    slots         BIGINT NOT NULL,
    busy          BIGINT NOT NULL,
    started_at    BIGINT NOT NULL,
    heartbeat_at  BIGINT NOT NULL,
    stopped_at    BIGINT
);
