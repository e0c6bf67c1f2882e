//! A sequential driver of a whole experiment for the engine's own tests: every planned run in
//! order, each taught by the model trained before it. The product orders and trains runs with
//! the server's job system (`distill serve` and `distill run`); this is the smallest loop that
//! exercises the engine without it.

use std::path::Path;

use api::ExperimentReport;
use engine::data::Split;
use engine::device::ComputeDevice;
use engine::spec::ValidatedSpec;
use engine::train::{
    plan_runs, train_run, CancelToken, ExperimentData, ProgressSink, RunPlan, TrainError,
    TrainedModel,
};

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

/// Trains every run of the experiment, in order. `imported` is the model a first stage
/// `from_run` is taken from (loaded by the caller, which knows where runs live).
pub fn run_experiment(
    validated: &ValidatedSpec,
    ctx: &ExperimentContext<'_>,
    imported: Option<&TrainedModel>,
    sink: &mut dyn ProgressSink,
) -> Result<ExperimentReport, TrainError> {
    let spec = &validated.spec;
    let prepared = ExperimentData::prepare(spec, ctx.data);
    let run_ctx = prepared.context(ctx.device, ctx.checkpoints, ctx.cancel);
    let mut reports = Vec::new();
    let mut trained: Vec<TrainedModel> = Vec::new();
    for planned in plan_runs(validated) {
        let teacher = planned
            .teacher
            .as_ref()
            .and_then(|id| trained.iter().find(|t| &t.report.id == id));
        let plan = RunPlan {
            imported: planned.from_run.as_ref().and(imported),
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
        conventions: engine::LOSS_CONVENTIONS.to_string(),
        runs: reports,
    })
}
