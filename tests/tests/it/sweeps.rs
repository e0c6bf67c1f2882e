//! Sweeps on the real server: a search with successive halving chosen on validation and its
//! confirmation on paired seeds, bad sweeps refused with the path at fault and nothing queued,
//! and a sweep that survives `kill -9`.

use std::time::{Duration, Instant};

use api::{SweepCreated, SweepStatus, SweepView};
use distill_tests::{kd_pair, Server};
use serde_json::{json, Value};

/// A sweep of KD's temperature and CE weight for cnn-xs → mlp-xs on 600 synthetic images:
/// 4 trials, rungs of 1 and 2 epochs, confirmed on seeds 1 and 2.
fn small_sweep() -> Value {
    json!({
        "name": "small sweep",
        "base": kd_pair(2),
        "space": {
            "chain[1].link.terms[0].temperature": { "values": [1, 4] },
            "chain[1].link.ce_weight": { "uniform": [0.1, 0.9] }
        },
        "strategy": { "kind": "random", "trials": 4, "seed": 1 },
        "early_stopping": { "kind": "successive_halving", "min_epochs": 1, "eta": 2 },
        "confirm": { "seeds": [1, 2] }
    })
}

fn start(server: &Server, sweep: &Value) -> SweepCreated {
    let answer = server.post("/api/sweeps", sweep);
    assert_eq!(answer.status, 201, "{}", answer.text);
    answer.parse()
}

/// Polls the sweep until `done` says so (at most five minutes).
fn wait_for(server: &Server, id: &str, done: impl Fn(&SweepView) -> bool) -> SweepView {
    let deadline = Instant::now() + Duration::from_secs(300);
    loop {
        let view: SweepView = server.get(&format!("/api/sweeps/{id}")).parse();
        if done(&view) {
            return view;
        }
        assert!(
            Instant::now() < deadline,
            "the sweep did not get there: {view:?}"
        );
        std::thread::sleep(Duration::from_millis(300));
    }
}

#[test]
fn a_sweep_chooses_on_validation_and_confirms_the_winner_against_the_default_on_paired_seeds() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_in(dir.path(), &[]);

    let created = start(&server, &small_sweep());
    assert_eq!((created.trials, created.rungs.clone()), (4, vec![1, 2]));
    let sweep = wait_for(&server, &created.id, |v| v.status.is_terminal());

    assert_eq!(sweep.status, SweepStatus::Succeeded, "{sweep:?}");
    assert_eq!(sweep.trials.len(), 4);
    // Four results at rung 0 with eta 2: the best two go on (one as soon as two are in).
    let promoted: Vec<_> = sweep.trials.iter().filter(|t| t.rung == 1).collect();
    assert_eq!(promoted.len(), 2, "{sweep:?}");
    assert!(promoted
        .iter()
        .all(|t| t.epochs == 2 && t.val_accuracy.is_some()));
    let best = promoted
        .iter()
        .max_by(|a, b| a.val_accuracy.partial_cmp(&b.val_accuracy).unwrap())
        .unwrap();
    assert_eq!(
        sweep.winner,
        Some(best.index),
        "the winner is the best at the top rung"
    );
    let trials_json = serde_json::to_string(&sweep.trials).unwrap();
    assert!(
        !trials_json.contains("test"),
        "trials show validation only: {trials_json}"
    );

    let confirmation = sweep.confirmation.expect("a confirmation");
    assert!(confirmation.finished);
    let gain = confirmation.tuned_vs_default.expect("a paired gain");
    assert_eq!(gain.n, 2);
    assert!(gain.ci_low.unwrap() <= gain.mean && gain.mean <= gain.ci_high.unwrap());
    assert_eq!(confirmation.tuned_vs_baseline.expect("a gain over CE").n, 2);

    // The list shows the two confirmation experiments, not the trials.
    let page: Value = server.get("/api/experiments").parse();
    let names: Vec<&str> = page["experiments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");
    assert!(names
        .iter()
        .all(|n| n.contains("tuned") || n.contains("default")));
    let runs: Vec<api::RunListing> = server.get("/api/runs").parse();
    assert_eq!(runs.len(), 2 * 3 + 2 * 2, "the confirmation's runs only");
    assert!(runs
        .iter()
        .all(|r| r.experiment_name.contains("tuned") || r.experiment_name.contains("default")));
    let listed: Value = server.get("/api/sweeps").parse();
    assert_eq!(listed[0]["trials"], 4);

    // Shared: anyone with the link reads the sweep, and no run's curves through it.
    let link = server.post(&format!("/api/sweeps/{}/share", created.id), &Value::Null);
    assert_eq!(link.status, 201, "{}", link.text);
    let token = link.json["token"].as_str().unwrap();
    let shared = server.send_with("GET", &format!("/api/shared/{token}"), &[], b"");
    assert_eq!(shared.status, 200, "{}", shared.text);
    assert_eq!(shared.json["kind"], "sweep");
    let shared_sweep: SweepView = serde_json::from_value(shared.json["sweep"].clone()).unwrap();
    assert_eq!(shared_sweep.trials, sweep.trials);
    let run = &runs[0].run.id;
    let curves = server.send_with(
        "GET",
        &format!("/api/shared/{token}/runs/{run}/curves"),
        &[],
        b"",
    );
    assert_eq!(curves.status, 404, "{}", curves.text);
}

