//! Real training on the CPU backend: learning on Fashion-MNIST, every distillation method,
//! a TAKD chain with its baseline, determinism, and cancel → resume.

use api::{BuiltinDataset, DatasetName, ExperimentReport, RunKind};
use engine::data::{load, DataDirs};
use engine::device::cpu;
use engine::spec::{parse_spec, validate};
use engine::train::{CancelToken, NullSink, ProgressSink, TrainError, TrainEvent};

use crate::support::{run_experiment, ExperimentContext};

fn run(
    json: &str,
    checkpoints: Option<&std::path::Path>,
    cancel: &CancelToken,
    sink: &mut dyn ProgressSink,
) -> Result<ExperimentReport, TrainError> {
    let validated = validate(
        parse_spec(json).expect("spec parses"),
        None,
        &DataDirs::default(),
    )
    .expect("spec is valid");
    let data =
        load(&validated.spec.dataset.name, &DataDirs::default()).expect("dataset is available");
    let device = cpu();
    let ctx = ExperimentContext {
        data: &data,
        device: &device,
        checkpoints,
        cancel,
    };
    run_experiment(&validated, &ctx, None, sink)
}

fn run_to_end(json: &str) -> ExperimentReport {
    run(json, None, &CancelToken::new(), &mut NullSink).expect("experiment finishes")
}

/// A small synthetic chain: `cnn-s` teacher, then `link` from it into a `cnn-xs` student.
fn synthetic_pair(link: &str, epochs: usize) -> String {
    synthetic_pair_with_budget(
        link,
        &format!(r#"{{"epochs": {epochs}, "batch_size": 64}}"#),
    )
}

/// [`synthetic_pair`] trained with `budget` (JSON).
fn synthetic_pair_with_budget(link: &str, budget: &str) -> String {
    format!(
        r#"{{"dataset": {{"name": "synthetic", "train_subset": 2000, "test_subset": 500}},
            "budget": {budget},
            "chain": [{{"architecture": {{"kind": "preset", "name": "cnn-s"}}}},
                      {{"architecture": {{"kind": "preset", "name": "cnn-xs"}}, "link": {link}}}]}}"#
    )
}

#[test]
fn a_small_cnn_clearly_learns_fashion_mnist_from_a_subset() {
    let report = run_to_end(
        r#"{"dataset": {"name": "fashion-mnist", "train_subset": 6000, "test_subset": 2000},
            "budget": {"epochs": 1, "batch_size": 64},
            "chain": [{"architecture": {"kind": "preset", "name": "cnn-s"}}]}"#,
    );
    let top1 = report.runs[0].measurements.top1();
    assert!(
        top1 > 0.65,
        "test accuracy {top1} is not well above chance (0.10)"
    );
    assert_eq!(report.runs[0].backend, "cpu");
}

