//! Stages as a researcher composes them, through the real server and the real CLI: a teacher
//! with its own (longer) budget, a first stage taken from an earlier succeeded run and
//! evaluated again, a validation split, logit-standardised KD and DIST — and every bad value
//! refused with the field it names.

use api::{ExperimentDetail, RunCurves, RunListing, RunStatus};
use distill_tests::{distill_run_on_cpu, stderr, Server};
use serde_json::{json, Value};

/// A teacher-only experiment on the synthetic set, trained for `epochs`.
fn teacher_only(epochs: usize) -> Value {
    json!({
        "name": "a teacher to reuse",
        "dataset": {"name": "synthetic", "train_subset": 600, "test_subset": 200},
        "budget": {"epochs": epochs, "batch_size": 64},
        "chain": [{"name": "teacher", "architecture": {"kind": "preset", "name": "cnn-s"}}]
    })
}

/// A student of the run `teacher`, taught by logit-standardised KD and DIST, two seeds, with a
/// baseline.
fn student_of(teacher: &str) -> Value {
    json!({
        "name": "students of an earlier teacher",
        "dataset": {"name": "synthetic", "train_subset": 600, "test_subset": 200, "validation": 100},
        "budget": {"epochs": 1, "batch_size": 64},
        "seeds": [3, 4],
        "baseline": true,
        "chain": [
            {"from_run": teacher},
            {"name": "student", "architecture": {"kind": "preset", "name": "cnn-xs"},
             "link": {"terms": [{"method": "kd", "temperature": 2, "logit_standardization": true},
                                {"method": "dist"}]}}
        ]
    })
}

/// Trains the teacher-only experiment; returns its detail and its run's id.
fn trained_teacher(server: &Server) -> (ExperimentDetail, String) {
    let detail = server.ended(&server.submit(&teacher_only(2)));
    assert_eq!(detail.summary.status, RunStatus::Succeeded, "{detail:?}");
    let run = detail.runs[0].id.clone();
    (detail, run)
}

#[test]
fn a_first_stage_taken_from_an_earlier_run_is_evaluated_again_and_teaches_every_seed() {
    // Arrange
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_in(dir.path(), &["--workers", "2"]);
    let (source, teacher) = trained_teacher(&server);
    let listed: Vec<RunListing> = server
        .get("/api/runs?status=succeeded&dataset=synthetic")
        .parse();
    assert_eq!(listed[0].run.id, teacher, "the composer's picker lists it");

    // Act
    let detail = server.ended(&server.submit(&student_of(&teacher)));

    // Assert: one shared first stage (not retrained), two students and two baselines.
    assert_eq!(detail.summary.status, RunStatus::Succeeded, "{detail:?}");
    let all = &detail.runs;
    assert_eq!(all.len(), 5, "{all:?}");
    let first = &all[0];
    assert_eq!(
        first.epochs_total, 0,
        "a model taken from a run trains no epoch"
    );
    assert!(first.measurements.as_ref().unwrap().top1() > 0.1);
    assert_eq!(
        detail.spec.chain[0].architecture, source.spec.chain[0].architecture,
        "the stage's architecture is the run's"
    );
    let students: Vec<_> = all.iter().filter(|r| r.stage_name == "student").collect();
    assert!(students
        .iter()
        .all(|s| s.teacher_run.as_ref() == Some(&first.id)));
    let curves: RunCurves = server
        .get(&format!("/api/runs/{}/curves", students[0].id))
        .parse();
    for metric in ["loss.kd", "loss.dist", "loss.dist.weighted", "val_accuracy"] {
        assert!(
            curves.available.iter().any(|m| m == metric),
            "{metric} missing: {:?}",
            curves.available
        );
    }
    let gain = detail.summary.gain.expect("students and baselines");
    assert_eq!(gain.n, 2, "two seeds, paired");
    assert!(gain.ci_low.is_some() && gain.ci_high.is_some(), "{gain:?}");
}

