//! The `distill` command line driven as a user would: a whole chain with a baseline, bad specs,
//! listings, and a checksum-verified download from a mirror.

use std::collections::HashMap;

use api::ExperimentReport;
use distill_tests::{distill, distill_run_on_cpu, serve_files, stderr};

const CHAIN: &str = r#"{
  "dataset": {"name": "synthetic", "train_subset": 300, "test_subset": 100},
  "budget": {"epochs": 2, "batch_size": 50},
  "baseline": true,
  "chain": [
    {"architecture": {"kind": "preset", "name": "cnn-s"}},
    {"architecture": {"kind": "preset", "name": "cnn-xs"}, "link": {"terms": [{"method": "kd"}]}},
    {"architecture": {"kind": "preset", "name": "mlp-xs"}, "link": {"terms": [{"method": "dkd", "warmup_epochs": 1}]}}
  ]
}"#;

#[test]
fn distill_run_trains_a_three_stage_chain_with_a_baseline_and_writes_its_outputs() {
    let dir = tempfile::tempdir().unwrap();
    let spec = dir.path().join("chain.json");
    std::fs::write(&spec, CHAIN).unwrap();
    let out = dir.path().join("out");
    let output = distill_run_on_cpu(&spec, &out, &["--json", "--workers", "2"]);
    assert!(output.status.success(), "{}", stderr(&output));
    // The baseline waits for no teacher: it trains while the teacher does.
    let log = stderr(&output);
    let baseline_starts = log
        .find("baseline seed 0: 2 epoch(s)")
        .expect("the baseline starts");
    let teacher_ends = log.find("teacher seed 0: top-1").expect("the teacher ends");
    assert!(baseline_starts < teacher_ends, "runs in parallel:\n{log}");

    let report: ExperimentReport =
        serde_json::from_slice(&output.stdout).expect("--json prints the report");
    assert_eq!(report.runs.len(), 4);
    assert!(report
        .runs
        .iter()
        .all(|r| r.epochs.len() == 2 && r.backend == "cpu"));
    let table = stderr(&output);
    for row in ["0:teacher", "1:ta", "2:student", "baseline", "± "] {
        assert!(table.contains(row), "results table lacks {row:?}:\n{table}");
    }
    let curves = std::fs::read_to_string(out.join("curves.csv")).unwrap();
    assert!(curves.starts_with("experiment_id,run_id,stage,kind,seed,metric,step,epoch,value\n"));
    for metric in [
        "loss.kd",
        "loss.dkd_nckd.weighted",
        "batch_loss",
        "test_accuracy",
        "temperature",
    ] {
        assert!(
            curves.contains(&format!(",{metric},")),
            "curves.csv lacks {metric}"
        );
    }
    let metrics = std::fs::read_to_string(out.join("metrics.csv")).unwrap();
    assert_eq!(metrics.lines().count(), 5, "a header and one row per run");
    let saved: ExperimentReport =
        serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap()).unwrap();
    assert_eq!(saved, report);
    let student = report
        .runs
        .iter()
        .find(|r| r.stage_name == "student")
        .unwrap();
    let student_checkpoint = std::fs::read_dir(out.join("checkpoints"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .find(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with(&format!("{}-", student.id))
        })
        .expect("a checkpoint directory named after the run and its configuration");
    assert!(student_checkpoint.join("model.bpk").is_file());
    assert!(
        out.join("checkpoints/runs.db").is_file(),
        "the runs' store beside them"
    );

    let again = distill_run_on_cpu(&spec, &out, &["--json"]);
    assert!(again.status.success(), "{}", stderr(&again));
    assert!(
        stderr(&again).contains("continuing the same experiment"),
        "the same command continues the same experiment:\n{}",
        stderr(&again)
    );
    let again: ExperimentReport = serde_json::from_slice(&again.stdout).unwrap();
    assert_eq!(again, report, "nothing was trained again");
}

