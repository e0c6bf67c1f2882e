//! A whole experiment: for every seed, each stage of the chain taught by the one before
//! (TAKD), then the CE-only baseline student as the control. The plan of runs is made once,
//! from the validated stages, and carries each run's resolved model, link and budget to
//! wherever it trains.

use std::path::Path;

use api::{Architecture, Budget, ExperimentSpec, LinkSpec, RunKind};

use super::{CancelToken, RunContext};
use crate::data::{catalog, hold_out, Batcher, ImageSet, Split};
use crate::device::ComputeDevice;
use crate::models::InputShape;
use crate::spec::{Stage, ValidatedSpec};

/// One run an experiment will train, in training order, with everything it trains with.
#[derive(Debug, Clone, PartialEq)]
pub struct PlannedRun {
    /// Id within the experiment.
    pub id: String,
    /// Stage or baseline.
    pub kind: RunKind,
    /// Position in the chain (the student's for the baseline).
    pub stage_index: usize,
    /// Stage label.
    pub stage_name: String,
    /// Seed.
    pub seed: u64,
    /// Id of the run that teaches it.
    pub teacher: Option<String>,
    /// Its model.
    pub architecture: Architecture,
    /// How its teacher teaches it (cross-entropy alone for the first stage and baselines).
    pub link: LinkSpec,
    /// Its budget.
    pub budget: Budget,
    /// The earlier run whose model it is, instead of training (a first stage `from_run`).
    pub from_run: Option<String>,
}

impl PlannedRun {
    /// Epochs it trains: its budget's, or none for a model taken from an earlier run or
    /// imported from a file (which is evaluated, not trained).
    pub fn epochs_to_train(&self) -> usize {
        if self.is_evaluated_only() {
            0
        } else {
            self.budget.epochs
        }
    }

    /// Whether its model comes ready-made (a first stage `from_run`, or an `imported` run) and
    /// is only evaluated.
    pub fn is_evaluated_only(&self) -> bool {
        self.from_run.is_some() || self.kind == RunKind::Imported
    }

    /// Whether a finished run of the same configuration may stand in for it: a teacher (a
    /// stage before the last of a `chain_len`-stage chain) or a CE-only baseline. A student
    /// trains, and a model taken from an earlier run is evaluated again, never copied.
    pub fn is_reusable(&self, chain_len: usize) -> bool {
        let teaches = self.kind == RunKind::Stage && self.stage_index + 1 < chain_len;
        !self.is_evaluated_only() && (teaches || self.kind == RunKind::Baseline)
    }
}

fn file_safe(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect()
}

/// The link of the CE-only baseline student.
pub fn baseline_link() -> LinkSpec {
    LinkSpec {
        ce_weight: Some(api::defaults::CE_WEIGHT),
        ..LinkSpec::default()
    }
}

fn stage_run(stage: &Stage, seed: u64, id: String, teacher: Option<String>) -> PlannedRun {
    PlannedRun {
        id,
        kind: RunKind::Stage,
        stage_index: stage.index,
        stage_name: stage.name.clone(),
        seed,
        teacher,
        architecture: stage.architecture.clone(),
        link: stage.link.clone(),
        budget: stage.budget.clone(),
        from_run: stage.from_run.clone(),
    }
}

/// The runs of a validated spec, in an order where every teacher comes before its students.
/// A first stage taken from an earlier run is one run shared by every seed; a baseline is the
/// student's model and budget trained on labels alone, with the student's seed.
pub fn plan_runs(validated: &ValidatedSpec) -> Vec<PlannedRun> {
    let (spec, stages) = (&validated.spec, &validated.stages);
    let mut runs = Vec::new();
    let shared_first = stages[0].from_run.is_some().then(|| {
        let id = format!("s0-{}", file_safe(&stages[0].name));
        runs.push(stage_run(&stages[0], spec.seeds[0], id.clone(), None));
        id
    });
    for &seed in &spec.seeds {
        let mut teacher = shared_first.clone();
        for stage in stages.iter().skip(usize::from(shared_first.is_some())) {
            let id = format!("s{}-{}-seed{seed}", stage.index, file_safe(&stage.name));
            runs.push(stage_run(stage, seed, id.clone(), teacher.replace(id)));
        }
        if spec.baseline {
            let student = stages.last().expect("a validated chain has stages");
            runs.push(PlannedRun {
                kind: RunKind::Baseline,
                stage_name: "baseline".into(),
                link: baseline_link(),
                from_run: None,
                ..stage_run(student, seed, format!("baseline-seed{seed}"), None)
            });
        }
    }
    runs
}

