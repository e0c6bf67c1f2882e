//! The end of a run: keep the reported model (the best validation epoch's), measure it, and
//! write the report; or, for a model taken from an earlier run, evaluate and measure it here.

use api::{ModelMeasurements, RunKind, RunReport};
use burn::module::Module;

use super::checkpoint::{BestEpoch, Progress};
use super::{
    evaluate, measure_inference, Checkpoint, CheckpointError, ProgressSink, RunContext, RunPlan,
    TrainError, TrainEvent, TrainedModel,
};
use crate::models::{Model, Net};

/// Measures the best validation epoch's model `best` (the last epoch's `trained`, still on the
/// training device, when no epoch was evaluated), saves it as the run's model, and reports.
#[allow(clippy::too_many_arguments)]
pub(super) fn finish(
    plan: &RunPlan<'_>,
    ctx: &RunContext<'_>,
    trained: Net,
    best: Option<Net>,
    progress: Progress,
    resumed: usize,
    checkpoint: Option<&Checkpoint>,
    sink: &mut dyn ProgressSink,
) -> Result<TrainedModel, TrainError> {
    let params = trained.trainable_params();
    let net = best.unwrap_or_else(|| trained.valid());
    if let Some(cp) = checkpoint {
        cp.save_model(&net)?;
    }
    let last = progress
        .epochs
        .last()
        .expect("a budget has at least one epoch");
    let mut chosen = progress.best.unwrap_or(BestEpoch {
        epoch: last.epoch,
        val_accuracy: last.val_accuracy.unwrap_or(f64::NAN),
        test_accuracy: last.test_accuracy,
        test_top5: last.test_top5,
    });
    // A run reused whole from its checkpoint is evaluated again, so its accuracy is measured on
    // the weights that were loaded, not copied from the run that saved them.
    if resumed == plan.run.budget.epochs {
        let eval = evaluate(
            &net,
            &ctx.data.test,
            ctx.batcher,
            ctx.data.classes,
            &ctx.device.device,
        );
        (chosen.test_accuracy, chosen.test_top5) = (eval.top1, eval.top5);
    }
    let top1_last = last.test_accuracy;
    let net = Model::Net(net);
    let measurements = measure(&net, ctx, params, chosen, top1_last, &progress)?;
    let report = RunReport {
        id: plan.run.id.clone(),
        kind: plan.run.kind,
        stage_index: plan.run.stage_index,
        stage_name: plan.run.stage_name.clone(),
        seed: plan.run.seed,
        architecture: plan.run.architecture.clone(),
        teacher_run: plan.teacher.map(|t| t.report.id.clone()),
        backend: ctx.device.backend.as_str().to_string(),
        device: ctx.device.description(),
        epochs: progress.epochs,
        measurements,
        resumed_after_epoch: (resumed > 0).then_some(resumed),
        imported_from: None,
    };
    sink.event(TrainEvent::RunFinished { report: &report });
    Ok(TrainedModel {
        model: net,
        report,
        fingerprint: progress.fingerprint,
    })
}

/// A first stage taken from an earlier run, or a model imported from a file: its model is
/// evaluated on this experiment's validation and test splits and measured on this device, and
/// kept in the run's own checkpoint directory (so it teaches even if the earlier run is
/// deleted); nothing is trained.
pub(super) fn import(
    plan: &RunPlan<'_>,
    ctx: &RunContext<'_>,
    model: &TrainedModel,
    sink: &mut dyn ProgressSink,
) -> Result<TrainedModel, TrainError> {
    if let Some(root) = ctx.checkpoints {
        Checkpoint::new(root, &plan.run.id, &model.fingerprint).save_trained(&model.model)?;
    }
    let device = &ctx.device.device;
    let classes = ctx.data.classes;
    let test = evaluate(&model.model, &ctx.data.test, ctx.batcher, classes, device);
    let val = evaluate(&model.model, ctx.validation, ctx.batcher, classes, device);
    let chosen = BestEpoch {
        epoch: 0,
        val_accuracy: val.top1,
        test_accuracy: test.top1,
        test_top5: test.top5,
    };
    let params = model.report.measurements.params;
    let progress = Progress::new(model.fingerprint.clone());
    let mut measurements = measure(&model.model, ctx, params, chosen, test.top1, &progress)?;
    measurements.train_samples_per_s = model.report.measurements.train_samples_per_s;
    measurements.train_seconds = 0.0;
    let report = RunReport {
        id: plan.run.id.clone(),
        kind: plan.run.kind,
        stage_index: plan.run.stage_index,
        stage_name: plan.run.stage_name.clone(),
        seed: plan.run.seed,
        architecture: model.report.architecture.clone(),
        teacher_run: None,
        backend: ctx.device.backend.as_str().to_string(),
        device: ctx.device.description(),
        epochs: Vec::new(),
        measurements,
        resumed_after_epoch: None,
        // An upload's origin is in its experiment's notes; a run's is its id.
        imported_from: (plan.run.kind != RunKind::Imported).then(|| model.report.id.clone()),
    };
    sink.event(TrainEvent::RunFinished { report: &report });
    Ok(TrainedModel {
        model: model.model.clone(),
        report,
        fingerprint: model.fingerprint.clone(),
    })
}

/// The measurements of the reported model `net`.
fn measure(
    net: &Model,
    ctx: &RunContext<'_>,
    params: usize,
    chosen: BestEpoch,
    top1_last: f64,
    progress: &Progress,
) -> Result<ModelMeasurements, TrainError> {
    let timing = measure_inference(net, &ctx.data.test, ctx.batcher, &ctx.device.device);
    let bytes = net
        .serialized_bytes()
        .map_err(|e| CheckpointError::Record {
            path: "<in memory>".into(),
            message: e.to_string(),
        })?;
    Ok(ModelMeasurements {
        top1_last,
        top1_val_best: Some(chosen.test_accuracy),
        val_best_epoch: Some(chosen.epoch),
        val_accuracy: chosen
            .val_accuracy
            .is_finite()
            .then_some(chosen.val_accuracy),
        top5: chosen.test_top5,
        params,
        bytes,
        latency_p50_ms: timing.p50_ms,
        latency_p95_ms: timing.p95_ms,
        latency_runs: timing.runs,
        throughput_per_s: timing.throughput_per_s,
        train_samples_per_s: progress.samples as f64 / progress.train_seconds.max(1e-9),
        train_seconds: progress.train_seconds,
    })
}
