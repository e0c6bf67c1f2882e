//! A user's journey through the REST API of the real `distill serve`: submit a 3-stage chain
//! with a baseline, watch it live over SSE, read curves, compare, export, share.

use api::{
    Comparison, ExperimentDetail, ExperimentExport, ExperimentPage, RunCurves, RunKind, RunStatus,
    RunSummary, ShareLink, SharedView,
};
use distill_tests::{three_stage_chain, Server};
use serde_json::Value;

/// The run of `detail` at stage `stage` (its first seed).
fn run<'a>(detail: &'a ExperimentDetail, stage: &str) -> &'a RunSummary {
    detail
        .runs
        .iter()
        .find(|r| r.stage_name == stage)
        .unwrap_or_else(|| panic!("no {stage} run"))
}

#[test]
fn a_three_stage_chain_is_trained_watched_compared_exported_and_shared() {
    // Arrange
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_in(dir.path(), &["--workers", "2"]);

    // Act: submit and follow the events until the end.
    let submitted = server.post("/api/experiments", &three_stage_chain(2, 1500));
    assert_eq!(submitted.status, 201, "{}", submitted.text);
    let submitted: ExperimentDetail = submitted.parse();
    let id = submitted.summary.id.clone();
    assert_eq!(
        submitted.runs.len(),
        4,
        "teacher, TA, student and the baseline"
    );
    let events = server.follow(&id, |e| e.name != "end");

    // Assert: the stream opened with a snapshot, carried progress, epochs and status changes,
    // and ended with success.
    let names: Vec<&str> = events.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(names.first(), Some(&"snapshot"));
    assert_eq!(names.last(), Some(&"end"));
    assert_eq!(events.last().unwrap().data["status"], "succeeded");
    assert!(names.contains(&"progress"), "{names:?}");
    assert_eq!(
        names.iter().filter(|n| **n == "epoch").count(),
        8,
        "4 runs × 2 epochs"
    );
    let epochs: Vec<&Value> = events
        .iter()
        .filter(|e| e.name == "epoch")
        .map(|e| &e.data)
        .collect();
    assert!(events
        .iter()
        .any(|e| e.name == "run" && e.data["run"]["status"] == "running"));

    // The experiment and every run succeeded, with measurements and per-model summaries.
    let detail = server.detail(&id);
    assert_eq!(detail.summary.status, RunStatus::Succeeded);
    for run in &detail.runs {
        assert_eq!(
            (run.status, run.epochs_done),
            (RunStatus::Succeeded, 2),
            "{run:?}"
        );
        let m = run
            .measurements
            .as_ref()
            .expect("a succeeded run is measured");
        assert!(m.top1() > 0.1 && m.top1_last > 0.1, "{run:?}");
        assert_eq!(
            run.val_best_test_accuracy, m.top1_val_best,
            "the live summary and the report agree on the reported epoch"
        );
        assert!(m.params > 0 && m.latency_p50_ms > 0.0);
        let last_epoch_streamed = epochs
            .iter()
            .rfind(|e| e["run_id"] == run.id.as_str())
            .expect("every run streamed its epochs");
        assert_eq!(
            last_epoch_streamed["metrics"]["test_accuracy"].as_f64(),
            Some(m.top1_last),
            "the stream carried the numbers that were stored"
        );
    }
    assert_eq!(detail.models.len(), 4);
    let gain = detail
        .summary
        .gain
        .clone()
        .expect("a student and a baseline");
    assert_eq!(gain.n, 1, "one seed");
    assert_eq!(gain.ci_low, None, "one seed has no interval");
    let student_model = detail.models.iter().find(|m| m.label == "student").unwrap();
    assert_eq!(
        student_model.gain_val_best.as_ref().map(|g| g.mean),
        Some(gain.mean),
        "the list and the per-model results compute the gain the same way"
    );
    let teacher = run(&detail, "teacher").id.clone();
    let student = run(&detail, "student").id.clone();
    let baseline = run(&detail, "baseline").id.clone();
    assert_eq!(detail.runs[1].teacher_run.as_ref(), Some(&teacher));

    // Curves: every loss term, accuracy and lr, downsampled with the final point kept.
    let curves: RunCurves = server
        .get(&format!("/api/runs/{student}/curves?max_points=10"))
        .parse();
    for metric in [
        "batch_loss",
        "loss.ce",
        "loss.dkd_tckd",
        "loss.dkd_nckd.weighted",
        "test_accuracy",
        "val_accuracy",
        "val_loss",
        "lr",
    ] {
        assert!(
            curves.available.iter().any(|m| m == metric),
            "{metric} missing from {:?}",
            curves.available
        );
    }
    let batch_loss = curves
        .curves
        .iter()
        .find(|c| c.metric == "batch_loss")
        .unwrap();
    assert!(batch_loss.points.len() <= 10 && batch_loss.raw_points > 10);
    assert_eq!(
        batch_loss.points.last().unwrap().epoch,
        2.0,
        "the final point is kept"
    );
    let accuracy: RunCurves = server
        .get(&format!("/api/runs/{student}/curves?metrics=test_accuracy"))
        .parse();
    assert_eq!(accuracy.curves[0].points.len(), 2, "one point per epoch");

    // Compare: the student against its baseline and teacher, on the same buckets.
    let compared: Comparison = server
        .get(&format!(
            "/api/compare?runs={student},{baseline},{teacher}&metrics=test_accuracy"
        ))
        .parse();
    let rows = &compared.rows;
    assert_eq!(rows.len(), 3);
    let top1 = |i: usize| rows[i].run.measurements.as_ref().unwrap().top1();
    let expected = top1(0) - top1(1);
    assert!((rows[0].delta_vs_baseline.unwrap() - expected).abs() < 1e-12);
    assert_eq!(rows[2].delta_vs_teacher, Some(0.0));
    assert_eq!(
        compared.models.len(),
        3,
        "student, baseline and teacher are three models"
    );
    let student_over_baseline = compared
        .gains
        .iter()
        .find(|g| (g.model, g.over) == (0, 1))
        .unwrap();
    assert_eq!(student_over_baseline.gain.n, 1);
    assert!((student_over_baseline.gain.mean - expected).abs() < 1e-12);
    assert!(rows.iter().any(|r| r.pareto_latency));
    assert_eq!(compared.curves[0].curves[0].metric, "test_accuracy");

    // Export: CSV with one line per stored point, JSON with everything.
    let csv = server.get(&format!("/api/experiments/{id}/export?format=csv"));
    assert_eq!(csv.status, 200);
    assert!(csv.content_type.starts_with("text/csv"));
    assert!(csv
        .text
        .starts_with("experiment_id,run_id,stage,kind,seed,metric,step,epoch,value\n"));
    assert!(csv
        .text
        .contains(&format!("{id},{student},student,stage,0,loss.dkd_nckd,")));
    let json: ExperimentExport = server
        .get(&format!("/api/experiments/{id}/export?format=json"))
        .parse();
    assert_eq!(json.experiment.summary.id, id);
    let exported: usize = json.curves.iter().map(|c| c.points.len()).sum();
    assert_eq!(exported, csv.text.lines().count() - 1);

    // The trained model downloads.
    let model = server.get(&format!("/api/runs/{student}/model"));
    assert_eq!(model.status, 200);
    assert_eq!(model.content_type, "application/octet-stream");
    assert!(
        model.bytes.len() > 20_000,
        "mlp-xs has 25,450 float parameters: {}",
        model.bytes.len()
    );

    // Share: create, open read-only, revoke, and it stops working.
    let link = server.post(&format!("/api/experiments/{id}/share"), &Value::Null);
    assert_eq!(link.status, 201, "{}", link.text);
    let link: ShareLink = link.parse();
    let token = link.token.clone();
    assert_eq!(token.len(), 32);
    assert_eq!(link.path, format!("/s/{token}"));
    let shared = server.get(&format!("/api/shared/{token}"));
    assert_eq!(shared.status, 200);
    match shared.parse() {
        SharedView::Experiment { experiment } => assert_eq!(experiment.summary.id, id),
        other => panic!("an experiment link opened {other:?}"),
    }
    assert_eq!(
        server
            .post(&format!("/api/shared/{token}/cancel"), &Value::Null)
            .status,
        404
    );
    assert_eq!(server.delete(&format!("/api/shared/{token}")).status, 405);
    let comparison = server.post(
        "/api/shares",
        &serde_json::json!({ "runs": [student, baseline] }),
    );
    assert_eq!(comparison.status, 201);
    let comparison_token = comparison.parse::<ShareLink>().token;
    match server
        .get(&format!("/api/shared/{comparison_token}"))
        .parse()
    {
        SharedView::Comparison { comparison } => assert_eq!(comparison.rows.len(), 2),
        other => panic!("a comparison link opened {other:?}"),
    }
    assert_eq!(server.delete(&format!("/api/shares/{token}")).status, 204);
    let revoked = server.get(&format!("/api/shared/{token}"));
    assert_eq!((revoked.status, revoked.code()), (410, "revoked"));

    // A late subscriber to the finished experiment gets its state, then the end.
    let late: Vec<String> = server
        .follow(&id, |_| true)
        .into_iter()
        .map(|e| e.name)
        .collect();
    assert_eq!(late, ["snapshot", "end"]);
}

