//! Checks a parsed spec against what the engine can run, resolves presets and default
//! hyperparameters, and collects warnings that do not stop a run.

use api::{Architecture, Budget, ExperimentSpec, LrSchedule, OptimizerSpec};

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
    if value.is_finite() && value >= min {
        Ok(())
    } else {
        Err(SpecError::new(
            field,
            format!("must be a finite number ≥ {min}, got {value}"),
        ))
    }
}

pub(super) fn positive(value: f64, field: String) -> Result<(), SpecError> {
    if value.is_finite() && value > 0.0 {
        Ok(())
    } else {
        Err(SpecError::new(
            field,
            format!("must be a finite number > 0, got {value}"),
        ))
    }
}

/// Validates and resolves `spec`.
pub fn validate(mut spec: ExperimentSpec) -> Result<ValidatedSpec, SpecError> {
    let mut warnings = Vec::new();
    for (field, value) in [
        ("dataset.train_subset", spec.dataset.train_subset),
        ("dataset.test_subset", spec.dataset.test_subset),
    ] {
        if value == Some(0) {
            return Err(SpecError::new(field, "must be at least 1 sample"));
        }
    }
    validate_budget(&spec.budget)?;
    if spec.seeds.is_empty() {
        return Err(SpecError::new("seeds", "needs at least one seed"));
    }
    let mut seen = spec.seeds.clone();
    seen.sort_unstable();
    if seen.windows(2).any(|w| w[0] == w[1]) {
        return Err(SpecError::new("seeds", "seeds must be distinct"));
    }
    if spec.chain.is_empty() {
        return Err(SpecError::new(
            "chain",
            "needs at least one stage (teacher first, student last)",
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
    if !(1..=100_000).contains(&budget.epochs) {
        return Err(SpecError::new(
            "budget.epochs",
            format!("must be between 1 and 100000, got {}", budget.epochs),
        ));
    }
    if !(1..=65_536).contains(&budget.batch_size) {
        return Err(SpecError::new(
            "budget.batch_size",
            format!("must be between 1 and 65536, got {}", budget.batch_size),
        ));
    }
    match &budget.optimizer {
        OptimizerSpec::Adam { lr, weight_decay } => {
            positive(*lr, "budget.optimizer.lr".into())?;
            finite_at_least(*weight_decay, 0.0, "budget.optimizer.weight_decay".into())?;
        }
        OptimizerSpec::Sgd {
            lr,
            momentum,
            weight_decay,
            ..
        } => {
            positive(*lr, "budget.optimizer.lr".into())?;
            finite_at_least(*weight_decay, 0.0, "budget.optimizer.weight_decay".into())?;
            if !(0.0..1.0).contains(momentum) {
                return Err(SpecError::new(
                    "budget.optimizer.momentum",
                    format!("must be in [0, 1), got {momentum}"),
                ));
            }
        }
    }
    match &budget.schedule {
        LrSchedule::Constant => {}
        LrSchedule::Step { gamma, .. } => positive(*gamma, "budget.schedule.gamma".into())?,
        LrSchedule::Cosine { min_lr } => {
            finite_at_least(*min_lr, 0.0, "budget.schedule.min_lr".into())?
        }
    }
    Ok(())
}

/// Largest layer width, channel count and layer count a model may have: far beyond what this
/// lab trains, small enough that a typo cannot exhaust memory.
const MAX_WIDTH: usize = 16_384;
const MAX_LAYERS: usize = 32;

fn check_sizes(sizes: &[usize], at: &str, what: &str) -> Result<(), SpecError> {
    if sizes.len() > MAX_LAYERS {
        return Err(SpecError::new(
            at,
            format!("at most {MAX_LAYERS} layers, got {}", sizes.len()),
        ));
    }
    if let Some(j) = sizes.iter().position(|&h| h > MAX_WIDTH) {
        return Err(SpecError::new(
            format!("{at}[{j}]"),
            format!("{what} must be at most {MAX_WIDTH}, got {}", sizes[j]),
        ));
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
        Architecture::Mlp(m) => {
            check_sizes(&m.hidden, &format!("{at}.hidden"), "layer widths")?;
            if let Some(j) = m.hidden.iter().position(|&h| h == 0) {
                return Err(SpecError::new(
                    format!("{at}.hidden[{j}]"),
                    "layer widths must be at least 1",
                ));
            }
        }
        Architecture::Cnn(c) => {
            if c.channels.is_empty() {
                return Err(SpecError::new(
                    format!("{at}.channels"),
                    "needs at least one conv layer",
                ));
            }
            check_sizes(&c.channels, &format!("{at}.channels"), "channel counts")?;
            if c.fc > MAX_WIDTH {
                return Err(SpecError::new(
                    format!("{at}.fc"),
                    format!("must be at most {MAX_WIDTH}, got {}", c.fc),
                ));
            }
            if let Some(j) = c.channels.iter().position(|&h| h == 0) {
                return Err(SpecError::new(
                    format!("{at}.channels[{j}]"),
                    "channel counts must be at least 1",
                ));
            }
            if c.fc == 0 {
                return Err(SpecError::new(format!("{at}.fc"), "must be at least 1"));
            }
        }
        Architecture::Resnet(r) => {
            if r.depth < 8 || (r.depth - 2) % 6 != 0 || r.depth > 110 {
                return Err(SpecError::new(
                    format!("{at}.depth"),
                    format!(
                        "must be 6n + 2 with n ≥ 1, at most 110 (8, 14, 20, 32, 56, ...), got {}",
                        r.depth
                    ),
                ));
            }
            positive(r.width, format!("{at}.width"))?;
            if r.width > 16.0 {
                return Err(SpecError::new(
                    format!("{at}.width"),
                    format!("must be at most 16, got {}", r.width),
                ));
            }
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
