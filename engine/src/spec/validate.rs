//! Checks a parsed spec against what the engine can run, resolves presets, per-stage budgets,
//! the validation split and default hyperparameters into a plan of stages, and collects
//! warnings that do not stop a run.

use api::{Architecture, Budget, DatasetName, ExperimentSpec, LinkSpec, LrSchedule, OptimizerSpec};

use super::architecture_rules::check_architecture;
use super::bounds::{self, MAX_SEEDS, MAX_STAGES};
use super::link_rules::{fill_ce_weight, has_distillation, validate_link};
use super::SpecError;
use crate::data::{describe, DataDirs, DatasetInfo};
use crate::distill::{distiller, pre_activation, reads_teacher_features, StagePair};
use crate::models::{resolve, InputShape, Net, PreActivation, StageShape};

/// One stage as it will run: everything resolved.
#[derive(Debug, Clone, PartialEq)]
pub struct Stage {
    /// Position in the chain.
    pub index: usize,
    /// Its label.
    pub name: String,
    /// Its model, presets resolved.
    pub architecture: Architecture,
    /// How the previous stage teaches it (empty for the first stage).
    pub link: LinkSpec,
    /// Its budget (its own, or the experiment's).
    pub budget: Budget,
    /// The earlier run it is taken from, instead of training (first stage only).
    pub from_run: Option<String>,
    /// Trainable parameters of its model.
    pub params: usize,
}

/// A spec that can run: presets resolved, defaults filled, the stages planned, plus warnings.
#[derive(Debug, Clone)]
pub struct ValidatedSpec {
    /// The resolved spec (what is stored and shown).
    pub spec: ExperimentSpec,
    /// Every stage as it will run, teacher first.
    pub stages: Vec<Stage>,
    /// Things worth telling the user that do not stop the run.
    pub warnings: Vec<String>,
}

/// What the caller found about the run a first stage is taken from (`from_run`): the engine
/// knows no store, so the server or the CLI looks it up.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportedModel {
    /// The run's id.
    pub run_id: String,
    /// Its resolved architecture.
    pub architecture: Architecture,
    /// The dataset it was trained on.
    pub dataset: DatasetName,
}

/// The input shape of a dataset.
pub fn input_shape_of(info: &DatasetInfo) -> InputShape {
    InputShape {
        channels: info.channels,
        height: info.height,
        width: info.width,
        classes: info.classes,
    }
}

/// Facts about a spec's dataset, built in or registered in `dirs` (an error on `dataset.name`
/// when there is no such dataset).
pub fn dataset_of(spec: &ExperimentSpec, dirs: &DataDirs) -> Result<DatasetInfo, SpecError> {
    describe(&spec.dataset.name, dirs).map_err(|e| SpecError::new("dataset.name", e.to_string()))
}

/// Who wrote a spec: a user, who may not write an ONNX architecture (such a model is imported,
/// then named by `from_run`), or a model import, whose one stage is the imported file's model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Author {
    /// A user's spec.
    User,
    /// The one-stage spec of a model import.
    ModelImport,
}

/// Validates and resolves `spec`, whose first stage may be taken from `imported` (the run its
/// `from_run` names, as the caller found it) and whose registered dataset is looked up in `dirs`.
pub fn validate(
    spec: ExperimentSpec,
    imported: Option<&ImportedModel>,
    dirs: &DataDirs,
) -> Result<ValidatedSpec, SpecError> {
    validate_by(spec, imported, dirs, Author::User)
}