/// A link of every loss-term method of the catalogue alone, with its defaults, and the options
/// and combinations the catalogue does not list on their own; each with the curves it reports.
fn links_to_train() -> Vec<(String, Vec<&'static str>)> {
    let alone = engine::distill::catalog()
        .into_iter()
        .filter(|m| m.placement == api::MethodPlacement::Term)
        .map(|m| {
            let link = format!(r#"{{"terms": [{{"method": "{}"}}]}}"#, m.name);
            (link, [&["ce"], m.curves].concat())
        });
    let options = [
        (
            r#"{"terms": [{"method": "kd", "ctkd": {"schedule_epochs": 2}}]}"#,
            vec!["ce", "kd"],
        ),
        (
            r#"{"terms": [{"method": "dkd", "warmup_epochs": 2}, {"method": "mgd", "mask": "spatial"}]}"#,
            vec!["ce", "dkd_tckd", "dkd_nckd", "mgd"],
        ),
        (
            r#"{"terms": [{"method": "kd"}], "curriculum": {"start": 0.5}}"#,
            vec!["ce", "kd"],
        ),
        (
            r#"{"terms": [{"method": "kd", "temperature": 2, "logit_standardization": true}]}"#,
            vec!["ce", "kd"],
        ),
        (
            r#"{"terms": [{"method": "dkd", "logit_standardization": true}]}"#,
            vec!["ce", "dkd_tckd", "dkd_nckd"],
        ),
        (
            r#"{"terms": [{"method": "rkd"}, {"method": "nst"}, {"method": "sp"}]}"#,
            vec!["ce", "rkd_distance", "rkd_angle", "nst", "sp"],
        ),
    ];
    alone
        .chain(options.into_iter().map(|(l, c)| (l.to_string(), c)))
        .collect()
}

#[test]
fn every_distillation_method_trains_a_student_and_reports_its_terms() {
    let cases = links_to_train();
    assert!(cases.len() >= 16, "{} links", cases.len());
    for (link, expected_terms) in &cases {
        let link = link.as_str();
        let report = run_to_end(&synthetic_pair(link, 2));
        let student = &report.runs[1];
        assert_eq!(
            student.teacher_run.as_deref(),
            Some(report.runs[0].id.as_str()),
            "{link}"
        );
        for epoch in &student.epochs {
            let names: Vec<&str> = epoch.terms.iter().map(|t| t.name.as_str()).collect();
            assert_eq!(&names, expected_terms, "{link}");
            assert!(
                epoch
                    .terms
                    .iter()
                    .all(|t| t.raw.is_finite() && t.weighted.is_finite()),
                "{link}"
            );
            let sum: f64 = epoch.terms.iter().map(|t| t.weighted).sum();
            assert!(
                (sum - epoch.train_loss).abs() < 1e-3 * (1.0 + sum.abs()),
                "{link}: terms sum to {sum}, loss {}",
                epoch.train_loss
            );
        }
        eprintln!(
            "{link}: teacher {:.3}, student {:.3}",
            report.runs[0].measurements.top1(),
            student.measurements.top1()
        );
        assert!(
            student.measurements.top1() > 0.3,
            "{link}: the student learned nothing ({})",
            student.measurements.top1()
        );
        if link.contains("ctkd") {
            let t: Vec<f64> = student
                .epochs
                .iter()
                .map(|e| e.temperature.unwrap())
                .collect();
            assert!(
                t[0] != t[1],
                "{link}: the learned temperature did not move: {t:?}"
            );
        }
        if link.contains("curriculum") {
            let f: Vec<f64> = student
                .epochs
                .iter()
                .map(|e| e.curriculum_fraction.unwrap())
                .collect();
            assert_eq!(f, vec![0.5, 1.0], "{link}");
            assert_eq!(
                student.epochs[0].samples, 900,
                "{link}: half of the 1800 samples left after validation"
            );
        }
    }
}

#[test]
fn a_three_stage_chain_with_baseline_trains_each_stage_from_the_previous_one() {
    let report = run_to_end(
        r#"{"dataset": {"name": "synthetic", "train_subset": 400, "test_subset": 100},
            "budget": {"epochs": 1, "batch_size": 50, "optimizer": {"kind": "sgd", "lr": 0.05},
                       "schedule": {"kind": "cosine"}},
            "seeds": [1, 2], "baseline": true,
            "chain": [{"architecture": {"kind": "preset", "name": "cnn-s"}},
          {"architecture": {"kind": "preset", "name": "cnn-xs"}, "link": {"terms": [{"method": "kd"}]}},
          {"architecture": {"kind": "mlp", "hidden": [32]}, "link": {"terms": [{"method": "dkd"}]}}]}"#,
    );
    let ids: Vec<&str> = report.runs.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "s0-teacher-seed1",
            "s1-ta-seed1",
            "s2-student-seed1",
            "baseline-seed1",
            "s0-teacher-seed2",
            "s1-ta-seed2",
            "s2-student-seed2",
            "baseline-seed2"
        ]
    );
    assert_eq!(report.runs[2].teacher_run.as_deref(), Some("s1-ta-seed1"));
    assert_eq!(report.runs[3].kind, RunKind::Baseline);
    assert!(report.runs[3].teacher_run.is_none());
    assert_eq!(
        report.runs[3].epochs[0].terms.len(),
        1,
        "the baseline learns from labels only"
    );
    let summaries = engine::report::summarize(&report);
    assert_eq!(summaries.len(), 4);
    assert!(summaries.iter().all(|s| s.runs == 2));
    assert!(summaries[2].gain_val_best.is_some());
    for run in &report.runs {
        let m = &run.measurements;
        assert!(
            m.latency_runs >= 50 && m.latency_p50_ms > 0.0 && m.latency_p95_ms >= m.latency_p50_ms
        );
        assert!(m.params > 0 && m.bytes > 4 * m.params / 2 && m.throughput_per_s > 0.0);
    }
}