/// What every run of an experiment trains on: the spec's slice of the data with its
/// validation samples held out, the normalisation fitted to the training images, the input
/// shape and whether to augment.
#[derive(Debug, Clone)]
pub struct ExperimentData {
    /// Train (validation samples excluded) and test images, cut to the spec's subsets.
    pub data: Split,
    /// The validation samples.
    pub validation: ImageSet,
    /// Normalisation fitted to the training images.
    pub batcher: Batcher,
    /// Image shape and classes.
    pub input: crate::models::InputShape,
    /// Crop + flip augmentation.
    pub augment: bool,
}

impl ExperimentData {
    /// Cuts `full` (the whole dataset) to what the resolved `spec` asks for.
    pub fn prepare(spec: &ExperimentSpec, full: &Split) -> ExperimentData {
        let used = full
            .train
            .clone()
            .truncate(spec.dataset.train_subset.unwrap_or(usize::MAX));
        let held = spec
            .dataset
            .validation
            .unwrap_or_else(|| crate::spec::default_validation_samples(used.len()));
        let (train, validation) = hold_out(&used, held, full.classes);
        let data = Split {
            train,
            test: full
                .test
                .clone()
                .truncate(spec.dataset.test_subset.unwrap_or(usize::MAX)),
            classes: full.classes,
            checksum: full.checksum.clone(),
        };
        ExperimentData {
            batcher: Batcher::fitted_to(&data.train),
            data,
            validation,
            input: InputShape {
                channels: full.train.channels,
                height: full.train.height,
                width: full.train.width,
                classes: full.classes,
            },
            augment: spec.dataset.augment.unwrap_or_else(|| {
                // Registered datasets are not augmented unless the spec asks.
                let builtin = spec.dataset.name.builtin();
                builtin.is_some_and(|b| catalog(b).augment_by_default)
            }),
        }
    }

    /// The context a run of this experiment trains in.
    pub fn context<'a>(
        &'a self,
        device: &'a ComputeDevice,
        checkpoints: Option<&'a Path>,
        cancel: &'a CancelToken,
    ) -> RunContext<'a> {
        RunContext {
            data: &self.data,
            validation: &self.validation,
            batcher: &self.batcher,
            input: self.input,
            device,
            checkpoints,
            cancel,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::DataDirs;
    use crate::spec::{parse_spec, validate};

    fn planned(chain: &str) -> Vec<PlannedRun> {
        let json = format!(
            r#"{{"dataset": {{"name": "synthetic"}}, "seeds": [0], "budget": {{"epochs": 3}}, "baseline": true,
                "chain": {chain}}}"#
        );
        plan_runs(&validate(parse_spec(&json).unwrap(), None, &DataDirs::default()).unwrap())
    }

    #[test]
    fn teachers_and_baselines_may_be_reused_and_students_always_train() {
        let runs = planned(
            r#"[{"architecture": {"kind": "preset", "name": "cnn-s"}},
                {"architecture": {"kind": "preset", "name": "cnn-xs"}, "link": {"terms": [{"method": "kd"}]}}]"#,
        );
        let reusable: Vec<(&str, bool)> = runs
            .iter()
            .map(|r| (r.stage_name.as_str(), r.is_reusable(2)))
            .collect();
        assert_eq!(
            reusable,
            [("teacher", true), ("student", false), ("baseline", true)]
        );
        assert!(runs.iter().all(|r| r.epochs_to_train() == 3));
    }
}