/// [`validate`] for a spec written by `author`.
pub fn validate_by(
    mut spec: ExperimentSpec,
    imported: Option<&ImportedModel>,
    dirs: &DataDirs,
    author: Author,
) -> Result<ValidatedSpec, SpecError> {
    let mut warnings = Vec::new();
    let dataset_info = dataset_of(&spec, dirs)?;
    let training = fill_validation(&mut spec, dataset_info.train_size)?;
    validate_budget(&spec.budget, "budget", training)?;
    validate_seeds(&spec.seeds, "seeds", 1)?;
    if spec.chain.is_empty() || spec.chain.len() > MAX_STAGES {
        return Err(SpecError::new(
            "chain",
            format!(
                "needs 1 to {MAX_STAGES} stages (teacher first, student last), got {}",
                spec.chain.len()
            ),
        ));
    }
    let input = input_shape_of(&dataset_info);
    let count = spec.chain.len();
    let mut stages: Vec<Stage> = Vec::with_capacity(count);
    let mut shapes: Vec<Vec<StageShape>> = Vec::with_capacity(count);
    let mut embeddings: Vec<usize> = Vec::with_capacity(count);
    let (dataset, experiment_budget) = (spec.dataset.name.clone(), spec.budget.clone());
    for (i, stage) in spec.chain.iter_mut().enumerate() {
        let at = format!("chain[{i}]");
        let architecture = stage_architecture(stage, i, imported, &dataset, &at)?;
        if matches!(architecture, Architecture::Onnx(_))
            && author == Author::User
            && stage.from_run.is_none()
        {
            return Err(SpecError::new(
                format!("{at}.architecture"),
                "an ONNX model is frozen and cannot be trained: import its file (POST /api/models, `distill model import FILE.onnx`) and name that run in `chain[0].from_run`",
            ));
        }
        check_architecture(&architecture, input, &format!("{at}.architecture"))?;
        stage.architecture = Some(architecture.clone());
        let name = stage
            .name
            .get_or_insert_with(|| default_stage_name(i, count))
            .clone();
        let budget = stage
            .budget
            .get_or_insert(experiment_budget.clone())
            .clone();
        if stage.budget.as_ref() != Some(&experiment_budget) {
            validate_budget(&budget, &format!("{at}.budget"), training)?;
        }
        let stage_shapes = Net::stage_shapes(&architecture, input);
        let embedding = Net::embedding_width(&architecture, input);
        let params = Net::parameter_count(&architecture, input);
        if i == 0 {
            if has_distillation(&stage.link) {
                return Err(SpecError::new(
                    format!("{at}.link"),
                    "the first stage has no teacher, so it can only learn from labels: remove its distillation terms and curriculum",
                ));
            }
        } else {
            teacher_rules(&stage.link, &stages[i - 1].architecture, &at)?;
            let pair = StagePair {
                student: &stage_shapes,
                teacher: &shapes[i - 1],
                student_embedding: embedding,
                teacher_embedding: embeddings[i - 1],
                teacher_norms: &[],
            };
            validate_link(
                &mut stage.link,
                &at,
                (budget.epochs, &budget.optimizer),
                &pair,
            )?;
            if params > stages[i - 1].params {
                warnings.push(format!(
                    "{at}: the student ({params} parameters) is larger than its teacher ({} parameters)",
                    stages[i - 1].params
                ));
            }
        }
        fill_ce_weight(&mut stage.link, &at)?;
        shapes.push(stage_shapes);
        embeddings.push(embedding);
        stages.push(Stage {
            index: i,
            name,
            architecture,
            link: stage.link.clone(),
            budget,
            from_run: stage.from_run.clone(),
            params,
        });
    }
    if spec.baseline && matches!(stages[count - 1].architecture, Architecture::Onnx(_)) {
        return Err(SpecError::new(
            "baseline",
            "the last stage is a frozen ONNX model, which cannot be trained as a baseline: add a student stage or leave the baseline out",
        ));
    }
    if spec.baseline && count == 1 {
        warnings.push("baseline: a one-stage chain has no distillation to compare against; the baseline repeats the teacher".into());
    }
    Ok(ValidatedSpec {
        spec,
        stages,
        warnings,
    })
}