#[test]
fn the_same_seed_gives_the_same_run_on_the_cpu() {
    let json = synthetic_pair(r#"{"terms": [{"method": "kd"}]}"#, 1);
    let (a, b) = (run_to_end(&json), run_to_end(&json));
    for (x, y) in a.runs.iter().zip(&b.runs) {
        assert_eq!(x.epochs[0].train_loss, y.epochs[0].train_loss, "{}", x.id);
        assert_eq!(
            x.epochs[0].test_accuracy, y.epochs[0].test_accuracy,
            "{}",
            x.id
        );
    }
    let other = run_to_end(&json.replace(r#""budget""#, r#""seeds": [7], "budget""#));
    assert_ne!(
        other.runs[0].epochs[0].train_loss,
        a.runs[0].epochs[0].train_loss
    );
}

#[test]
fn a_cancelled_run_resumes_from_its_checkpoint_and_ends_where_an_uninterrupted_run_ends() {
    resumes_where_an_uninterrupted_run_ends(&synthetic_pair(r#"{"terms": [{"method": "kd"}]}"#, 3));
}

/// SGD with momentum 0.9 for three epochs.
const SGD_BUDGET: &str =
    r#"{"epochs": 3, "batch_size": 64, "optimizer": {"kind": "sgd", "lr": 0.05, "momentum": 0.9}}"#;

#[test]
fn a_cancelled_dot_run_resumes_both_momenta_and_ends_where_an_uninterrupted_run_ends() {
    let link = r#"{"terms": [{"method": "kd"}], "dot": {}}"#;
    resumes_where_an_uninterrupted_run_ends(&synthetic_pair_with_budget(link, SGD_BUDGET));
}

#[test]
fn a_cancelled_crd_run_resumes_its_memory_bank_and_ends_where_an_uninterrupted_run_ends() {
    let link = r#"{"terms": [{"method": "crd", "negatives": 64}]}"#;
    resumes_where_an_uninterrupted_run_ends(&synthetic_pair(link, 3));
}

#[test]
fn dot_trains_a_student_differently_from_plain_sgd_on_the_same_loss() {
    let plain = run_to_end(&synthetic_pair_with_budget(
        r#"{"terms": [{"method": "kd"}]}"#,
        SGD_BUDGET,
    ));
    let dot = run_to_end(&synthetic_pair_with_budget(
        r#"{"terms": [{"method": "kd"}], "dot": {"delta": 0.075}}"#,
        SGD_BUDGET,
    ));
    let losses = |r: &ExperimentReport| -> Vec<f64> {
        r.runs[1].epochs.iter().map(|e| e.train_loss).collect()
    };
    assert_ne!(
        losses(&plain),
        losses(&dot),
        "DOT's two momenta changed nothing"
    );
    assert!(losses(&dot).iter().all(|l| l.is_finite()));
}

/// Cancels `json` after the student's first epoch, resumes it from its checkpoint, and checks
/// that every run ends where an uninterrupted run of `json` ends.
fn resumes_where_an_uninterrupted_run_ends(json: &str) {
    let json = json.to_string();
    let uninterrupted = run_to_end(&json);

    let dir = tempfile::tempdir().unwrap();
    let cancel = CancelToken::new();
    let stopper = cancel.clone();
    let mut cancel_after_first_student_epoch = |event: TrainEvent<'_>| {
        if let TrainEvent::Epoch {
            run_id, metrics, ..
        } = event
        {
            if run_id.starts_with("s1") && metrics.epoch == 1 {
                stopper.cancel();
            }
        }
    };
    match run(
        &json,
        Some(dir.path()),
        &cancel,
        &mut cancel_after_first_student_epoch,
    ) {
        Err(TrainError::Cancelled {
            run_id,
            epochs_done,
        }) => {
            assert!(run_id.starts_with("s1"), "{run_id}");
            assert_eq!(epochs_done, 1);
        }
        other => panic!(
            "expected a cancellation, got {:?}",
            other.map(|r| r.runs.len())
        ),
    }

    let resumed = run(&json, Some(dir.path()), &CancelToken::new(), &mut NullSink)
        .expect("resumed run finishes");
    assert_eq!(
        resumed.runs[0].resumed_after_epoch,
        Some(3),
        "the finished teacher is not retrained"
    );
    assert_eq!(resumed.runs[1].resumed_after_epoch, Some(1));
    assert_eq!(
        resumed.runs[0].measurements.top1(),
        uninterrupted.runs[0].measurements.top1(),
        "the reloaded teacher, evaluated again, scores what it scored when it was saved"
    );
    for (a, b) in uninterrupted.runs.iter().zip(&resumed.runs) {
        assert_eq!(a.epochs.len(), b.epochs.len());
        for (x, y) in a.epochs.iter().zip(&b.epochs) {
            assert!(
                (x.train_loss - y.train_loss).abs() <= 1e-6 * (1.0 + x.train_loss.abs()),
                "{}: epoch {}: {} vs {}",
                a.id,
                x.epoch,
                x.train_loss,
                y.train_loss
            );
            assert_eq!(
                x.test_accuracy, y.test_accuracy,
                "{} epoch {}",
                a.id, x.epoch
            );
        }
    }
}

#[test]
fn the_synthetic_set_separates_a_cnn_from_an_mlp() {
    let report = run_to_end(
        r#"{"dataset": {"name": "synthetic"}, "budget": {"epochs": 2, "batch_size": 64}, "baseline": true,
            "chain": [{"architecture": {"kind": "preset", "name": "cnn-s"}},
          {"architecture": {"kind": "preset", "name": "mlp-s"}, "link": {"terms": [{"method": "kd"}]}}]}"#,
    );
    let cnn = report.runs[0].measurements.top1();
    let mlp = report.runs[2].measurements.top1();
    assert!(cnn > mlp + 0.1, "CNN {cnn} vs MLP {mlp}");
    let _ = DatasetName::from(BuiltinDataset::Synthetic);
}

#[test]
fn a_resnet_teacher_teaches_a_plain_cnn_through_its_feature_maps() {
    let report = run_to_end(
        r#"{"dataset": {"name": "synthetic", "train_subset": 256, "test_subset": 64},
            "budget": {"epochs": 1, "batch_size": 32},
            "chain": [{"architecture": {"kind": "resnet", "depth": 8, "width": 0.5}},
          {"architecture": {"kind": "preset", "name": "cnn-xs"},
           "link": {"terms": [{"method": "at"}, {"method": "fitnet"}, {"method": "mgd"}]}}]}"#,
    );
    let terms: Vec<&str> = report.runs[1].epochs[0]
        .terms
        .iter()
        .map(|t| t.name.as_str())
        .collect();
    assert_eq!(terms, ["ce", "at", "fitnet", "mgd"]);
    assert!(report.runs[1].epochs[0]
        .terms
        .iter()
        .all(|t| t.raw.is_finite() && t.raw > 0.0));
}

/// Trains the two-stage `chain` for one epoch on 256 synthetic images and checks that the
/// student's link reports the terms `names` (cross-entropy first), each finite and positive.
fn assert_distils_with_terms(chain: &str, names: &[&str]) {
    let report = run_to_end(&format!(
        r#"{{"dataset": {{"name": "synthetic", "train_subset": 256, "test_subset": 64}},
            "budget": {{"epochs": 1, "batch_size": 32}},
            "chain": {chain}}}"#
    ));
    let terms = &report.runs[1].epochs[0].terms;
    let reported: Vec<&str> = terms.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(reported, names);
    assert!(
        terms.iter().all(|t| t.raw.is_finite() && t.raw > 0.0),
        "{terms:?}"
    );
}

