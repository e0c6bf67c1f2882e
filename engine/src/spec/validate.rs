//! Checks a parsed spec against what the engine can run, resolves presets and default
//! hyperparameters, and collects warnings that do not stop a run.

use api::{Architecture, Budget, ExperimentSpec, LrSchedule, OptimizerSpec};

use super::bounds::{self, Bound, MAX_LAYERS, MAX_SEEDS, MAX_STAGES};
use super::link_rules::{fill_ce_weight, validate_link};
use super::SpecError;
use crate::data::catalog;
use crate::models::{resolve, InputShape, Net, StageShape};

/// A spec that can run: presets resolved, defaults filled, plus warnings for the user.
#[derive(Debug, Clone)]
pub struct ValidatedSpec {
    /// The resolved spec.
    pub spec: ExperimentSpec,
    /// Parameter count of each stage's model.
    pub params: Vec<usize>,
    /// Things worth telling the user that do not stop the run.
    pub warnings: Vec<String>,
}

/// The input shape of a spec's dataset.
pub fn input_shape(spec: &ExperimentSpec) -> InputShape {
    input_shape_of(spec.dataset.name)
}

/// The input shape of a dataset.
pub fn input_shape_of(dataset: api::DatasetName) -> InputShape {
    let info = catalog(dataset);
    InputShape {
        channels: info.channels,
        height: info.height,
        width: info.width,
        classes: info.classes,
    }
}

pub(super) fn finite_at_least(value: f64, min: f64, field: String) -> Result<(), SpecError> {
    Bound::at_least(min).check(value, field)
}

pub(super) fn positive(value: f64, field: String) -> Result<(), SpecError> {
    Bound::above(0.0).check(value, field)
}

/// Validates and resolves `spec`.
pub fn validate(mut spec: ExperimentSpec) -> Result<ValidatedSpec, SpecError> {
    let mut warnings = Vec::new();
    for (field, value) in [
        ("dataset.train_subset", spec.dataset.train_subset),
        ("dataset.test_subset", spec.dataset.test_subset),
    ] {
        if let Some(n) = value {
            bounds::SAMPLES.check(n as f64, field)?;
        }
    }
    validate_budget(&spec.budget)?;
    if spec.seeds.is_empty() || spec.seeds.len() > MAX_SEEDS {
        return Err(SpecError::new(
            "seeds",
            format!("needs 1 to {MAX_SEEDS} seeds, got {}", spec.seeds.len()),
        ));
    }
    let mut seen = spec.seeds.clone();
    seen.sort_unstable();
    if seen.windows(2).any(|w| w[0] == w[1]) {
        return Err(SpecError::new("seeds", "seeds must be distinct"));
    }
    if spec.chain.is_empty() || spec.chain.len() > MAX_STAGES {
        return Err(SpecError::new(
            "chain",
            format!(
                "needs 1 to {MAX_STAGES} stages (teacher first, student last), got {}",
                spec.chain.len()
            ),
        ));
    }
    let input = input_shape(&spec);
    let mut shapes: Vec<Vec<StageShape>> = Vec::new();
    let mut params = Vec::new();
    let epochs = spec.budget.epochs;
    let stages = spec.chain.len();
    for (i, stage) in spec.chain.iter_mut().enumerate() {
        let at = format!("chain[{i}]");
        stage.architecture = resolve(&stage.architecture)
            .map_err(|m| SpecError::new(format!("{at}.architecture.name"), m))?;
        check_architecture(&stage.architecture, input, &format!("{at}.architecture"))?;
        stage
            .name
            .get_or_insert_with(|| default_stage_name(i, stages));
        let stage_shapes = Net::stage_shapes(&stage.architecture, input);
        let count = Net::parameter_count(&stage.architecture, input);
        if i == 0 {
            if !stage.link.terms.is_empty() || stage.link.curriculum.is_some() {
                return Err(SpecError::new(
                    format!("{at}.link"),
                    "the first stage has no teacher, so it can only learn from labels: remove its distillation terms and curriculum",
                ));
            }
        } else {
            validate_link(&mut stage.link, &at, epochs, &stage_shapes, &shapes[i - 1])?;
            if count > params[i - 1] {
                warnings.push(format!(
                    "{at}: the student ({count} parameters) is larger than its teacher ({} parameters)",
                    params[i - 1]
                ));
            }
        }
        fill_ce_weight(&mut stage.link, &format!("{at}.link.ce_weight"))?;
        shapes.push(stage_shapes);
        params.push(count);
    }
    if spec.baseline && stages == 1 {
        warnings.push("baseline: a one-stage chain has no distillation to compare against; the baseline repeats the teacher".into());
    }
    Ok(ValidatedSpec {
        spec,
        params,
        warnings,
    })
}