#[test]
fn a_teacher_with_its_own_budget_trains_longer_than_its_student() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_in(dir.path(), &[]);
    let mut spec = student_of("unused");
    spec["chain"][0] = json!({"name": "teacher", "architecture": {"kind": "preset", "name": "cnn-s"},
                              "budget": {"epochs": 3, "batch_size": 64}});
    spec["seeds"] = json!([0]);
    let detail = server.ended(&server.submit(&spec));
    let epochs: Vec<(&str, usize)> = detail
        .runs
        .iter()
        .map(|r| (r.stage_name.as_str(), r.epochs_done))
        .collect();
    assert_eq!(epochs, [("teacher", 3), ("student", 1), ("baseline", 1)]);
    assert_eq!(
        detail.spec.chain[1].budget.as_ref().map(|b| b.epochs),
        Some(1),
        "resolved and stored"
    );
}

#[test]
fn bad_stages_are_refused_with_the_field_they_name() {
    // Arrange: one finished run to point at, and one that never ran.
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_in(dir.path(), &["--workers", "0"]);
    let queued = server.submit(&teacher_only(1));
    let queued_run = server.detail(&queued).runs[0].id.clone();
    let refuse = |spec: Value, field: &str, says: &str| {
        let r = server.post("/api/experiments", &spec);
        assert_eq!(r.status, 422, "{}", r.text);
        assert_eq!(r.field(), field, "{}", r.text);
        let message = r.json["error"]["message"].as_str().unwrap();
        assert!(message.contains(says), "{message}");
    };

    // Act + Assert
    refuse(
        student_of("0123456789abcdef"),
        "chain[0].from_run",
        "no run",
    );
    refuse(student_of(&queued_run), "chain[0].from_run", "queued");
    let mut late = student_of("0123456789abcdef");
    late["chain"][1]["from_run"] = json!(queued_run);
    late["chain"][0] = json!({"architecture": {"kind": "preset", "name": "cnn-s"}});
    refuse(late, "chain[1].from_run", "only the first stage");
    let mut budget = teacher_only(1);
    budget["chain"][0]["budget"] = json!({"epochs": 0});
    refuse(budget, "chain[0].budget.epochs", "from 1 to 100000");
    let mut validation = teacher_only(1);
    validation["dataset"]["validation"] = json!(301);
    refuse(validation, "dataset.validation", "at most half");
    let mut dist = student_of("x");
    dist["chain"][0] = json!({"architecture": {"kind": "preset", "name": "cnn-s"}});
    dist["chain"][1]["link"]["terms"][1]["beta"] = json!(-1);
    refuse(dist, "chain[1].link.terms[1].beta", "≥ 0");
    let mut no_model = teacher_only(1);
    no_model["chain"][0] = json!({"name": "teacher"});
    refuse(no_model, "chain[0].architecture", "needs an architecture");
    assert!(
        !server.logs().contains("internal error"),
        "{}",
        server.logs()
    );
}

#[test]
fn distill_run_takes_a_first_stage_from_a_run_of_the_labs_database() {
    // Arrange: a teacher trained by the server, in its database.
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_in(dir.path(), &[]);
    let (_, teacher) = trained_teacher(&server);
    let db = format!("sqlite:{}", dir.path().join("distill.db").display());
    let spec = dir.path().join("students.json");
    let mut students = student_of(&teacher);
    students["seeds"] = json!([0]);
    std::fs::write(&spec, students.to_string()).unwrap();

    // Act
    let out = dir.path().join("out");
    let output = distill_run_on_cpu(&spec, &out, &["--db", &db, "--json"]);

    // Assert
    assert!(output.status.success(), "{}", stderr(&output));
    let report: api::ExperimentReport = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(
        report.runs[0].imported_from.as_deref(),
        Some(teacher.as_str())
    );
    assert!(report.runs[0].epochs.is_empty());
    assert_eq!(
        report.runs[1].teacher_run.as_deref(),
        Some(report.runs[0].id.as_str())
    );
    let table = stderr(&output);
    assert!(table.contains("1 seed: no interval"), "{table}");

    // A run id the lab does not have is refused, naming the field.
    std::fs::write(&spec, student_of("0123456789abcdef").to_string()).unwrap();
    let refused = distill_run_on_cpu(&spec, &out, &["--db", &db]);
    assert!(!refused.status.success());
    assert!(
        stderr(&refused).contains("chain[0].from_run"),
        "{}",
        stderr(&refused)
    );
    drop(server);
}