#[test]
fn bad_sweeps_are_refused_naming_the_path_and_nothing_is_queued() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_in(dir.path(), &[]);
    let cases: [(&str, Value, Value, &str); 6] = [
        (
            "space.chain[1].link.temprature",
            json!({ "chain[1].link.temprature": { "values": [2] } }),
            json!({ "kind": "grid" }),
            "has no field `temprature`",
        ),
        (
            "space.chain[1].link.terms[1].temperature",
            json!({ "chain[1].link.terms[1].temperature": { "values": [2] } }),
            json!({ "kind": "grid" }),
            "has 1 entry: no [1]",
        ),
        (
            "space.chain[1].link.terms[0].temperature",
            json!({ "chain[1].link.terms[0].temperature": { "uniform": [-1, 4] } }),
            json!({ "kind": "random", "trials": 3 }),
            "the value -1.0 is refused",
        ),
        (
            "space.chain[1].link.terms[0].method",
            json!({ "chain[1].link.terms[0].method": { "values": ["kd", "nope"] } }),
            json!({ "kind": "grid" }),
            "nope",
        ),
        (
            "strategy.trials",
            json!({ "chain[1].link.ce_weight": { "uniform": [0.1, 0.9] } }),
            json!({ "kind": "random", "trials": 5000 }),
            "5000",
        ),
        (
            "strategy",
            json!({ "chain[1].link.ce_weight": { "values": (1..=17).map(|i| i as f64 / 20.0).collect::<Vec<_>>() },
                 "chain[1].link.terms[0].weight": { "values": (1..=17).map(|i| i as f64 / 20.0).collect::<Vec<_>>() } }),
            json!({ "kind": "grid" }),
            "the grid has 289 trials",
        ),
    ];
    for (field, space, strategy, words) in cases {
        let mut sweep = small_sweep();
        sweep["space"] = space;
        sweep["strategy"] = strategy;
        let answer = server.post("/api/sweeps", &sweep);
        assert_eq!(answer.status, 422, "{field}: {}", answer.text);
        assert_eq!(answer.field(), field, "{}", answer.text);
        assert!(answer.text.contains(words), "{field}: {}", answer.text);
    }
    let sweeps: Value = server.get("/api/sweeps").parse();
    assert_eq!(sweeps, json!([]));
    let experiments: Value = server.get("/api/experiments").parse();
    assert_eq!(experiments["total"], 0);
}

#[test]
fn a_sweep_killed_mid_search_resumes_its_schedule_after_a_restart() {
    // Arrange: a sweep with a finished trial when the server is killed (SIGKILL).
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_in(dir.path(), &[]);
    let created = start(&server, &small_sweep());
    wait_for(&server, &created.id, |v| {
        v.trials.iter().any(|t| t.val_accuracy.is_some()) && v.trials.len() >= 2
    });
    server.kill_hard();

    // Act: start again on the same database and checkpoints.
    let server = Server::start_in(dir.path(), &[]);
    let sweep = wait_for(&server, &created.id, |v| v.status.is_terminal());

    // Assert: the schedule went on to the end, each trial at each rung queued once.
    assert_eq!(sweep.status, SweepStatus::Succeeded, "{sweep:?}");
    assert_eq!(sweep.trials.len(), 4);
    assert_eq!(sweep.trials.iter().filter(|t| t.rung == 1).count(), 2);
    assert!(sweep.confirmation.unwrap().tuned_vs_default.is_some());
}

#[test]
fn a_cancelled_sweep_stops_its_trials_and_a_deleted_one_is_gone() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_in(dir.path(), &[]);
    let created = start(&server, &small_sweep());

    let answer = server.post(&format!("/api/sweeps/{}/cancel", created.id), &Value::Null);
    assert_eq!(answer.status, 202, "{}", answer.text);
    let sweep = wait_for(&server, &created.id, |v| {
        v.trials
            .iter()
            .all(|t| matches!(t.status.as_str(), "cancelled" | "succeeded"))
    });
    assert_eq!(sweep.status, SweepStatus::Cancelled);
    let again = server.post(&format!("/api/sweeps/{}/cancel", created.id), &Value::Null);
    assert_eq!(again.status, 409, "{}", again.text);

    assert_eq!(
        server.delete(&format!("/api/sweeps/{}", created.id)).status,
        204
    );
    assert_eq!(
        server.get(&format!("/api/sweeps/{}", created.id)).status,
        404
    );
    let experiments: Value = server.get("/api/experiments").parse();
    assert_eq!(experiments["total"], 0);
}
