//! Each model of an experiment over its seeds, from the real `distill serve`: one line per
//! model and metric (the seeds' mean) with the seeds' range and spread, the same in a
//! comparison and through a share link, and clear refusals.

use api::{Comparison, ExperimentCurves, RunCurves, RunKind, ShareLink, SpreadCurve};
use distill_tests::{kd_pair, Server};
use serde_json::json;

/// The metric `metric` of `model` (by label).
fn curve<'a>(curves: &'a ExperimentCurves, model: &str, metric: &str) -> &'a SpreadCurve {
    curves
        .models
        .iter()
        .find(|m| m.label == model)
        .unwrap_or_else(|| panic!("no model {model}"))
        .curves
        .iter()
        .find(|c| c.metric == metric)
        .unwrap_or_else(|| panic!("{model} has no {metric}"))
}

#[test]
fn an_experiments_models_come_as_one_line_per_metric_with_their_seeds_spread() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_in(dir.path(), &["--workers", "2"]);
    let mut spec = kd_pair(2);
    spec["seeds"] = json!([0, 1, 2]);
    spec["baseline"] = json!(true);
    let id = server.submit(&spec);
    let detail = server.ended(&id);

    let grouped: ExperimentCurves = server
        .get(&format!(
            "/api/experiments/{id}/curves?metrics=val_accuracy,batch_loss&max_points=50"
        ))
        .parse();
    let labels: Vec<(&str, RunKind, usize)> = grouped
        .models
        .iter()
        .map(|m| (m.label.as_str(), m.kind, m.runs.len()))
        .collect();
    assert_eq!(
        labels,
        [
            ("teacher", RunKind::Stage, 3),
            ("student", RunKind::Stage, 3),
            ("baseline", RunKind::Baseline, 3)
        ]
    );
    let student = grouped
        .models
        .iter()
        .find(|m| m.label == "student")
        .unwrap();
    assert!(student.available.iter().any(|m| m == "loss.kd.weighted"));
    assert_eq!(student.curves.len(), 2, "only the metrics asked for");

    // The line is the mean of the seeds' own curves, between their smallest and largest.
    let accuracy = curve(&grouped, "student", "val_accuracy");
    assert_eq!(accuracy.points.len(), 2, "one point per epoch");
    let last = accuracy.points.last().unwrap();
    let own_curves: Vec<RunCurves> = student
        .runs
        .iter()
        .map(|run| {
            server
                .get(&format!("/api/runs/{run}/curves?metrics=val_accuracy"))
                .parse()
        })
        .collect();
    let seeds: Vec<f64> = own_curves
        .iter()
        .map(|own| own.curves[0].points.last().unwrap().value)
        .collect();
    let mean = seeds.iter().sum::<f64>() / 3.0;
    // Seen once in about fifteen runs: a seed missing from the last epoch (cause not found yet);
    // the message keeps what each side saw.
    assert_eq!(
        last.seeds, 3,
        "grouped: {accuracy:?}\nthe runs' own: {own_curves:?}"
    );
    assert!((last.mean - mean).abs() < 1e-12, "{} vs {mean}", last.mean);
    let lowest = seeds.iter().cloned().fold(f64::INFINITY, f64::min);
    let highest = seeds.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    assert_eq!((last.min, last.max), (lowest, highest));
    assert!(last.std > 0.0, "three seeds of different weights differ");
    let batch = curve(&grouped, "teacher", "batch_loss");
    assert!(
        batch.points.len() > 2
            && batch
                .points
                .iter()
                .all(|p| p.min <= p.mean && p.mean <= p.max)
    );

    // A comparison folds its runs the same way, model by model.
    let runs: Vec<String> = grouped
        .models
        .iter()
        .filter(|m| m.label != "teacher")
        .flat_map(|m| m.runs.clone())
        .collect();
    let compared: Comparison = server
        .get(&format!(
            "/api/compare?runs={}&metrics=val_accuracy&max_points=50",
            runs.join(",")
        ))
        .parse();
    let labels: Vec<&str> = compared.models.iter().map(|m| m.label.as_str()).collect();
    assert_eq!(labels, ["student", "baseline"]);
    let compared_accuracy = compared.models[0].curves[0].points.last().unwrap();
    assert_eq!(compared_accuracy.seeds, 3);
    assert!((compared_accuracy.mean - mean).abs() < 1e-12);

    // The same through a share link of the experiment.
    let link: ShareLink = server
        .post(
            &format!("/api/experiments/{id}/share"),
            &serde_json::Value::Null,
        )
        .parse();
    let shared = server.get(&format!(
        "/api/shared/{}/curves?metrics=val_accuracy,batch_loss&max_points=50",
        link.token
    ));
    assert_eq!(shared.status, 200, "{}", shared.text);
    assert_eq!(shared.parse::<ExperimentCurves>(), grouped);

    // Refusals name what is wrong.
    let unknown = server.get(&format!("/api/experiments/{id}/curves?metrics=val_acc"));
    assert_eq!(unknown.status, 404);
    assert!(unknown.text.contains("val_acc"), "{}", unknown.text);
    let missing = server.get("/api/experiments/0123456789abcdef/curves");
    assert_eq!(missing.status, 404, "{}", missing.text);
    assert_eq!(detail.runs.len(), 9);
}
