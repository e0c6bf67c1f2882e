//! A sweep's plan against a real validated base spec (the synthetic dataset): where paths land,
//! how trials are drawn, what each trial's spec keeps from the base, and how bad sweeps are
//! refused with the path at fault.

use api::{ExperimentSpec, SweepSpec};
use engine::data::DataDirs;
use engine::spec::{validate, ValidatedSpec};
use engine::sweep::{parse_sweep_value, SweepPlan};
use serde_json::{json, Value};

fn base() -> Value {
    json!({
        "dataset": { "name": "synthetic", "train_subset": 600, "test_subset": 200 },
        "budget": { "epochs": 9, "batch_size": 64 },
        "seeds": [7, 8],
        "chain": [
            { "name": "teacher", "architecture": { "kind": "preset", "name": "cnn-s" },
              "budget": { "epochs": 2, "batch_size": 64 } },
            { "name": "student", "architecture": { "kind": "preset", "name": "cnn-xs" },
              "link": { "terms": [ { "method": "kd" } ] } }
        ]
    })
}

fn sweep(space: Value, strategy: Value) -> Value {
    json!({ "base": base(), "space": space, "strategy": strategy,
            "early_stopping": { "kind": "successive_halving", "min_epochs": 1, "eta": 3 } })
}

fn parsed(sweep: Value) -> (SweepSpec, ValidatedSpec) {
    let spec = parse_sweep_value(sweep).unwrap();
    let base = validate(spec.base.clone(), None, &DataDirs::default()).unwrap();
    (spec, base)
}

fn plan(sweep: Value) -> SweepPlan {
    let (spec, base) = parsed(sweep);
    SweepPlan::new(&spec, &base).unwrap()
}

/// The field and message of the error a sweep is refused with, by the plan or its values check.
fn refusal(sweep: Value) -> (String, String) {
    let (spec, base) = parsed(sweep);
    let error = SweepPlan::new(&spec, &base)
        .and_then(|plan| plan.check_values(None, &DataDirs::default()))
        .unwrap_err();
    (error.field, error.message)
}

fn random(trials: usize) -> Value {
    json!({ "kind": "random", "trials": trials, "seed": 3 })
}

#[test]
fn rungs_grow_from_min_epochs_to_the_last_stage_budget() {
    let plan = plan(sweep(
        json!({ "chain[1].link.ce_weight": { "uniform": [0.1, 0.9] } }),
        random(5),
    ));
    assert_eq!(plan.rungs, vec![1, 3, 9]);
    assert_eq!(
        plan.trial_seed, 7,
        "trials train with the base's first seed"
    );
    assert_eq!(plan.trials, 5);
}

#[test]
fn random_draws_are_reproducible_and_stay_in_their_ranges() {
    let space = json!({
        "chain[1].link.terms[0].temperature": { "log_uniform": [1.0, 16.0] },
        "chain[1].link.ce_weight": { "uniform": [0.1, 0.9] },
        "budget.batch_size": { "uniform": [32, 128] }
    });
    let plan = plan(sweep(space, random(20)));
    let draws: Vec<Vec<Value>> = (0..20).map(|t| plan.values(t)).collect();
    assert_eq!(draws, (0..20).map(|t| plan.values(t)).collect::<Vec<_>>());
    // Paths are in sorted order: budget.batch_size, ce_weight, temperature.
    for values in &draws {
        let batch = values[0]
            .as_u64()
            .expect("an integer field gets whole numbers");
        assert!((32..=128).contains(&batch));
        assert!((0.1..=0.9).contains(&values[1].as_f64().unwrap()));
        assert!((1.0..=16.0).contains(&values[2].as_f64().unwrap()));
    }
    assert!(draws.windows(2).any(|w| w[0] != w[1]), "trials differ");
}

#[test]
fn a_grid_visits_every_combination_once() {
    let space = json!({
        "chain[1].link.terms[0].temperature": { "values": [1, 4, 8] },
        "chain[1].link.ce_weight": { "values": [0.1, 0.5] }
    });
    let plan = plan(sweep(space, json!({ "kind": "grid" })));
    assert_eq!(plan.trials, 6);
    let mut points: Vec<String> = (0..6).map(|t| format!("{:?}", plan.values(t))).collect();
    points.sort();
    points.dedup();
    assert_eq!(points.len(), 6);
}

