//! A user's journey through the REST API of the real `distill serve`: submit a 3-stage chain
//! with a baseline, watch it live over SSE, read curves, compare, export, share.

use distill_tests::{three_stage_chain, Server};
use serde_json::Value;

fn runs(detail: &Value) -> Vec<Value> {
    detail["runs"].as_array().unwrap().clone()
}

fn run_id(detail: &Value, stage: &str) -> String {
    runs(detail)
        .into_iter()
        .find(|r| r["stage_name"] == stage)
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string()
}

#[test]
fn a_three_stage_chain_is_trained_watched_compared_exported_and_shared() {
    // Arrange
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_in(dir.path(), &["--workers", "2"]);

    // Act: submit and follow the events until the end.
    let submitted = server.post("/api/experiments", &three_stage_chain(2, 1500));
    assert_eq!(submitted.status, 201, "{}", submitted.text);
    let id = submitted.json["summary"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        runs(&submitted.json).len(),
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
    let detail = server.get(&format!("/api/experiments/{id}")).json;
    assert_eq!(detail["summary"]["status"], "succeeded");
    for run in runs(&detail) {
        assert_eq!(run["status"], "succeeded", "{run}");
        assert_eq!(run["epochs_done"], 2);
        let m = &run["measurements"];
        assert!(m["top1_val_best"].as_f64().unwrap() > 0.1, "{run}");
        assert!(m["top1_last"].as_f64().unwrap() > 0.1, "{run}");
        assert_eq!(
            run["val_best_test_accuracy"], m["top1_val_best"],
            "the live summary and the report agree on the reported epoch"
        );
        assert!(m["params"].as_u64().unwrap() > 0 && m["latency_p50_ms"].as_f64().unwrap() > 0.0);
        let last_epoch_streamed = epochs
            .iter()
            .rfind(|e| e["run_id"] == run["id"])
            .expect("every run streamed its epochs");
        assert_eq!(
            last_epoch_streamed["metrics"]["test_accuracy"], m["top1_last"],
            "the stream carried the numbers that were stored"
        );
    }
    assert_eq!(detail["models"].as_array().unwrap().len(), 4);
    let gain = &detail["summary"]["gain"];
    assert_eq!(gain["n"], 1, "one seed");
    assert!(
        gain["mean"].is_number() && gain.get("ci_low").is_none(),
        "{gain}"
    );
    let student_model = detail["models"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["label"] == "student")
        .unwrap();
    assert_eq!(
        student_model["gain_val_best"]["mean"], gain["mean"],
        "the list and the per-model results compute the gain the same way"
    );
    let teacher = run_id(&detail, "teacher");
    let student = run_id(&detail, "student");
    let baseline = run_id(&detail, "baseline");
    assert_eq!(runs(&detail)[1]["teacher_run"], teacher.as_str());

    // Curves: every loss term, accuracy and lr, downsampled with the final point kept.
    let curves = server
        .get(&format!("/api/runs/{student}/curves?max_points=10"))
        .json;
    let available: Vec<&str> = curves["available"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m.as_str().unwrap())
        .collect();
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
            available.contains(&metric),
            "{metric} missing from {available:?}"
        );
    }
    let batch_loss = curves["curves"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["metric"] == "batch_loss")
        .unwrap();
    let points = batch_loss["points"].as_array().unwrap();
    assert!(points.len() <= 10 && batch_loss["raw_points"].as_u64().unwrap() > 10);
    assert_eq!(
        points.last().unwrap()["epoch"],
        2.0,
        "the final point is kept"
    );
    let accuracy = server
        .get(&format!("/api/runs/{student}/curves?metrics=test_accuracy"))
        .json;
    let accuracy_points = accuracy["curves"][0]["points"].as_array().unwrap();
    assert_eq!(accuracy_points.len(), 2, "one point per epoch");

    // Compare: the student against its baseline and teacher, on the same buckets.
    let compared = server
        .get(&format!(
            "/api/compare?runs={student},{baseline},{teacher}&metrics=test_accuracy"
        ))
        .json;
    let rows = compared["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 3);
    let student_row = &rows[0];
    let expected = student_row["run"]["measurements"]["top1_val_best"]
        .as_f64()
        .unwrap()
        - rows[1]["run"]["measurements"]["top1_val_best"]
            .as_f64()
            .unwrap();
    assert!((student_row["delta_vs_baseline"].as_f64().unwrap() - expected).abs() < 1e-12);
    assert_eq!(rows[2]["delta_vs_teacher"], 0.0);
    let models = compared["models"].as_array().unwrap();
    assert_eq!(
        models.len(),
        3,
        "student, baseline and teacher are three models"
    );
    let student_over_baseline = compared["gains"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["model"] == 0 && g["over"] == 1)
        .unwrap();
    assert_eq!(student_over_baseline["gain"]["n"], 1);
    assert!((student_over_baseline["gain"]["mean"].as_f64().unwrap() - expected).abs() < 1e-12);
    assert!(rows.iter().any(|r| r["pareto_latency"] == true));
    assert_eq!(
        compared["curves"][0]["curves"][0]["metric"],
        "test_accuracy"
    );

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
    let json = server
        .get(&format!("/api/experiments/{id}/export?format=json"))
        .json;
    assert_eq!(json["experiment"]["summary"]["id"], id.as_str());
    let exported: usize = json["curves"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["points"].as_array().unwrap().len())
        .sum();
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
    let token = link.json["token"].as_str().unwrap().to_string();
    assert_eq!(token.len(), 32);
    assert_eq!(link.json["path"], format!("/s/{token}"));
    let shared = server.get(&format!("/api/shared/{token}"));
    assert_eq!(shared.status, 200);
    assert_eq!(shared.json["kind"], "experiment");
    assert_eq!(shared.json["experiment"]["summary"]["id"], id.as_str());
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
    let comparison_token = comparison.json["token"].as_str().unwrap();
    let shared_comparison = server.get(&format!("/api/shared/{comparison_token}")).json;
    assert_eq!(
        shared_comparison["comparison"]["rows"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
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
    let first = server.submit(&spec);
    let first = server.wait_until_ended(&first);

    let second = server.submit(&spec);
    let second = server.wait_until_ended(&second);

    let (old, new) = (runs(&first), runs(&second));
    for i in 0..2 {
        assert_eq!(new[i]["status"], "succeeded");
        assert_eq!(new[i]["reused_from"], old[i]["id"], "{}", new[i]);
        assert!(new[i]["message"].as_str().unwrap().starts_with("reused"));
        assert_eq!(new[i]["measurements"], old[i]["measurements"]);
    }
    assert!(
        new[2]["reused_from"].is_null(),
        "the student is trained again"
    );
    assert_eq!(new[3]["kind"], "baseline");
    assert_eq!(
        new[3]["reused_from"], old[3]["id"],
        "the CE-only baseline of the same model, data and seed is reused"
    );
    let curves = server.get(&format!(
        "/api/runs/{}/curves?metrics=test_accuracy",
        new[0]["id"].as_str().unwrap()
    ));
    assert_eq!(
        curves.json["curves"][0]["points"].as_array().unwrap().len(),
        1
    );
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

    let page = server.get("/api/experiments?limit=2").json;
    assert_eq!(page["total"], 3);
    let first: Vec<&str> = page["experiments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    assert_eq!(first, ["alpha three", "beta two"], "newest first");
    let cursor = page["next_cursor"].as_str().unwrap();
    let next = server
        .get(&format!("/api/experiments?limit=2&cursor={cursor}"))
        .json;
    assert_eq!(next["experiments"][0]["name"], "alpha one");
    assert!(next["next_cursor"].is_null(), "the last page has no cursor");

    let alphas = server.get("/api/experiments?q=ALPHA").json;
    assert_eq!(alphas["total"], 2);
    assert_eq!(
        server.get("/api/experiments?status=succeeded").json["total"],
        3
    );
    assert_eq!(
        server.get("/api/experiments?status=running").json["total"],
        0
    );
}