#[test]
fn a_baseline_reused_from_a_two_stage_experiment_is_the_baseline_of_a_three_stage_chain() {
    let dir = tempfile::tempdir().unwrap();
    let checkpoints = dir.path().join("checkpoints");
    let checkpoints = checkpoints.to_str().unwrap();
    let mut pair: serde_json::Value = serde_json::from_str(CHAIN).unwrap();
    pair["chain"].as_array_mut().unwrap().remove(1);
    let (pair_spec, chain_spec) = (dir.path().join("pair.json"), dir.path().join("chain.json"));
    std::fs::write(&pair_spec, pair.to_string()).unwrap();
    std::fs::write(&chain_spec, CHAIN).unwrap();
    let first = distill_run_on_cpu(
        &pair_spec,
        &dir.path().join("pair"),
        &["--checkpoints", checkpoints],
    );
    assert!(first.status.success(), "{}", stderr(&first));

    let out = dir.path().join("chain");
    let output = distill_run_on_cpu(&chain_spec, &out, &["--json", "--checkpoints", checkpoints]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("baseline seed 0: top-1")
            && stderr(&output).contains("reused from run")
    );
    let report: ExperimentReport = serde_json::from_slice(&output.stdout).unwrap();
    let baseline = report
        .runs
        .iter()
        .find(|r| r.stage_name == "baseline")
        .unwrap();
    assert_eq!(
        baseline.stage_index, 2,
        "the reused baseline sits at this chain's student"
    );
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    let labels: Vec<_> = summary
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["label"].as_str().unwrap())
        .collect();
    assert_eq!(labels, ["teacher", "ta", "student", "baseline"]);
    assert!(
        summary[2]["gain_val_best"]["mean"].is_number(),
        "the student's gain: {}",
        summary[2]
    );
}

#[test]
fn an_invalid_spec_is_rejected_with_the_field_named() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        (
            CHAIN.replace(r#""method": "kd""#, r#""method": "kd", "temperature": -1"#),
            "chain[1].link.terms[0].temperature",
        ),
        (
            CHAIN.replace(r#""method": "kd""#, r#""method": "kdd""#),
            "chain[1].link.terms[0]",
        ),
        (
            CHAIN.replace(r#""name": "cnn-xs""#, r#""name": "cnn-huge""#),
            "chain[1].architecture.name",
        ),
        (
            CHAIN.replace(r#""name": "synthetic""#, r#""name": "imagenet""#),
            "dataset.name",
        ),
        (r#"{"chain": []}"#.to_string(), "chain"),
        (
            CHAIN.replace(r#""epochs": 2"#, r#""epochs": 0"#),
            "budget.epochs",
        ),
        ("{ not json".to_string(), "spec"),
    ];
    for (i, (spec, field)) in cases.iter().enumerate() {
        let path = dir.path().join(format!("bad{i}.json"));
        std::fs::write(&path, spec).unwrap();
        let output = distill_run_on_cpu(&path, dir.path(), &[]);
        assert!(!output.status.success(), "case {i} was accepted");
        let message = stderr(&output);
        assert!(
            message.contains(field),
            "case {i}: error does not name {field}:\n{message}"
        );
        assert!(
            !message.contains("panicked"),
            "case {i} panicked:\n{message}"
        );
    }
}

#[test]
fn presets_and_datasets_are_listed() {
    let presets = distill(&["presets"]);
    assert!(presets.status.success());
    let text = String::from_utf8_lossy(&presets.stdout);
    assert!(text.contains("cnn-m") && text.contains("421738"), "{text}");
    let data = distill(&["data", "list"]);
    let text = String::from_utf8_lossy(&data.stdout);
    assert!(
        text.contains("fashion-mnist") && text.contains("synthetic") && text.contains("built in"),
        "{text}"
    );
}

#[test]
fn a_download_whose_checksum_does_not_match_is_refused_and_discarded() {
    let files = HashMap::from([(
        "/train-images-idx3-ubyte.gz".to_string(),
        b"not the real file".to_vec(),
    )]);
    let mirror = serve_files(files);
    let dir = tempfile::tempdir().unwrap();
    let output = distill(&[
        "data",
        "fetch",
        "fashion-mnist",
        "--mirror",
        &mirror,
        "--data-dir",
        dir.path().to_str().unwrap(),
    ]);
    assert!(!output.status.success());
    let message = stderr(&output);
    assert!(
        message.contains("checksum mismatch")
            && message.contains("8d4fb7e6c68d591d4c3dfef9ec88bf0d"),
        "{message}"
    );
    let leftovers: Vec<_> = std::fs::read_dir(dir.path().join("fashion-mnist"))
        .unwrap()
        .collect();
    assert!(
        leftovers.is_empty(),
        "a bad download was kept: {leftovers:?}"
    );
}

#[test]
fn bench_reports_training_throughput_and_latency_per_preset() {
    let output = distill(&[
        "bench",
        "--presets",
        "mlp-xs,cnn-xs",
        "--backend",
        "cpu",
        "--warmup",
        "1",
        "--steps",
        "2",
        "--json",
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|line| serde_json::from_str(line).expect("one JSON object per line"))
        .collect();
    assert_eq!(lines.len(), 2);
    for (line, preset) in lines.iter().zip(["mlp-xs", "cnn-xs"]) {
        assert_eq!(line["preset"], preset);
        assert_eq!(line["backend"], "cpu");
        assert!(
            line["train_samples_per_s"].as_f64().unwrap() > 0.0,
            "{line}"
        );
        assert!(line["latency_runs"].as_u64().unwrap() >= 50, "{line}");
    }
}
