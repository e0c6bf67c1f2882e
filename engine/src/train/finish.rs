//! The end of a run: save the final model, measure it, and write its report.

use api::{ModelMeasurements, RunReport};
use burn::module::Module;

use super::checkpoint::Progress;
use super::{
    evaluate, measure_inference, Checkpoint, CheckpointError, ProgressSink, RunContext, RunPlan,
    TrainError, TrainEvent, TrainedModel,
};
use crate::models::Net;

/// Measures the trained model (`trained`, still on the training device), saves it, and reports.
pub(super) fn finish(
    plan: &RunPlan<'_>,
    ctx: &RunContext<'_>,
    trained: Net,
    progress: Progress,
    resumed: usize,
    checkpoint: Option<&Checkpoint>,
    sink: &mut dyn ProgressSink,
) -> Result<TrainedModel, TrainError> {
    let params = trained.trainable_params();
    let net = trained.valid();
    if let Some(cp) = checkpoint {
        cp.save_model(&net)?;
    }
    let last = progress
        .epochs
        .last()
        .expect("a budget has at least one epoch");
    // A run reused whole from its checkpoint is evaluated again, so its accuracy is measured on
    // the weights that were loaded, not copied from the run that saved them.
    let (top1, top5) = if resumed == plan.budget.epochs {
        let eval = evaluate(
            &net,
            &ctx.data.test,
            ctx.batcher,
            ctx.data.classes,
            &ctx.device.device,
        );
        (eval.top1, eval.top5)
    } else {
        (last.test_accuracy, last.test_top5)
    };
    let timing = measure_inference(&net, &ctx.data.test, ctx.batcher, &ctx.device.device);
    let measurements = ModelMeasurements {
        top1,
        top5,
        params,
        bytes: net
            .serialized_bytes()
            .map_err(|e| CheckpointError::Record {
                path: "<in memory>".into(),
                message: e.to_string(),
            })?,
        latency_p50_ms: timing.p50_ms,
        latency_p95_ms: timing.p95_ms,
        latency_runs: timing.runs,
        throughput_per_s: timing.throughput_per_s,
        train_samples_per_s: progress.samples as f64 / progress.train_seconds.max(1e-9),
        train_seconds: progress.train_seconds,
    };
    let report = RunReport {
        id: plan.run.id.clone(),
        kind: plan.run.kind,
        stage_index: plan.run.stage_index,
        stage_name: plan.run.stage_name.clone(),
        seed: plan.run.seed,
        architecture: plan.architecture.clone(),
        teacher_run: plan.teacher.map(|t| t.report.id.clone()),
        backend: ctx.device.backend.as_str().to_string(),
        device: ctx.device.name.clone(),
        epochs: progress.epochs,
        measurements,
        resumed_after_epoch: (resumed > 0).then_some(resumed),
    };
    sink.event(TrainEvent::RunFinished { report: &report });
    Ok(TrainedModel {
        net,
        report,
        fingerprint: progress.fingerprint,
    })
}
