//! One run: a model trained to the end of its budget on one device, taught (or not) by a
//! trained teacher, checkpointed every epoch, resumable, cancellable between batches, and
//! measured at the end.

use std::time::Instant;

use api::{EpochMetrics, LossTerm, ModelMeasurements, RunReport};
use burn::optim::GradientsParams;
use burn::prelude::*;

use super::checkpoint::Progress;
use super::plan::fingerprint;
use super::stats::{batch_stats, EpochStats};
use super::{
    evaluate, learning_rate, measure_inference, softmax_outputs, Checkpoint, CheckpointError,
    Optimizer, ProgressSink, RunContext, RunPlan, Student, TrainError, TrainEvent, TrainedModel,
};
use crate::distill::{
    curriculum_fraction, link_loss, mgd_mask, rank_by_difficulty, BatchInputs, LinkModules,
};
use crate::models::{seeded, Features, Net};
use crate::rng::{purpose, Rng};

/// The teacher's features as constants of the student's graph.
fn teacher_features(teacher: &Net, images: &Tensor<4>) -> Features {
    let out = teacher.forward_features(images.clone().without_autodiff());
    Features {
        stages: out
            .stages
            .into_iter()
            .map(|s| s.detach().autodiff())
            .collect(),
        logits: out.logits.detach().autodiff(),
    }
}