#[test]
fn a_trial_changes_only_the_last_stage_and_keeps_the_teacher_shared() {
    let space = json!({
        "chain[1].link.terms[0].temperature": { "values": [2.5] },
        "budget.optimizer.lr": { "values": [0.01] }
    });
    let plan = plan(sweep(space, json!({ "kind": "grid" })));
    let trial: ExperimentSpec = plan
        .trial_spec(&plan.values(0), 3, &[7], false, "t".into())
        .unwrap();
    assert_eq!(
        trial.chain[0], plan.base.chain[0],
        "the teacher is the base's"
    );
    let student = trial.chain[1].budget.as_ref().unwrap();
    assert_eq!(student.epochs, 3);
    assert_eq!(
        student.optimizer.lr(),
        0.01,
        "budget.… is the last stage's budget"
    );
    assert_eq!(
        trial.chain[0].budget.as_ref().unwrap().optimizer.lr(),
        0.001
    );
    let link = serde_json::to_value(&trial.chain[1].link).unwrap();
    assert_eq!(link["terms"][0]["temperature"], 2.5);
    assert_eq!((trial.seeds, trial.baseline), (vec![7], false));
}

#[test]
fn an_unknown_field_is_refused_with_the_fields_that_exist_there() {
    let (field, message) = refusal(sweep(
        json!({ "chain[1].link.cew": { "values": [0.1] } }),
        random(2),
    ));
    assert_eq!(field, "space.chain[1].link.cew");
    assert!(
        message.contains("has no field `cew`") && message.contains("ce_weight"),
        "{message}"
    );
}

#[test]
fn a_path_into_a_term_that_does_not_exist_is_refused() {
    let (field, message) = refusal(sweep(
        json!({ "chain[1].link.terms[2].temperature": { "values": [2] } }),
        random(2),
    ));
    assert_eq!(field, "space.chain[1].link.terms[2].temperature");
    assert_eq!(message, "chain[1].link.terms has 1 entry: no [2]");
}

#[test]
fn a_range_end_the_validator_refuses_is_refused_with_its_reason() {
    let (field, message) = refusal(sweep(
        json!({ "chain[1].link.terms[0].temperature": { "uniform": [0, 4] } }),
        random(2),
    ));
    assert_eq!(field, "space.chain[1].link.terms[0].temperature");
    assert!(
        message.starts_with("the value 0.0 is refused: chain[1].link.terms[0].temperature"),
        "{message}"
    );
}

#[test]
fn a_choice_that_is_not_allowed_is_refused() {
    let (field, message) = refusal(sweep(
        json!({ "chain[1].link.terms[0].method": { "values": ["kd", "kdd"] } }),
        random(2),
    ));
    assert_eq!(field, "space.chain[1].link.terms[0].method");
    assert!(message.contains("kdd"), "{message}");
}

#[test]
fn earlier_stages_and_the_dataset_cannot_be_tuned() {
    let (field, message) = refusal(sweep(
        json!({ "chain[0].budget.optimizer.lr": { "values": [0.1] } }),
        random(2),
    ));
    assert_eq!(field, "space.chain[0].budget.optimizer.lr");
    assert!(message.contains("shared by every trial"), "{message}");
    let (field, _) = refusal(sweep(
        json!({ "dataset.validation": { "values": [100] } }),
        random(2),
    ));
    assert_eq!(field, "space.dataset.validation");
}

#[test]
fn epochs_belong_to_successive_halving() {
    let (field, message) = refusal(sweep(
        json!({ "budget.epochs": { "values": [3, 9] } }),
        random(2),
    ));
    assert_eq!(field, "space.budget.epochs");
    assert!(message.contains("successive halving"), "{message}");
}

#[test]
fn too_many_trials_and_too_large_grids_are_refused_by_the_cap() {
    let (field, message) = refusal(sweep(
        json!({ "chain[1].link.ce_weight": { "uniform": [0.1, 0.9] } }),
        random(1000),
    ));
    assert_eq!(field, "strategy.trials");
    assert!(message.contains("1000"), "{message}");
    let values: Vec<f64> = (1..=20).map(|i| i as f64 / 21.0).collect();
    let (field, message) = refusal(sweep(
        json!({ "chain[1].link.ce_weight": { "values": values },
                "chain[1].link.terms[0].weight": { "values": values } }),
        json!({ "kind": "grid" }),
    ));
    assert_eq!(field, "strategy");
    assert!(message.contains("the grid has 400 trials"), "{message}");
}

#[test]
fn a_value_of_the_wrong_kind_is_refused() {
    let (field, message) = refusal(sweep(
        json!({ "chain[1].link.ce_weight": { "values": [true] } }),
        random(2),
    ));
    assert_eq!(field, "space.chain[1].link.ce_weight");
    assert!(message.contains("holds a number"), "{message}");
}

#[test]
fn a_malformed_sweep_names_the_field() {
    let mut bad = sweep(json!({}), random(2));
    bad["base"]["chain"][1]["link"]["terms"][0]["temperatur"] = 3.into();
    let error = parse_sweep_value(bad).unwrap_err();
    assert!(
        error.field.starts_with("base.chain[1].link.terms[0]"),
        "{}",
        error.field
    );
    let error =
        parse_sweep_value(json!({ "base": base(), "space": {}, "strategy": { "kind": "bayes" } }))
            .unwrap_err();
    assert_eq!(error.field, "strategy.kind");
}