#[test]
fn a_finished_teacher_and_baseline_are_reused_by_an_identical_experiment_and_the_api_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_in(dir.path(), &[]);
    let spec = three_stage_chain(1, 600);
    let first = server.ended(&server.submit(&spec));
    let second = server.ended(&server.submit(&spec));

    let (old, new) = (&first.runs, &second.runs);
    for i in 0..2 {
        assert_eq!(new[i].status, RunStatus::Succeeded);
        assert_eq!(
            new[i].reused_from.as_ref(),
            Some(&old[i].id),
            "{:?}",
            new[i]
        );
        assert!(new[i].message.as_deref().unwrap().starts_with("reused"));
        assert_eq!(new[i].measurements, old[i].measurements);
    }
    assert_eq!(new[2].reused_from, None, "the student is trained again");
    assert_eq!(new[3].kind, RunKind::Baseline);
    assert_eq!(
        new[3].reused_from.as_ref(),
        Some(&old[3].id),
        "the CE-only baseline of the same model, data and seed is reused"
    );
    let curves: RunCurves = server
        .get(&format!(
            "/api/runs/{}/curves?metrics=test_accuracy",
            new[0].id
        ))
        .parse();
    assert_eq!(curves.curves[0].points.len(), 1);

    // The list finds the experiments that share a teacher, from either run of it; another
    // teacher's experiment is not among them.
    let mut other = three_stage_chain(1, 600);
    other["chain"][0]["architecture"] = serde_json::json!({"kind": "preset", "name": "cnn-xs"});
    let third = server.submit(&other);
    let sharing = |run: &str| -> Vec<String> {
        let page: ExperimentPage = server
            .get(&format!("/api/experiments?teacher={run}"))
            .parse();
        let mut ids: Vec<String> = page.experiments.into_iter().map(|e| e.id).collect();
        ids.sort();
        ids
    };
    let mut both = vec![first.summary.id.clone(), second.summary.id.clone()];
    both.sort();
    assert_eq!(sharing(&old[0].id), both);
    assert_eq!(sharing(&new[0].id), both, "a reuse names the same teacher");
    assert!(!sharing(&old[0].id).contains(&third));
    let unknown = server.get("/api/experiments?teacher=0123456789abcdef");
    assert_eq!(unknown.status, 404);
    assert!(unknown.text.contains("teacher"), "{}", unknown.text);
}