#[test]
fn a_wide_resnet_teaches_a_thinner_one_through_its_stages_before_and_after_the_relu() {
    assert_distils_with_terms(
        r#"[{"architecture": {"kind": "wrn", "depth": 10, "widen": 2}},
          {"architecture": {"kind": "wrn", "depth": 10, "widen": 1},
           "link": {"terms": [{"method": "ofd"}, {"method": "at"}]}}]"#,
        &["ce", "ofd", "at"],
    );
}

#[test]
fn torchvisions_resnet_teaches_a_thinner_one_through_its_four_stages_and_logits() {
    assert_distils_with_terms(
        r#"[{"architecture": {"kind": "imagenet_resnet", "depth": 10, "width": 0.25}},
          {"architecture": {"kind": "imagenet_resnet", "depth": 10, "width": 0.125},
           "link": {"terms": [{"method": "kd"}, {"method": "at"}, {"method": "ofd"}]}}]"#,
        &["ce", "kd", "at", "ofd"],
    );
}

#[test]
fn a_mobilenetv2_learns_from_a_wide_resnet_through_its_stages_and_logits() {
    assert_distils_with_terms(
        r#"[{"architecture": {"kind": "wrn", "depth": 10, "widen": 1}},
          {"architecture": {"kind": "mobilenetv2", "expansion": 2, "width": 0.25},
           "link": {"terms": [{"method": "kd"}, {"method": "fitnet"}, {"method": "ofd"}]}}]"#,
        &["ce", "kd", "fitnet", "ofd"],
    );
}

