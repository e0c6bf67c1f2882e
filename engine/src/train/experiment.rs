//! A whole experiment: for every seed, each stage of the chain taught by the one before
//! (TAKD), then the CE-only baseline student as the control.

use std::path::Path;

use api::{ExperimentReport, ExperimentSpec, LinkSpec, RunKind};

use super::{train_run, CancelToken, ProgressSink, RunContext, RunPlan, TrainError, TrainedModel};
use crate::data::{catalog, Batcher, Split};
use crate::device::ComputeDevice;
use crate::spec::{input_shape, ValidatedSpec};

/// One run an experiment will train, in training order.
#[derive(Debug, Clone, PartialEq, Eq)]
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

/// The runs of a validated spec, in an order where every teacher comes before its students.
pub fn plan_runs(spec: &ExperimentSpec) -> Vec<PlannedRun> {
    let mut runs = Vec::new();
    for &seed in &spec.seeds {
        let mut teacher: Option<String> = None;
        for (i, stage) in spec.chain.iter().enumerate() {
            let name = stage.name.clone().unwrap_or_else(|| format!("stage{i}"));
            let id = format!("s{i}-{}-seed{seed}", file_safe(&name));
            runs.push(PlannedRun {
                id: id.clone(),
                kind: RunKind::Stage,
                stage_index: i,
                stage_name: name,
                seed,
                teacher: teacher.replace(id),
            });
        }
        if spec.baseline {
            runs.push(PlannedRun {
                id: format!("baseline-seed{seed}"),
                kind: RunKind::Baseline,
                stage_index: spec.chain.len() - 1,
                stage_name: "baseline".into(),
                seed,
                teacher: None,
            });
        }
    }
    runs
}

/// Where and on what an experiment runs.
#[derive(Debug, Clone, Copy)]
pub struct ExperimentContext<'a> {
    /// The full dataset; the spec's subsets are cut from it.
    pub data: &'a Split,
    /// The device.
    pub device: &'a ComputeDevice,
    /// Root of per-run checkpoint directories.
    pub checkpoints: Option<&'a Path>,
    /// Cancels the run in progress (and so the experiment).
    pub cancel: &'a CancelToken,
}

/// What every run of an experiment trains on: the spec's slice of the data, the normalisation
/// fitted to it, the input shape and whether to augment.
#[derive(Debug, Clone)]
pub struct ExperimentData {
    /// Train and test images, cut to the spec's subsets.
    pub data: Split,
    /// Normalisation fitted to the training images.
    pub batcher: Batcher,
    /// Image shape and classes.
    pub input: crate::models::InputShape,
    /// Crop + flip augmentation.
    pub augment: bool,
}

impl ExperimentData {
    /// Cuts `full` (the whole dataset) to what `spec` asks for.
    pub fn prepare(spec: &ExperimentSpec, full: &Split) -> ExperimentData {
        let data = Split {
            train: full
                .train
                .clone()
                .truncate(spec.dataset.train_subset.unwrap_or(usize::MAX)),
            test: full
                .test
                .clone()
                .truncate(spec.dataset.test_subset.unwrap_or(usize::MAX)),
            classes: full.classes,
        };
        ExperimentData {
            batcher: Batcher::fitted_to(&data.train),
            data,
            input: input_shape(spec),
            augment: spec
                .dataset
                .augment
                .unwrap_or(catalog(spec.dataset.name).augment_by_default),
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
            batcher: &self.batcher,
            input: self.input,
            device,
            checkpoints,
            cancel,
        }
    }
}

/// The link of the CE-only baseline student.
pub fn baseline_link() -> LinkSpec {
    LinkSpec {
        ce_weight: Some(api::defaults::CE_WEIGHT),
        ..LinkSpec::default()
    }
}

/// Trains every run of the experiment, in order.
pub fn run_experiment(
    validated: &ValidatedSpec,
    ctx: &ExperimentContext<'_>,
    sink: &mut dyn ProgressSink,
) -> Result<ExperimentReport, TrainError> {
    let spec = &validated.spec;
    let prepared = ExperimentData::prepare(spec, ctx.data);
    let run_ctx = prepared.context(ctx.device, ctx.checkpoints, ctx.cancel);
    let baseline_link = baseline_link();
    let mut reports = Vec::new();
    let mut trained: Vec<TrainedModel> = Vec::new();
    for planned in plan_runs(spec) {
        let stage = &spec.chain[planned.stage_index];
        let teacher = planned
            .teacher
            .as_ref()
            .and_then(|id| trained.iter().find(|t| &t.report.id == id));
        let plan = RunPlan {
            architecture: stage.architecture.clone(),
            link: match planned.kind {
                RunKind::Stage => stage.link.clone(),
                RunKind::Baseline => baseline_link.clone(),
            },
            budget: &spec.budget,
            augment: prepared.augment,
            teacher,
            run: planned,
        };
        let model = train_run(&plan, &run_ctx, sink)?;
        reports.push(model.report.clone());
        trained.push(model);
    }
    Ok(ExperimentReport {
        spec: spec.clone(),
        conventions: crate::LOSS_CONVENTIONS.to_string(),
        runs: reports,
    })
}