/// What a teacher cannot give its link: batch norms before its stages' ReLU (OFD's margin)
/// where it has none; for an ONNX teacher, the stages before their ReLU (OFD, ReviewKD) and
/// any features when none were chosen at its import.
fn teacher_rules(link: &LinkSpec, teacher: &Architecture, at: &str) -> Result<(), SpecError> {
    let reads_norms = link
        .terms
        .iter()
        .any(|t| distiller(t).reads_teacher_norms());
    if reads_norms && matches!(teacher, Architecture::Shufflenetv2(_)) {
        return Err(SpecError::new(
            format!("{at}.link.terms"),
            "OFD's margin reads the batch norm before each of the teacher's stage ReLUs, which this teacher has not (a ShuffleNetV2's stages end in a concatenation); as in mdistiller it cannot be OFD's teacher",
        ));
    }
    let Architecture::Onnx(onnx) = teacher else {
        return Ok(());
    };
    if onnx.features.is_empty() && reads_teacher_features(link) {
        return Err(SpecError::new(
            format!("{at}.link.terms"),
            "a method here reads the teacher's features, and this ONNX teacher was imported without feature outputs: import it again naming them (`features`), or use a logit method",
        ));
    }
    if pre_activation(link) == PreActivation::Keep {
        return Err(SpecError::new(
            format!("{at}.link.terms"),
            "a method here reads the teacher's stages before their ReLU, which an ONNX teacher does not expose; use a logit method, or a feature method (AT, FitNet, MGD, …) on the outputs chosen at its import",
        ));
    }
    Ok(())
}

/// The architecture of stage `i`: the one written, or that of the run it is taken from.
fn stage_architecture(
    stage: &api::StageSpec,
    i: usize,
    imported: Option<&ImportedModel>,
    dataset: &DatasetName,
    at: &str,
) -> Result<Architecture, SpecError> {
    let written = stage
        .architecture
        .as_ref()
        .map(|a| resolve(a).map_err(|m| SpecError::new(format!("{at}.architecture.name"), m)))
        .transpose()?;
    let Some(run_id) = &stage.from_run else {
        return written.ok_or_else(|| {
            SpecError::new(
                format!("{at}.architecture"),
                "every stage needs an architecture (or, for the first stage, `from_run`)",
            )
        });
    };
    let field = format!("{at}.from_run");
    if i > 0 {
        return Err(SpecError::new(
            field,
            "only the first stage can be taken from an earlier run; later stages are taught by the one before",
        ));
    }
    let imported = imported
        .filter(|m| &m.run_id == run_id)
        .ok_or_else(|| SpecError::new(&field, format!("there is no run `{run_id}`")))?;
    if &imported.dataset != dataset {
        return Err(SpecError::new(
            field,
            format!(
                "run {run_id} was trained on {}, this experiment uses {dataset}: a teacher must know the same classes",
                imported.dataset
            ),
        ));
    }
    match written {
        Some(a) if a != imported.architecture => Err(SpecError::new(
            format!("{at}.architecture"),
            format!("differs from the architecture of run {run_id}; leave it out to use the run's"),
        )),
        _ => Ok(imported.architecture.clone()),
    }
}

/// The validation split of a spec that does not give one: a tenth of the `used` training
/// samples, at least one. The one place this default is computed (the validator writes it into
/// every resolved spec; training reads it from there).
pub fn default_validation_samples(used: usize) -> usize {
    (used / 10).max(1)
}

/// Checks the subsets and fills in the validation split: [`default_validation_samples`] by
/// default, at most half of the samples used. Returns how many training samples are left.
fn fill_validation(spec: &mut ExperimentSpec, available: usize) -> Result<usize, SpecError> {
    let dataset = &mut spec.dataset;
    for (field, value) in [
        ("dataset.train_subset", dataset.train_subset),
        ("dataset.test_subset", dataset.test_subset),
        ("dataset.validation", dataset.validation),
    ] {
        if let Some(n) = value {
            bounds::SAMPLES.check(n as f64, field)?;
        }
    }
    let used = dataset.train_subset.map_or(available, |n| n.min(available));
    let validation = *dataset
        .validation
        .get_or_insert(default_validation_samples(used));
    if used < 2 || validation > used / 2 {
        return Err(SpecError::new(
            "dataset.validation",
            format!(
                "at most half of the {used} training samples used can be held out for validation, got {validation}"
            ),
        ));
    }
    Ok(used - validation)
}

/// Checks the seeds of list `field`: at least `at_least` and at most [`MAX_SEEDS`], each within
/// [`bounds::SEED`], all distinct.
pub(crate) fn validate_seeds(seeds: &[u64], field: &str, at_least: usize) -> Result<(), SpecError> {
    if seeds.len() < at_least || seeds.len() > MAX_SEEDS {
        return Err(SpecError::new(
            field,
            format!("needs {at_least} to {MAX_SEEDS} seeds, got {}", seeds.len()),
        ));
    }
    for (i, &seed) in seeds.iter().enumerate() {
        bounds::SEED.check(seed as f64, format!("{field}[{i}]"))?;
    }
    let mut seen = seeds.to_vec();
    seen.sort_unstable();
    if seen.windows(2).any(|w| w[0] == w[1]) {
        return Err(SpecError::new(field, "seeds must be distinct"));
    }
    Ok(())
}