/// Trains `plan` to the end of its budget, resuming from its checkpoint when there is one.
pub fn train_run(
    plan: &RunPlan<'_>,
    ctx: &RunContext<'_>,
    sink: &mut dyn ProgressSink,
) -> Result<TrainedModel, TrainError> {
    let device = &ctx.device.device;
    let train_device = device.clone().autodiff();
    let fingerprint = fingerprint(plan, ctx);
    let student_shapes = Net::stage_shapes(&plan.architecture, ctx.input);
    let teacher_shapes = plan
        .teacher
        .map(|t| Net::stage_shapes(&t.report.architecture, ctx.input))
        .unwrap_or_default();

    let mut student = seeded(&train_device, plan.run.seed, || Student {
        net: Net::init(&plan.architecture, ctx.input, &train_device),
        link: LinkModules::init(&plan.link, &student_shapes, &teacher_shapes, &train_device),
    });
    let mut optimizer = Optimizer::build(&plan.budget.optimizer);
    let checkpoint = ctx
        .checkpoints
        .map(|root| Checkpoint::new(root, &plan.run.id));
    let mut progress = Progress {
        fingerprint: fingerprint.clone(),
        epochs_done: 0,
        epochs: Vec::new(),
        train_seconds: 0.0,
        samples: 0,
    };
    if let Some(cp) = &checkpoint {
        if let Some(saved) = cp.progress(&fingerprint)? {
            (student, optimizer) = cp.restore(&saved, student, optimizer)?;
            progress = saved;
        }
    }
    let resumed = progress.epochs_done;
    let epochs = plan.budget.epochs;
    sink.event(TrainEvent::RunStarted {
        run_id: &plan.run.id,
        epochs,
        resumed_after_epoch: resumed,
        device: &ctx.device.name,
    });

    let curriculum_order = match (&plan.link.curriculum, plan.teacher) {
        (Some(c), Some(teacher)) if resumed < epochs => {
            let probs = softmax_outputs(
                &teacher.net,
                &ctx.data.train,
                ctx.batcher,
                ctx.data.classes,
                device,
            );
            Some((
                c,
                rank_by_difficulty(&probs, &ctx.data.train.labels, c.difficulty),
            ))
        }
        _ => None,
    };
    let mgd = plan.link.terms.iter().find_map(|t| match t {
        LossTerm::Mgd(p) => Some(p),
        _ => None,
    });

    for epoch in resumed + 1..=epochs {
        let lr = learning_rate(
            plan.budget.optimizer.lr(),
            &plan.budget.schedule,
            epoch,
            epochs,
        );
        let (mut indices, fraction) = match &curriculum_order {
            Some((c, order)) => {
                let f = curriculum_fraction(
                    epoch,
                    c.start,
                    c.full_at_epoch.unwrap_or(epochs),
                    c.pacing,
                );
                let take = ((order.len() as f64 * f).ceil() as usize).clamp(1, order.len());
                (order[..take].to_vec(), Some(f))
            }
            None => ((0..ctx.data.train.len()).collect::<Vec<_>>(), None),
        };
        Rng::derive(plan.run.seed, &[purpose::SHUFFLE, epoch as u64]).shuffle(&mut indices);
        let batches = indices.len().div_ceil(plan.budget.batch_size);
        let started = Instant::now();
        let mut stats: Option<EpochStats> = None;
        for (b, chunk) in indices.chunks(plan.budget.batch_size).enumerate() {
            if ctx.cancel.is_cancelled() {
                return Err(TrainError::Cancelled {
                    run_id: plan.run.id.clone(),
                    epochs_done: epoch - 1,
                });
            }
            let mut augment_rng =
                Rng::derive(plan.run.seed, &[purpose::AUGMENT, epoch as u64, b as u64]);
            let batch = ctx.batcher.batch(
                &ctx.data.train,
                chunk,
                &train_device,
                plan.augment.then_some(&mut augment_rng),
            );
            let features = student.net.forward_features(batch.images.clone());
            let teacher = plan
                .teacher
                .map(|t| teacher_features(&t.net, &batch.images));
            let mgd_mask = mgd.map(|p| {
                let mut rng = Rng::derive(plan.run.seed, &[purpose::MASK, epoch as u64, b as u64]);
                let shape = *teacher_shapes
                    .last()
                    .expect("MGD is validated to have a conv teacher");
                mgd_mask(
                    p.mask,
                    p.lambda,
                    chunk.len(),
                    shape,
                    &mut rng,
                    &train_device,
                )
            });
            let loss = link_loss(
                &plan.link,
                &student.link,
                BatchInputs {
                    epoch,
                    targets: batch.targets.clone(),
                    student: &features,
                    teacher: teacher.as_ref(),
                    mgd_mask,
                },
            );
            let summary = batch_stats(&loss, &features.logits, &batch.targets);
            let grads = GradientsParams::from_grads(loss.total.backward(), &student);
            student = optimizer.step(lr, student, grads);
            let values: Vec<f32> = summary.into_data().try_to_vec().expect("f32 statistics");
            let stats = stats.get_or_insert_with(|| {
                EpochStats::new(loss.terms.iter().map(|t| t.name).collect())
            });
            let total = stats.add(&values, chunk.len());
            if !total.is_finite() {
                return Err(TrainError::Diverged {
                    run_id: plan.run.id.clone(),
                    epoch,
                    batch: b + 1,
                    value: total,
                });
            }
            sink.event(TrainEvent::Batch {
                run_id: &plan.run.id,
                epoch,
                batch: b + 1,
                batches,
                loss: total,
            });
        }
        let train_seconds = started.elapsed().as_secs_f64();
        let stats = stats.expect("an epoch has at least one batch");
        let eval = evaluate(
            &student.net.valid(),
            &ctx.data.test,
            ctx.batcher,
            ctx.data.classes,
            device,
        );
        let metrics = EpochMetrics {
            epoch,
            terms: stats.terms(),
            train_loss: stats.mean_loss(),
            train_accuracy: stats.accuracy(),
            test_accuracy: eval.top1,
            test_top5: eval.top5,
            test_loss: eval.loss,
            lr,
            temperature: student.link.temperature_value(&plan.link),
            curriculum_fraction: fraction,
            samples: stats.samples(),
            train_seconds,
        };
        progress.epochs_done = epoch;
        progress.train_seconds += train_seconds;
        progress.samples += stats.samples();
        progress.epochs.push(metrics);
        if let Some(cp) = &checkpoint {
            cp.save(&student, &optimizer, &progress)?;
        }
        sink.event(TrainEvent::Epoch {
            run_id: &plan.run.id,
            epochs,
            metrics: progress.epochs.last().expect("just pushed"),
        });
    }
    finish(
        plan,
        ctx,
        student.net.valid(),
        progress,
        resumed,
        checkpoint.as_ref(),
        sink,
    )
}

/// Measures the trained model, saves it, and reports.
fn finish(
    plan: &RunPlan<'_>,
    ctx: &RunContext<'_>,
    net: Net,
    progress: Progress,
    resumed: usize,
    checkpoint: Option<&Checkpoint>,
    sink: &mut dyn ProgressSink,
) -> Result<TrainedModel, TrainError> {
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
        params: Net::parameter_count(&plan.architecture, ctx.input),
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
