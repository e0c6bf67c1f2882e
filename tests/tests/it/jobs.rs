//! Background jobs of the real server: cancellation within a batch, failures that cancel the
//! runs depending on them, graceful shutdown, and recovery after `kill -9`.

use api::{RunCurves, RunStatus};
use distill_tests::{three_stage_chain, Server};
use serde_json::{json, Value};

/// Test accuracy per stored epoch of a run, in epoch order.
fn accuracy_curve(server: &Server, run: &str) -> Vec<(f64, f64)> {
    let curves: RunCurves = server
        .get(&format!(
            "/api/runs/{run}/curves?metrics=test_accuracy&max_points=1000"
        ))
        .parse();
    curves.curves[0]
        .points
        .iter()
        .map(|p| (p.epoch, p.value))
        .collect()
}

fn raw_points(server: &Server, run: &str, metric: &str) -> usize {
    let curves: RunCurves = server
        .get(&format!("/api/runs/{run}/curves?metrics={metric}"))
        .parse();
    curves.curves[0].raw_points
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
    let detail = server.detail(&id);
    assert_eq!(detail.summary.status, RunStatus::Cancelled);
    let teacher = &detail.runs[0];
    assert_eq!(teacher.status, RunStatus::Cancelled);
    assert!(teacher.epochs_done < 20, "it stopped early: {teacher:?}");
    assert!(teacher
        .message
        .as_deref()
        .unwrap()
        .starts_with("cancelled by request after"));
    for run in &detail.runs[1..] {
        assert_eq!(run.status, RunStatus::Cancelled, "{run:?}");
    }
}

#[test]
fn a_diverging_teacher_fails_with_its_reason_and_its_students_are_cancelled() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_in(dir.path(), &[]);
    let mut spec = two_stages(2);
    spec["budget"]["optimizer"] = json!({ "kind": "sgd", "lr": 1e30 });

    let detail = server.ended(&server.submit(&spec));

    assert_eq!(detail.summary.status, RunStatus::Failed);
    let (teacher, student) = (&detail.runs[0], &detail.runs[1]);
    assert_eq!(teacher.status, RunStatus::Failed);
    assert!(
        teacher
            .message
            .as_deref()
            .unwrap()
            .contains("the loss became"),
        "{teacher:?}"
    );
    assert_eq!(student.status, RunStatus::Cancelled);
    let reason = format!("cancelled because its teacher run {} failed", teacher.id);
    assert_eq!(student.message.as_deref(), Some(reason.as_str()));
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
    let detail = server.ended(&id);

    // Assert: it resumed (not restarted), and no finished epoch is missing or duplicated.
    assert_eq!(detail.summary.status, RunStatus::Succeeded, "{detail:?}");
    let run = &detail.runs[0];
    assert_eq!(run.status, RunStatus::Succeeded);
    assert!(
        run.message
            .as_deref()
            .unwrap()
            .starts_with("resumed from its checkpoint after epoch"),
        "{run:?}"
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
    assert_eq!(detail.runs[1].status, RunStatus::Succeeded);
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
    let detail = server.detail(&id);

    assert_eq!(detail.summary.status, RunStatus::Interrupted);
    let student = &detail.runs[1];
    assert_eq!(student.status, RunStatus::Interrupted);
    assert!(
        student
            .message
            .as_deref()
            .unwrap()
            .contains("model of its teacher run"),
        "{student:?}"
    );
    assert_eq!(
        accuracy_curve(&server, &student.id).len(),
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
    let paused = server.detail(&id);
    let message = paused.runs[0].message.clone().unwrap_or_default();
    assert!(
        message.starts_with("paused by a server shutdown") || message.starts_with("resumed"),
        "{message}"
    );
    let detail = server.ended(&id);
    assert_eq!(detail.summary.status, RunStatus::Succeeded);
    assert_eq!(accuracy_curve(&server, &detail.runs[0].id).len(), 3);
}
