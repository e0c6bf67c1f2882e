-- Distill Lab's store: experiments, their runs (with a per-run summary so lists never scan
-- curves), curve points, and share links. Times are Unix milliseconds. Append-only: change the
-- schema with a new migration, never by editing this one.

CREATE TABLE experiments (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    dataset     TEXT NOT NULL,
    spec        TEXT NOT NULL,      -- resolved ExperimentSpec, JSON
    warnings    TEXT NOT NULL,      -- JSON array of strings
    chain       TEXT NOT NULL,      -- JSON array of stage labels, teacher first
    created_at  INTEGER NOT NULL
);
CREATE INDEX experiments_by_creation ON experiments (created_at DESC, id DESC);

CREATE TABLE runs (
    id                  TEXT PRIMARY KEY,
    experiment_id       TEXT NOT NULL REFERENCES experiments (id) ON DELETE CASCADE,
    ordinal             INTEGER NOT NULL,   -- training order within the experiment
    kind                TEXT NOT NULL,      -- stage | baseline
    stage_index         INTEGER NOT NULL,
    stage_name          TEXT NOT NULL,
    seed                INTEGER NOT NULL,
    teacher_run         TEXT,               -- a run of the same experiment
    status              TEXT NOT NULL,
    message             TEXT,
    architecture        TEXT NOT NULL,      -- resolved Architecture, JSON
    link                TEXT NOT NULL,      -- resolved LinkSpec, JSON
    params              INTEGER NOT NULL,
    epochs_total        INTEGER NOT NULL,
    epochs_done         INTEGER NOT NULL DEFAULT 0,
    best_test_accuracy  REAL,
    last_test_accuracy  REAL,
    last_train_loss     REAL,
    fingerprint         TEXT,               -- configuration hash, known once it starts
    model_dir           TEXT,               -- checkpoint directory holding model.bpk
    reused_from         TEXT,
    backend             TEXT,
    device              TEXT,
    report              TEXT,               -- RunReport, JSON, once succeeded
    queued_at           INTEGER NOT NULL,
    started_at          INTEGER,
    finished_at         INTEGER
);
CREATE INDEX runs_by_experiment ON runs (experiment_id, ordinal);
CREATE INDEX runs_by_status ON runs (status);
CREATE INDEX runs_by_fingerprint ON runs (fingerprint, status);

CREATE TABLE curve_points (
    run_id  TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    metric  TEXT NOT NULL,
    step    INTEGER NOT NULL,
    epoch   REAL NOT NULL,
    value   REAL NOT NULL,
    PRIMARY KEY (run_id, metric, step)
) WITHOUT ROWID;

CREATE TABLE shares (
    token          TEXT PRIMARY KEY,
    experiment_id  TEXT REFERENCES experiments (id) ON DELETE CASCADE,
    runs           TEXT,                -- JSON array of run ids, for a comparison
    created_at     INTEGER NOT NULL,
    revoked_at     INTEGER
);
