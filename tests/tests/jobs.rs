//! Background jobs of the real server: cancellation within a batch, failures that cancel the
//! runs depending on them, graceful shutdown, and recovery after `kill -9`.

use distill_tests::{three_stage_chain, Server};
use serde_json::{json, Value};

fn runs(detail: &Value) -> Vec<Value> {
    detail["runs"].as_array().unwrap().clone()
}

/// Test accuracy per stored epoch of a run, in epoch order.
fn accuracy_curve(server: &Server, run: &str) -> Vec<(f64, f64)> {
    let curves = server.get(&format!(
        "/api/runs/{run}/curves?metrics=test_accuracy&max_points=1000"
    ));
    curves.json["curves"][0]["points"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["epoch"].as_f64().unwrap(), p["value"].as_f64().unwrap()))
        .collect()
}

fn raw_points(server: &Server, run: &str, metric: &str) -> u64 {
    let curves = server.get(&format!("/api/runs/{run}/curves?metrics={metric}"));
    curves.json["curves"][0]["raw_points"].as_u64().unwrap()
}

/// A teacher (cnn-s) and a student (cnn-xs), `epochs` epochs on 3,000 images: seconds per
/// epoch on 2 cores, slow enough to interrupt between epochs.
fn two_stages(epochs: usize) -> Value {
    let mut spec = three_stage_chain(epochs, 3000);
    spec["baseline"] = false.into();
    spec["chain"] = json!([
        { "name": "teacher", "architecture": { "kind": "preset", "name": "cnn-s" } },
        { "name": "student", "architecture": { "kind": "preset", "name": "cnn-xs" },
          "link": { "terms": [ { "method": "kd" } ] } }
    ]);
    spec
}

#[test]
fn cancelling_stops_the_running_run_within_a_batch_and_cancels_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_in(dir.path(), &[]);
    let id = server.submit(&three_stage_chain(20, 3000));

    // Cancel as soon as the teacher reports progress.
    let mut cancelled = false;
    let events = server.follow(&id, |e| {
        if e.name == "progress" && !cancelled {
            let answer = server.post(&format!("/api/experiments/{id}/cancel"), &Value::Null);
            assert_eq!(answer.status, 202, "{}", answer.text);
            cancelled = true;
        }
        e.name != "end"
    });

    assert_eq!(events.last().unwrap().data["status"], "cancelled");
    let detail = server.get(&format!("/api/experiments/{id}")).json;
    assert_eq!(detail["summary"]["status"], "cancelled");
    let teacher = &runs(&detail)[0];
    assert_eq!(teacher["status"], "cancelled");
    assert!(
        teacher["epochs_done"].as_u64().unwrap() < 20,
        "it stopped early: {teacher}"
    );
    assert!(teacher["message"]
        .as_str()
        .unwrap()
        .starts_with("cancelled by request after"));
    for run in &runs(&detail)[1..] {
        assert_eq!(run["status"], "cancelled", "{run}");
    }
}

#[test]
fn a_diverging_teacher_fails_with_its_reason_and_its_students_are_cancelled() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_in(dir.path(), &[]);
    let mut spec = two_stages(2);
    spec["budget"]["optimizer"] = json!({ "kind": "sgd", "lr": 1e30 });

    let detail = server.wait_until_ended(&server.submit(&spec));

    assert_eq!(detail["summary"]["status"], "failed");
    let (teacher, student) = (&runs(&detail)[0], &runs(&detail)[1]);
    assert_eq!(teacher["status"], "failed");
    assert!(
        teacher["message"]
            .as_str()
            .unwrap()
            .contains("the loss became"),
        "{teacher}"
    );
    assert_eq!(student["status"], "cancelled");
    let reason = format!(
        "cancelled because its teacher run {} failed",
        teacher["id"].as_str().unwrap()
    );
    assert_eq!(student["message"], reason.as_str());
}