#[test]
fn a_shufflenetv2_learns_from_a_resnet_through_its_stages_before_and_after_the_relu() {
    assert_distils_with_terms(
        r#"[{"architecture": {"kind": "resnet", "depth": 8, "width": 0.5}},
          {"architecture": {"kind": "shufflenetv2", "size": 0.2},
           "link": {"terms": [{"method": "kd"}, {"method": "at"}, {"method": "reviewkd"}]}}]"#,
        &["ce", "kd", "at", "reviewkd"],
    );
}

#[test]
fn a_shufflenetv2_teaches_through_its_stages_and_logits() {
    assert_distils_with_terms(
        r#"[{"architecture": {"kind": "shufflenetv2", "size": 0.2}},
          {"architecture": {"kind": "resnet", "depth": 8, "width": 0.5},
           "link": {"terms": [{"method": "dkd"}, {"method": "fitnet"}]}}]"#,
        &["ce", "dkd_tckd", "dkd_nckd", "fitnet"],
    );
}

#[test]
fn a_vgg_learns_from_a_resnet_through_its_stages_and_logits() {
    assert_distils_with_terms(
        r#"[{"architecture": {"kind": "resnet", "depth": 8, "width": 0.5}},
          {"architecture": {"kind": "vgg", "blocks": [[8], [8, 8], [16], [16], [16]]},
           "link": {"terms": [{"method": "kd"}, {"method": "ofd"}, {"method": "reviewkd"}]}}]"#,
        &["ce", "kd", "ofd", "reviewkd"],
    );
}