fn default_stage_name(index: usize, stages: usize) -> String {
    match index {
        0 => "teacher".into(),
        i if i + 1 == stages => "student".into(),
        _ if stages == 3 => "ta".into(),
        i => format!("ta{i}"),
    }
}

fn validate_budget(budget: &Budget) -> Result<(), SpecError> {
    bounds::EPOCHS.check(budget.epochs as f64, "budget.epochs")?;
    bounds::BATCH_SIZE.check(budget.batch_size as f64, "budget.batch_size")?;
    match &budget.optimizer {
        OptimizerSpec::Adam { lr, weight_decay } => {
            bounds::LEARNING_RATE.check(*lr, "budget.optimizer.lr")?;
            bounds::WEIGHT_DECAY.check(*weight_decay, "budget.optimizer.weight_decay")?;
        }
        OptimizerSpec::Sgd {
            lr,
            momentum,
            weight_decay,
            ..
        } => {
            bounds::LEARNING_RATE.check(*lr, "budget.optimizer.lr")?;
            bounds::WEIGHT_DECAY.check(*weight_decay, "budget.optimizer.weight_decay")?;
            bounds::MOMENTUM.check(*momentum, "budget.optimizer.momentum")?;
        }
    }
    match &budget.schedule {
        LrSchedule::Constant => {}
        LrSchedule::Step { gamma, .. } => bounds::GAMMA.check(*gamma, "budget.schedule.gamma")?,
        LrSchedule::Cosine { min_lr } => bounds::MIN_LR.check(*min_lr, "budget.schedule.min_lr")?,
    }
    Ok(())
}

/// Layer widths or channel counts: at most [`MAX_LAYERS`] of them, each a [`bounds::WIDTH`].
fn check_sizes(sizes: &[usize], at: &str) -> Result<(), SpecError> {
    if sizes.len() > MAX_LAYERS {
        return Err(SpecError::new(
            at,
            format!("at most {MAX_LAYERS} layers, got {}", sizes.len()),
        ));
    }
    for (j, &size) in sizes.iter().enumerate() {
        bounds::WIDTH.check(size as f64, format!("{at}[{j}]"))?;
    }
    Ok(())
}

/// Most parameters a model may have.
const MAX_PARAMS: f64 = 200e6;

/// An upper bound of a resolved architecture's parameters, computed without building it (a
/// CNN is bounded as if it never pooled; a ResNet as if every block had its widest width).
fn param_upper_bound(arch: &Architecture, input: InputShape) -> f64 {
    let pixels = (input.height * input.width) as f64;
    match arch {
        Architecture::Mlp(m) => {
            let mut widths = vec![input.channels as f64 * pixels];
            widths.extend(m.hidden.iter().map(|&h| h as f64));
            widths.push(input.classes as f64);
            widths.windows(2).map(|w| (w[0] + 1.0) * w[1]).sum()
        }
        Architecture::Cnn(c) => {
            let mut channels = vec![input.channels as f64];
            channels.extend(c.channels.iter().map(|&h| h as f64));
            let convs: f64 = channels
                .windows(2)
                .map(|w| 9.0 * w[0] * w[1] + 2.0 * w[1])
                .sum();
            let last = channels.last().copied().unwrap_or(1.0);
            convs + (last * pixels + 1.0) * c.fc as f64 + (c.fc as f64 + 1.0) * input.classes as f64
        }
        Architecture::Resnet(r) => {
            let widest = 64.0 * r.width;
            r.depth as f64 * (9.0 * widest * widest + 2.0 * widest) + widest * input.classes as f64
        }
        Architecture::Preset { .. } => 0.0,
    }
}

/// Checks a resolved architecture's sizes for `input`; `at` is its field path.
pub fn check_architecture(
    arch: &Architecture,
    input: InputShape,
    at: &str,
) -> Result<(), SpecError> {
    validate_architecture(arch, at)?;
    let bound = param_upper_bound(arch, input);
    if bound > MAX_PARAMS {
        return Err(SpecError::new(
            at,
            format!(
                "too large: up to {:.0} million parameters; this lab trains models of at most {:.0} million",
                bound / 1e6,
                MAX_PARAMS / 1e6
            ),
        ));
    }
    Ok(())
}