#[test]
fn a_server_killed_mid_training_resumes_the_run_and_keeps_every_finished_epoch() {
    // Arrange: a run that finished its first epoch when the server is killed (SIGKILL).
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_in(dir.path(), &[]);
    let id = server.submit(&two_stages(3));
    let events = server.follow(&id, |e| e.name != "epoch");
    let first_epoch = &events.last().unwrap().data;
    let teacher = first_epoch["run_id"].as_str().unwrap().to_string();
    let accuracy_before = first_epoch["metrics"]["test_accuracy"].as_f64().unwrap();
    let batches_per_epoch = raw_points(&server, &teacher, "batch_loss");
    server.kill_hard();

    // Act: start again on the same database and checkpoints.
    let server = Server::start_in(dir.path(), &[]);
    let detail = server.wait_until_ended(&id);

    // Assert: it resumed (not restarted), and no finished epoch is missing or duplicated.
    assert_eq!(detail["summary"]["status"], "succeeded", "{detail}");
    let run = &runs(&detail)[0];
    assert_eq!(run["status"], "succeeded");
    assert!(
        run["message"]
            .as_str()
            .unwrap()
            .starts_with("resumed from its checkpoint after epoch"),
        "{run}"
    );
    let curve = accuracy_curve(&server, &teacher);
    assert_eq!(
        curve.iter().map(|p| p.0).collect::<Vec<_>>(),
        [1.0, 2.0, 3.0]
    );
    assert_eq!(
        curve[0].1, accuracy_before,
        "epoch 1 is the one stored before the crash"
    );
    assert_eq!(
        raw_points(&server, &teacher, "batch_loss"),
        3 * batches_per_epoch
    );
    assert_eq!(runs(&detail)[1]["status"], "succeeded");
}

#[test]
fn a_run_whose_teacher_model_vanished_during_a_crash_is_interrupted_not_lost() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_in(dir.path(), &[]);
    let id = server.submit(&two_stages(3));
    let mut teacher = String::new();
    server.follow(&id, |e| {
        if e.name == "run" && e.data["run"]["stage_name"] == "teacher" {
            teacher = e.data["run"]["id"].as_str().unwrap().to_string();
        }
        !(e.name == "epoch" && e.data["run_id"] != teacher.as_str())
    });
    server_checkpoints_of(&server, &teacher)
        .into_iter()
        .for_each(|d| std::fs::remove_dir_all(d).unwrap());
    server.kill_hard();

    let server = Server::start_in(dir.path(), &[]);
    let detail = server.get(&format!("/api/experiments/{id}")).json;

    assert_eq!(detail["summary"]["status"], "interrupted");
    let student = &runs(&detail)[1];
    assert_eq!(student["status"], "interrupted");
    assert!(
        student["message"]
            .as_str()
            .unwrap()
            .contains("model of its teacher run"),
        "{student}"
    );
    assert_eq!(
        accuracy_curve(&server, student["id"].as_str().unwrap()).len(),
        1,
        "its finished epoch is kept"
    );
}

fn server_checkpoints_of(server: &Server, run: &str) -> Vec<std::path::PathBuf> {
    std::fs::read_dir(server.dir().join("checkpoints"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.file_name().unwrap().to_string_lossy().starts_with(run))
        .collect()
}

#[test]
fn a_graceful_shutdown_pauses_the_running_run_which_resumes_on_the_next_start() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_in(dir.path(), &[]);
    let id = server.submit(&two_stages(3));
    server.follow(&id, |e| e.name != "epoch");

    assert!(server.stop(), "the server exits cleanly on SIGTERM");

    let server = Server::start_in(dir.path(), &[]);
    let paused = server.get(&format!("/api/experiments/{id}")).json;
    let message = runs(&paused)[0]["message"]
        .as_str()
        .unwrap_or("")
        .to_string();
    assert!(
        message.starts_with("paused by a server shutdown") || message.starts_with("resumed"),
        "{message}"
    );
    let detail = server.wait_until_ended(&id);
    assert_eq!(detail["summary"]["status"], "succeeded");
    assert_eq!(
        accuracy_curve(&server, runs(&detail)[0]["id"].as_str().unwrap()).len(),
        3
    );
}