fn default_stage_name(index: usize, stages: usize) -> String {
    match index {
        0 => "teacher".into(),
        i if i + 1 == stages => "student".into(),
        _ if stages == 3 => "ta".into(),
        i => format!("ta{i}"),
    }
}

/// Checks a budget; `at` is its field path (`budget`, `chain[0].budget`); `training` is how
/// many training samples there are to take from.
fn validate_budget(budget: &Budget, at: &str, training: usize) -> Result<(), SpecError> {
    let field = |name: &str| format!("{at}.{name}");
    bounds::EPOCHS.check(budget.epochs as f64, field("epochs"))?;
    bounds::BATCH_SIZE.check(budget.batch_size as f64, field("batch_size"))?;
    if let Some(samples) = budget.samples {
        bounds::SAMPLES.check(samples as f64, field("samples"))?;
        if samples > training {
            return Err(SpecError::new(
                field("samples"),
                format!("there are {training} training samples (after the validation split), got {samples}"),
            ));
        }
    }
    match &budget.optimizer {
        OptimizerSpec::Adam { lr, weight_decay } => {
            bounds::LEARNING_RATE.check(*lr, field("optimizer.lr"))?;
            bounds::WEIGHT_DECAY.check(*weight_decay, field("optimizer.weight_decay"))?;
        }
        OptimizerSpec::Sgd {
            lr,
            momentum,
            weight_decay,
            ..
        } => {
            bounds::LEARNING_RATE.check(*lr, field("optimizer.lr"))?;
            bounds::WEIGHT_DECAY.check(*weight_decay, field("optimizer.weight_decay"))?;
            bounds::MOMENTUM.check(*momentum, field("optimizer.momentum"))?;
        }
    }
    match &budget.schedule {
        LrSchedule::Constant => {}
        LrSchedule::Step { gamma, .. } => bounds::GAMMA.check(*gamma, field("schedule.gamma"))?,
        LrSchedule::Cosine { min_lr } => bounds::MIN_LR.check(*min_lr, field("schedule.min_lr"))?,
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
        let v = validate(spec(KD), None, &DataDirs::default()).unwrap();
        assert!(matches!(
            v.spec.chain[1].architecture,
            Some(Architecture::Cnn(_))
        ));
        assert_eq!(v.spec.chain[1].link.ce_weight, Some(0.1), "KD's CE weight");
        assert_eq!(v.spec.chain[0].name.as_deref(), Some("teacher"));
        assert_eq!(v.spec.chain[1].name.as_deref(), Some("student"));
        assert!(v.stages[0].params > v.stages[1].params);
        assert_eq!(
            v.spec.dataset.validation,
            Some(6_000),
            "10 % of Fashion-MNIST's 60,000"
        );
        assert_eq!(v.stages[1].budget, v.spec.budget);
        assert!(v.warnings.is_empty());
    }

    #[test]
    fn a_dataset_neither_built_in_nor_registered_is_refused_with_how_to_register_it() {
        let empty = tempfile::tempdir().unwrap();
        let err = validate(
            spec(&KD.replacen('{', r#"{"dataset": {"name": "my-icons"}, "#, 1)),
            None,
            &DataDirs::with_explicit(empty.path()),
        )
        .unwrap_err();
        assert_eq!(err.field, "dataset.name");
        assert!(err.message.contains("distill data add my-icons"), "{err}");
    }

    #[test]
    fn a_non_positive_temperature_is_rejected_by_field() {
        let err = validate(
            spec(&KD.replace(r#""method": "kd""#, r#""method": "kd", "temperature": 0"#)),
            None,
            &DataDirs::default(),
        )
        .unwrap_err();
        assert_eq!(err.field, "chain[1].link.terms[0].temperature");
    }

    #[test]
    fn an_empty_chain_is_rejected() {
        assert_eq!(
            validate(spec(r#"{"chain": []}"#), None, &DataDirs::default())
                .unwrap_err()
                .field,
            "chain"
        );
    }

    #[test]
    fn an_unknown_preset_is_rejected_by_field() {
        let err = validate(
            spec(&KD.replace("cnn-xs", "cnn-xxl")),
            None,
            &DataDirs::default(),
        )
        .unwrap_err();
        assert_eq!(err.field, "chain[1].architecture.name");
        assert!(err.message.contains("cnn-xxl"));
    }

    #[test]
    fn attention_transfer_into_an_mlp_is_rejected() {
        let json = KD
            .replace("cnn-xs", "mlp-s")
            .replace(r#""method": "kd""#, r#""method": "at""#);
        let err = validate(spec(&json), None, &DataDirs::default()).unwrap_err();
        assert_eq!(err.field, "chain[1].link.terms[0].method");
    }

    #[test]
    fn a_shufflenetv2_cannot_be_ofds_teacher_but_can_be_its_student() {
        let shuffle = r#"{"kind": "shufflenetv2", "size": 0.2}"#;
        let chain = |teacher: &str, student: &str| {
            format!(
                r#"{{"chain": [{{"architecture": {teacher}}},
                    {{"architecture": {student}, "link": {{"terms": [{{"method": "ofd"}}]}}}}]}}"#
            )
        };
        let resnet = r#"{"kind": "resnet", "depth": 8}"#;
        let err = validate(spec(&chain(shuffle, resnet)), None, &DataDirs::default()).unwrap_err();
        assert_eq!(err.field, "chain[1].link.terms");
        assert!(
            err.message.contains("cannot be OFD's teacher"),
            "{}",
            err.message
        );
        assert!(validate(spec(&chain(resnet, shuffle)), None, &DataDirs::default()).is_ok());
    }

    #[test]
    fn a_shufflenetv2_size_mdistiller_does_not_define_is_refused_by_field() {
        let json = KD.replace(
            r#"{"kind": "preset", "name": "cnn-xs"}"#,
            r#"{"kind": "shufflenetv2", "size": 0.7}"#,
        );
        let err = validate(spec(&json), None, &DataDirs::default()).unwrap_err();
        assert_eq!(err.field, "chain[1].architecture.size");
        assert!(
            err.message.contains("0.2, 0.3, 0.5, 1, 1.5 or 2"),
            "{}",
            err.message
        );
    }

    #[test]
    fn a_student_larger_than_its_teacher_is_allowed_with_a_warning() {
        let json = KD.replace("cnn-xs", "cnn-l");
        let v = validate(spec(&json), None, &DataDirs::default()).unwrap();
        assert_eq!(v.warnings.len(), 1, "{:?}", v.warnings);
    }

    #[test]
    fn the_first_stage_cannot_distil() {
        let json = r#"{"chain": [{"architecture": {"kind": "preset", "name": "cnn-m"},
                                   "link": {"terms": [{"method": "kd"}]}}]}"#;
        assert_eq!(
            validate(spec(json), None, &DataDirs::default())
                .unwrap_err()
                .field,
            "chain[0].link"
        );
    }

    #[test]
    fn a_resnet_depth_that_is_not_6n_plus_2_is_rejected() {
        let json = KD.replace(
            r#"{"kind": "preset", "name": "cnn-xs"}"#,
            r#"{"kind": "resnet", "depth": 10}"#,
        );
        assert_eq!(
            validate(spec(&json), None, &DataDirs::default())
                .unwrap_err()
                .field,
            "chain[1].architecture.depth"
        );
    }
}

#[cfg(test)]
mod stage_tests {
    use super::*;
    use crate::spec::parse_spec;
    use api::BuiltinDataset;

    const CHAIN: &str = r#"{"dataset": {"name": "synthetic", "train_subset": 1000},
        "chain": [
        {"architecture": {"kind": "preset", "name": "cnn-s"}, "budget": {"epochs": 7}},
        {"architecture": {"kind": "preset", "name": "cnn-xs"}, "link": {"terms": [{"method": "dist"}]}}]}"#;

    fn validated(json: &str, imported: Option<&ImportedModel>) -> Result<ValidatedSpec, SpecError> {
        validate(
            parse_spec(json).expect("test spec parses"),
            imported,
            &DataDirs::default(),
        )
    }

    #[test]
    fn a_seed_past_two_to_the_53_is_refused_naming_its_index() {
        let with_seeds = |seeds: &str| CHAIN.replacen('{', &format!(r#"{{"seeds": {seeds}, "#), 1);
        let largest = (1u64 << 53) - 1;
        assert!(validated(&with_seeds(&format!("[0, {largest}]")), None).is_ok());
        let err = validated(&with_seeds(&format!("[0, {}]", largest + 1)), None).unwrap_err();
        assert_eq!(err.field, "seeds[1]", "{err}");
    }

    #[test]
    fn a_stage_budget_overrides_the_experiment_budget_for_that_stage_only() {
        let v = validated(CHAIN, None).unwrap();
        assert_eq!(v.stages[0].budget.epochs, 7);
        assert_eq!(v.stages[1].budget.epochs, 2, "the experiment's default");
        assert_eq!(
            v.spec.chain[1].budget.as_ref(),
            Some(&v.spec.budget),
            "stored resolved"
        );
    }

    #[test]
    fn a_bad_stage_budget_is_named_inside_its_stage() {
        let json = CHAIN.replace(r#""epochs": 7"#, r#""epochs": 0"#);
        assert_eq!(
            validated(&json, None).unwrap_err().field,
            "chain[0].budget.epochs"
        );
    }

    #[test]
    fn the_validation_split_defaults_to_a_tenth_and_may_not_exceed_half() {
        assert_eq!(
            validated(CHAIN, None).unwrap().spec.dataset.validation,
            Some(100)
        );
        let json = CHAIN.replace(
            r#""train_subset": 1000"#,
            r#""train_subset": 1000, "validation": 501"#,
        );
        assert_eq!(
            validated(&json, None).unwrap_err().field,
            "dataset.validation"
        );
        let json = CHAIN.replace(
            r#""train_subset": 1000"#,
            r#""train_subset": 1000, "validation": 0"#,
        );
        assert_eq!(
            validated(&json, None).unwrap_err().field,
            "dataset.validation"
        );
    }

    fn from_run(json: &str) -> String {
        json.replace(
            r#"{"architecture": {"kind": "preset", "name": "cnn-s"}, "budget": {"epochs": 7}}"#,
            r#"{"from_run": "0123456789abcdef"}"#,
        )
    }

    #[test]
    fn a_first_stage_from_an_earlier_run_takes_its_architecture() {
        let model = ImportedModel {
            run_id: "0123456789abcdef".into(),
            architecture: resolve(&Architecture::Preset {
                name: "cnn-m".into(),
            })
            .unwrap(),
            dataset: DatasetName::from(BuiltinDataset::Synthetic),
        };
        let v = validated(&from_run(CHAIN), Some(&model)).unwrap();
        assert_eq!(v.stages[0].architecture, model.architecture);
        assert_eq!(v.stages[0].from_run.as_deref(), Some("0123456789abcdef"));
    }

    #[test]
    fn a_run_of_another_dataset_or_no_run_at_all_is_refused_by_field() {
        let other = ImportedModel {
            run_id: "0123456789abcdef".into(),
            architecture: resolve(&Architecture::Preset {
                name: "cnn-m".into(),
            })
            .unwrap(),
            dataset: BuiltinDataset::Mnist.into(),
        };
        let err = validated(&from_run(CHAIN), Some(&other)).unwrap_err();
        assert_eq!(err.field, "chain[0].from_run");
        assert!(err.message.contains("mnist"), "{err}");
        assert_eq!(
            validated(&from_run(CHAIN), None).unwrap_err().field,
            "chain[0].from_run"
        );
    }

    #[test]
    fn only_the_first_stage_can_come_from_a_run() {
        let json = CHAIN.replace(
            r#"{"architecture": {"kind": "preset", "name": "cnn-xs"}, "link""#,
            r#"{"from_run": "0123456789abcdef", "architecture": {"kind": "preset", "name": "cnn-xs"}, "link""#,
        );
        assert_eq!(
            validated(&json, None).unwrap_err().field,
            "chain[1].from_run"
        );
    }
}