#[test]
fn a_kd_link_with_zero_weight_trains_exactly_like_the_baseline() {
    // Same seed, data order and initialisation: the teacher's forward pass and a zero-weighted
    // KD term must leave the student's training untouched.
    let report = run_to_end(
        &synthetic_pair(
            r#"{"ce_weight": 1.0, "terms": [{"method": "kd", "weight": 0}]}"#,
            2,
        )
        .replace(r#""budget""#, r#""baseline": true, "budget""#),
    );
    let (student, baseline) = (&report.runs[1], &report.runs[2]);
    assert_eq!(baseline.kind, RunKind::Baseline);
    for (s, b) in student.epochs.iter().zip(&baseline.epochs) {
        assert!(
            (s.train_loss - b.train_loss).abs() < 1e-6,
            "epoch {}: {} vs {}",
            s.epoch,
            s.train_loss,
            b.train_loss
        );
        assert_eq!(s.test_accuracy, b.test_accuracy, "epoch {}", s.epoch);
    }
}

#[test]
fn experiments_sharing_a_checkpoint_directory_reuse_the_teacher_and_keep_their_own_students() {
    let dir = tempfile::tempdir().unwrap();
    let kd = synthetic_pair(r#"{"terms": [{"method": "kd"}]}"#, 1);
    let at = synthetic_pair(r#"{"terms": [{"method": "at"}]}"#, 1);
    let shared =
        |json: &str| run(json, Some(dir.path()), &CancelToken::new(), &mut NullSink).unwrap();
    shared(&kd);
    let second = shared(&at);
    assert_eq!(
        second.runs[0].resumed_after_epoch,
        Some(1),
        "the common teacher is reused"
    );
    assert_eq!(
        second.runs[1].resumed_after_epoch, None,
        "a different link trains its own student"
    );
    let again = shared(&kd);
    assert_eq!(
        again.runs[1].resumed_after_epoch,
        Some(1),
        "the KD student survived the AT experiment"
    );
}

#[test]
fn every_epoch_is_evaluated_on_a_held_out_validation_split_and_the_best_one_is_reported() {
    let report = run_to_end(&synthetic_pair(r#"{"terms": [{"method": "kd"}]}"#, 3));
    for run in &report.runs {
        assert!(run
            .epochs
            .iter()
            .all(|e| e.val_accuracy.is_some() && e.val_loss.is_some()));
        assert_eq!(
            run.epochs[0].samples, 1800,
            "200 of 2000 samples are held out"
        );
        let best = run
            .epochs
            .iter()
            .fold(None::<&api::EpochMetrics>, |best, e| match best {
                Some(b) if b.val_accuracy >= e.val_accuracy => Some(b),
                _ => Some(e),
            })
            .unwrap();
        let m = &run.measurements;
        assert_eq!(m.val_best_epoch, Some(best.epoch), "{}", run.id);
        assert_eq!(m.top1_val_best, Some(best.test_accuracy), "{}", run.id);
        assert_eq!(
            m.top1_last,
            run.epochs.last().unwrap().test_accuracy,
            "{}",
            run.id
        );
    }
}

#[test]
fn a_stage_with_its_own_budget_trains_for_its_own_epochs_and_its_baseline_matches_the_student() {
    let json = synthetic_pair(r#"{"terms": [{"method": "kd"}]}"#, 1)
        .replace(
            r#"{"kind": "preset", "name": "cnn-s"}}"#,
            r#"{"kind": "preset", "name": "cnn-s"}, "budget": {"epochs": 3, "batch_size": 64}}"#,
        )
        .replace(
            r#""budget": {"epochs": 1"#,
            r#""baseline": true, "budget": {"epochs": 1"#,
        );
    let report = run_to_end(&json);
    assert_eq!(report.runs[0].epochs.len(), 3, "the teacher trains longer");
    assert_eq!(report.runs[1].epochs.len(), 1);
    assert_eq!(
        report.runs[2].epochs.len(),
        1,
        "the baseline has the student's budget"
    );
}

#[test]
fn a_first_stage_taken_from_an_earlier_run_is_evaluated_not_trained_and_teaches_every_seed() {
    use engine::train::TrainedModel;
    // Arrange: a trained teacher, as a finished run of another experiment would leave it.
    let dir = tempfile::tempdir().unwrap();
    let first = run(
        &synthetic_pair(r#"{"terms": [{"method": "kd"}]}"#, 1),
        Some(dir.path()),
        &CancelToken::new(),
        &mut NullSink,
    )
    .unwrap();
    let source = &first.runs[0];
    let model_dir = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with(&source.id)
        })
        .unwrap();
    let input = engine::spec::input_shape_of(&engine::data::catalog(BuiltinDataset::Synthetic));
    let model = engine::train::Checkpoint::at(&model_dir)
        .load_trained(&source.architecture, input, &cpu().device)
        .unwrap();
    let imported = TrainedModel {
        model,
        report: source.clone(),
        fingerprint: "source-fingerprint".into(),
    };
    let json = synthetic_pair(r#"{"terms": [{"method": "kd"}]}"#, 1)
        .replace(
            r#"{"architecture": {"kind": "preset", "name": "cnn-s"}}"#,
            r#"{"from_run": "earlier"}"#,
        )
        .replace(r#""budget""#, r#""seeds": [0, 1], "budget""#);
    let model = engine::spec::ImportedModel {
        run_id: "earlier".into(),
        architecture: source.architecture.clone(),
        dataset: DatasetName::from(BuiltinDataset::Synthetic),
    };
    let validated = validate(
        parse_spec(&json).unwrap(),
        Some(&model),
        &DataDirs::default(),
    )
    .unwrap();
    let data = load(&BuiltinDataset::Synthetic.into(), &DataDirs::default()).unwrap();
    let device = cpu();
    let cancel = CancelToken::new();
    let ctx = ExperimentContext {
        data: &data,
        device: &device,
        checkpoints: None,
        cancel: &cancel,
    };

    // Act
    let report = run_experiment(&validated, &ctx, Some(&imported), &mut NullSink).unwrap();

    // Assert: one shared first stage, evaluated on this data; both seeds' students learn from it.
    let ids: Vec<&str> = report.runs.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids, ["s0-teacher", "s1-student-seed0", "s1-student-seed1"]);
    let teacher = &report.runs[0];
    assert!(teacher.epochs.is_empty(), "nothing was trained");
    assert_eq!(teacher.imported_from.as_deref(), Some(source.id.as_str()));
    assert_eq!(teacher.measurements.val_best_epoch, Some(0));
    assert_eq!(
        teacher.measurements.top1_val_best,
        Some(source.measurements.top1()),
        "the same model on the same test split"
    );
    assert!(report.runs[1..]
        .iter()
        .all(|r| r.teacher_run.as_deref() == Some("s0-teacher")));
}

#[test]
fn a_teacher_can_learn_from_more_labelled_samples_than_its_student_and_baseline() {
    let json = synthetic_pair(r#"{"terms": [{"method": "kd"}]}"#, 1)
        .replace(
            r#""budget": {"epochs": 1, "batch_size": 64}"#,
            r#""baseline": true, "budget": {"epochs": 1, "batch_size": 64, "samples": 300}"#,
        )
        .replace(
            r#"{"kind": "preset", "name": "cnn-s"}}"#,
            r#"{"kind": "preset", "name": "cnn-s"}, "budget": {"epochs": 1, "batch_size": 64}}"#,
        );
    let report = run_to_end(&json);
    let samples: Vec<usize> = report.runs.iter().map(|r| r.epochs[0].samples).collect();
    assert_eq!(samples, [1800, 300, 300], "teacher, student, baseline");
    let err = validate(
        parse_spec(&json.replace(r#""samples": 300"#, r#""samples": 1801"#)).unwrap(),
        None,
        &DataDirs::default(),
    )
    .unwrap_err();
    assert_eq!(err.field, "budget.samples");
}