fn validate_architecture(arch: &Architecture, at: &str) -> Result<(), SpecError> {
    match arch {
        Architecture::Mlp(m) => check_sizes(&m.hidden, &format!("{at}.hidden"))?,
        Architecture::Cnn(c) => {
            if c.channels.is_empty() {
                return Err(SpecError::new(
                    format!("{at}.channels"),
                    "needs at least one conv layer",
                ));
            }
            check_sizes(&c.channels, &format!("{at}.channels"))?;
            bounds::WIDTH.check(c.fc as f64, format!("{at}.fc"))?;
        }
        Architecture::Resnet(r) => {
            if !bounds::resnet_depths().contains(&r.depth) {
                return Err(SpecError::new(
                    format!("{at}.depth"),
                    format!(
                        "must be 6n + 2 with n ≥ 1, at most 110 (8, 14, 20, 32, 56, ...), got {}",
                        r.depth
                    ),
                ));
            }
            bounds::RESNET_WIDTH.check(r.width, format!("{at}.width"))?;
        }
        Architecture::Preset { .. } => unreachable!("presets are resolved before validation"),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::parse_spec;

    fn spec(json: &str) -> ExperimentSpec {
        parse_spec(json).expect("test spec parses")
    }

    const KD: &str = r#"{"chain": [
        {"architecture": {"kind": "preset", "name": "cnn-m"}},
        {"architecture": {"kind": "preset", "name": "cnn-xs"}, "link": {"terms": [{"method": "kd"}]}}]}"#;

    #[test]
    fn presets_and_defaults_are_resolved() {
        let v = validate(spec(KD)).unwrap();
        assert!(matches!(v.spec.chain[1].architecture, Architecture::Cnn(_)));
        assert_eq!(v.spec.chain[1].link.ce_weight, Some(0.1), "KD's CE weight");
        assert_eq!(v.spec.chain[0].name.as_deref(), Some("teacher"));
        assert_eq!(v.spec.chain[1].name.as_deref(), Some("student"));
        assert!(v.params[0] > v.params[1]);
        assert!(v.warnings.is_empty());
    }

    #[test]
    fn a_non_positive_temperature_is_rejected_by_field() {
        let err = validate(spec(
            &KD.replace(r#""method": "kd""#, r#""method": "kd", "temperature": 0"#),
        ))
        .unwrap_err();
        assert_eq!(err.field, "chain[1].link.terms[0].temperature");
    }

    #[test]
    fn an_empty_chain_is_rejected() {
        assert_eq!(
            validate(spec(r#"{"chain": []}"#)).unwrap_err().field,
            "chain"
        );
    }

    #[test]
    fn an_unknown_preset_is_rejected_by_field() {
        let err = validate(spec(&KD.replace("cnn-xs", "cnn-xxl"))).unwrap_err();
        assert_eq!(err.field, "chain[1].architecture.name");
        assert!(err.message.contains("cnn-xxl"));
    }

    #[test]
    fn attention_transfer_into_an_mlp_is_rejected() {
        let json = KD
            .replace("cnn-xs", "mlp-s")
            .replace(r#""method": "kd""#, r#""method": "at""#);
        let err = validate(spec(&json)).unwrap_err();
        assert_eq!(err.field, "chain[1].link.terms[0].method");
    }

    #[test]
    fn a_student_larger_than_its_teacher_is_allowed_with_a_warning() {
        let json = KD.replace("cnn-xs", "cnn-l");
        let v = validate(spec(&json)).unwrap();
        assert_eq!(v.warnings.len(), 1, "{:?}", v.warnings);
    }

    #[test]
    fn the_first_stage_cannot_distil() {
        let json = r#"{"chain": [{"architecture": {"kind": "preset", "name": "cnn-m"},
                                   "link": {"terms": [{"method": "kd"}]}}]}"#;
        assert_eq!(validate(spec(json)).unwrap_err().field, "chain[0].link");
    }

    #[test]
    fn a_resnet_depth_that_is_not_6n_plus_2_is_rejected() {
        let json = KD.replace(
            r#"{"kind": "preset", "name": "cnn-xs"}"#,
            r#"{"kind": "resnet", "depth": 10}"#,
        );
        assert_eq!(
            validate(spec(&json)).unwrap_err().field,
            "chain[1].architecture.depth"
        );
    }
}
