-- Sweeps: a search over a base spec's last stage, tuned on validation. Each trial at each rung
-- is an experiment of the job system (one seed, that rung's epochs); the sweep's state is these
-- rows and those experiments' runs, so a restarted server resumes the schedule from them.
CREATE TABLE sweeps (
    id                  TEXT PRIMARY KEY,
    name                TEXT NOT NULL,
    spec                TEXT NOT NULL,      -- the SweepSpec as submitted
    status              TEXT NOT NULL,      -- searching | confirming | succeeded | failed | cancelled
    message             TEXT,
    winner              BIGINT,            -- the trial chosen on validation
    tuned_experiment    TEXT,               -- the confirmation of the winner
    default_experiment  TEXT,               -- the base configuration on the same seeds
    created_at          BIGINT NOT NULL,
    finished_at         BIGINT
);
CREATE INDEX sweeps_by_creation ON sweeps (created_at DESC, id DESC);

CREATE TABLE sweep_trials (
    sweep_id       TEXT NOT NULL REFERENCES sweeps (id) ON DELETE CASCADE,
    trial          BIGINT NOT NULL,
    rung           BIGINT NOT NULL,
    trial_values   TEXT NOT NULL,           -- JSON list, one value per tuned path
    epochs         BIGINT NOT NULL,
    experiment_id  TEXT NOT NULL,
    PRIMARY KEY (sweep_id, trial, rung)
);
CREATE INDEX sweep_trials_by_experiment ON sweep_trials (experiment_id);
