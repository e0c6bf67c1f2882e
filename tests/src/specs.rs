//! Experiment specs the tests submit: small, on the built-in synthetic set, quick on 2 cores.

use serde_json::{json, Value};

/// Teacher `cnn-s` → TA `cnn-xs` (KD) → student `mlp-xs` (DKD), with a CE baseline, on
/// `train` synthetic training images, for `epochs` epochs.
pub fn three_stage_chain(epochs: usize, train: usize) -> Value {
    json!({
        "name": "three-stage test chain",
        "dataset": { "name": "synthetic", "train_subset": train, "test_subset": 500 },
        "budget": { "epochs": epochs, "batch_size": 64 },
        "baseline": true,
        "chain": [
            { "name": "teacher", "architecture": { "kind": "preset", "name": "cnn-s" } },
            { "name": "ta", "architecture": { "kind": "preset", "name": "cnn-xs" },
              "link": { "terms": [ { "method": "kd" } ] } },
            { "name": "student", "architecture": { "kind": "preset", "name": "mlp-xs" },
              "link": { "terms": [ { "method": "dkd", "warmup_epochs": 1 } ] } }
        ]
    })
}

/// Teacher `cnn-xs` → student `mlp-xs` by KD with its defaults, on 600 synthetic training
/// images (200 test), for `epochs` epochs: the base of the sweep tests, seconds per trial.
pub fn kd_pair(epochs: usize) -> Value {
    json!({
        "dataset": { "name": "synthetic", "train_subset": 600, "test_subset": 200 },
        "budget": { "epochs": epochs, "batch_size": 64 },
        "chain": [
            { "name": "teacher", "architecture": { "kind": "preset", "name": "cnn-xs" } },
            { "name": "student", "architecture": { "kind": "preset", "name": "mlp-xs" },
              "link": { "terms": [ { "method": "kd" } ] } }
        ]
    })
}