#[test]
fn lists_filter_by_status_and_text_and_page_with_a_cursor() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_in(dir.path(), &[]);
    let mut spec = three_stage_chain(1, 300);
    spec["baseline"] = false.into();
    spec["chain"] = serde_json::json!([spec["chain"][0].clone()]);
    let mut ids = Vec::new();
    for name in ["alpha one", "beta two", "alpha three"] {
        spec["name"] = name.into();
        ids.push(server.submit(&spec));
    }
    for id in &ids {
        server.wait_until_ended(id);
    }

    let page = |query: &str| -> ExperimentPage {
        server.get(&format!("/api/experiments?{query}")).parse()
    };
    let names = |page: &ExperimentPage| -> Vec<String> {
        page.experiments.iter().map(|e| e.name.clone()).collect()
    };
    let first = page("limit=2");
    assert_eq!(first.total, 3);
    assert_eq!(names(&first), ["alpha three", "beta two"], "newest first");
    let cursor = first.next_cursor.expect("a next page");
    let next = page(&format!("limit=2&cursor={cursor}"));
    assert_eq!(names(&next), ["alpha one"]);
    assert_eq!(next.next_cursor, None, "the last page has no cursor");

    assert_eq!(page("q=ALPHA").total, 2);
    assert_eq!(page("status=succeeded").total, 3);
    assert_eq!(page("status=running").total, 0);
}
