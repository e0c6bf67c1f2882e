//! One run: a model trained to the end of its budget on one device, taught (or not) by a
//! trained teacher, checkpointed every epoch, resumable, cancellable between batches, and
//! measured at the end.

use std::time::Instant;

use api::{CurriculumParams, EpochMetrics, LossTerm, MgdParams};
use burn::optim::{GradientsParams, ModuleOptimizer};
use burn::prelude::*;

use super::checkpoint::Progress;
use super::finish::finish;
use super::stats::{batch_stats, EpochStats};
use super::{
    evaluate, fingerprint, learning_rate, softmax_outputs, Checkpoint, Optimizer, ProgressSink,
    RunContext, RunPlan, Student, TrainError, TrainEvent, TrainedModel,
};
use crate::distill::{
    curriculum_fraction, link_loss, mgd_mask, rank_by_difficulty, BatchInputs, LinkModules,
};
use crate::models::{seeded, Features, Net, StageShape};
use crate::rng::{purpose, Rng};

/// Trains `plan` to the end of its budget, resuming from its checkpoint when there is one.
pub fn train_run(
    plan: &RunPlan<'_>,
    ctx: &RunContext<'_>,
    sink: &mut dyn ProgressSink,
) -> Result<TrainedModel, TrainError> {
    let (mut trainer, mut student) = Trainer::start(plan, ctx)?;
    let resumed = trainer.progress.epochs_done;
    let epochs = plan.budget.epochs;
    sink.event(TrainEvent::RunStarted {
        run_id: &plan.run.id,
        epochs,
        resumed_after_epoch: resumed,
        device: &ctx.device.name,
        completed: &trainer.progress.epochs,
    });
    let curriculum = match (&plan.link.curriculum, plan.teacher) {
        (Some(params), Some(teacher)) if resumed < epochs => {
            let probs = softmax_outputs(
                &teacher.net,
                &ctx.data.train,
                ctx.batcher,
                ctx.data.classes,
                &ctx.device.device,
            );
            Some((
                params,
                rank_by_difficulty(&probs, &ctx.data.train.labels, params.difficulty),
            ))
        }
        _ => None,
    };
    for epoch in resumed + 1..=epochs {
        let (indices, fraction) = trainer.epoch_samples(epoch, curriculum.as_ref());
        student = trainer.train_epoch(student, epoch, &indices, fraction, sink)?;
    }
    finish(
        plan,
        ctx,
        student.net,
        trainer.progress,
        resumed,
        trainer.checkpoint.as_ref(),
        sink,
    )
}

/// Everything a run in progress holds besides the student itself (which the optimiser
/// consumes and returns at every step).
struct Trainer<'r, 'p, 'c> {
    plan: &'r RunPlan<'p>,
    ctx: &'r RunContext<'c>,
    train_device: Device,
    teacher_shapes: Vec<StageShape>,
    mgd: Option<&'r MgdParams>,
    optimizer: ModuleOptimizer,
    progress: Progress,
    checkpoint: Option<Checkpoint>,
}

impl<'r, 'p, 'c> Trainer<'r, 'p, 'c> {
    /// A freshly initialised student, or the one of the run's checkpoint.
    fn start(
        plan: &'r RunPlan<'p>,
        ctx: &'r RunContext<'c>,
    ) -> Result<(Self, Student), TrainError> {
        let train_device = ctx.device.device.clone().autodiff();
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
            .map(|root| Checkpoint::new(root, &plan.run.id, &fingerprint));
        let mut progress = Progress::new(fingerprint);
        if let Some(cp) = &checkpoint {
            if let Some(saved) = cp.progress(&progress.fingerprint)? {
                (student, optimizer) = cp.restore(&saved, student, optimizer)?;
                progress = saved;
            }
        }
        let mgd = plan.link.terms.iter().find_map(|t| match t {
            LossTerm::Mgd(p) => Some(p),
            _ => None,
        });
        let trainer = Trainer {
            plan,
            ctx,
            train_device,
            teacher_shapes,
            mgd,
            optimizer,
            progress,
            checkpoint,
        };
        Ok((trainer, student))
    }

    /// The samples of an epoch in training order, and the curriculum's fraction of the data.
    fn epoch_samples(
        &self,
        epoch: usize,
        curriculum: Option<&(&CurriculumParams, Vec<usize>)>,
    ) -> (Vec<usize>, Option<f64>) {
        let (mut indices, fraction) = match curriculum {
            Some((c, easiest_first)) => {
                let full_at = c.full_at_epoch.unwrap_or(self.plan.budget.epochs);
                let f = curriculum_fraction(epoch, c.start, full_at, c.pacing);
                let take = ((easiest_first.len() as f64 * f).ceil() as usize)
                    .clamp(1, easiest_first.len());
                (easiest_first[..take].to_vec(), Some(f))
            }
            None => ((0..self.ctx.data.train.len()).collect(), None),
        };
        Rng::derive(self.plan.run.seed, &[purpose::SHUFFLE, epoch as u64]).shuffle(&mut indices);
        (indices, fraction)
    }

    /// Trains one epoch on `indices`, evaluates, checkpoints and reports it.
    fn train_epoch(
        &mut self,
        mut student: Student,
        epoch: usize,
        indices: &[usize],
        fraction: Option<f64>,
        sink: &mut dyn ProgressSink,
    ) -> Result<Student, TrainError> {
        let (plan, ctx) = (self.plan, self.ctx);
        let lr = learning_rate(
            plan.budget.optimizer.lr(),
            &plan.budget.schedule,
            epoch,
            plan.budget.epochs,
        );
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
            let (next, loss) = self.step(student, lr, epoch, b, chunk, &mut stats);
            student = next;
            if !loss.is_finite() {
                return Err(TrainError::Diverged {
                    run_id: plan.run.id.clone(),
                    epoch,
                    batch: b + 1,
                    value: loss,
                });
            }
            sink.event(TrainEvent::Batch {
                run_id: &plan.run.id,
                epoch,
                batch: b + 1,
                batches,
                loss,
            });
        }
        let train_seconds = started.elapsed().as_secs_f64();
        let stats = stats.expect("an epoch has at least one batch");
        let eval = evaluate(
            &student.net.valid(),
            &ctx.data.test,
            ctx.batcher,
            ctx.data.classes,
            &ctx.device.device,
        );
        self.progress.record(EpochMetrics {
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
        });
        if let Some(cp) = &self.checkpoint {
            cp.save(&student, &self.optimizer, &self.progress)?;
        }
        let metrics = self.progress.epochs.last().expect("just recorded");
        sink.event(TrainEvent::Epoch {
            run_id: &plan.run.id,
            epochs: plan.budget.epochs,
            metrics,
        });
        Ok(student)
    }

    /// One optimisation step on the samples `chunk` (batch `b` of `epoch`); adds the batch's
    /// statistics to `stats` and returns the updated student and the batch's total loss.
    fn step(
        &mut self,
        student: Student,
        lr: f64,
        epoch: usize,
        b: usize,
        chunk: &[usize],
        stats: &mut Option<EpochStats>,
    ) -> (Student, f64) {
        let (plan, ctx, seed) = (self.plan, self.ctx, self.plan.run.seed);
        let mut augment_rng = Rng::derive(seed, &[purpose::AUGMENT, epoch as u64, b as u64]);
        let augment = plan.augment.then_some(&mut augment_rng);
        let batch = ctx
            .batcher
            .batch(&ctx.data.train, chunk, &self.train_device, augment);
        let features = student.net.forward_features(batch.images.clone());
        let teacher = plan
            .teacher
            .map(|t| teacher_features(&t.net, &batch.images));
        let mgd_mask = self.mgd.map(|p| {
            let mut rng = Rng::derive(seed, &[purpose::MASK, epoch as u64, b as u64]);
            let shape = *self
                .teacher_shapes
                .last()
                .expect("MGD is validated to have a conv teacher");
            mgd_mask(
                p.mask,
                p.lambda,
                chunk.len(),
                shape,
                &mut rng,
                &self.train_device,
            )
        });
        let inputs = BatchInputs {
            epoch,
            targets: batch.targets.clone(),
            student: &features,
            teacher: teacher.as_ref(),
            mgd_mask,
        };
        let loss = link_loss(&plan.link, &student.link, inputs);
        let summary = batch_stats(&loss, &features.logits, &batch.targets);
        let grads = GradientsParams::from_grads(loss.total.backward(), &student);
        let student = self.optimizer.step(lr, student, grads);
        let values: Vec<f32> = summary.into_data().try_to_vec().expect("f32 statistics");
        let stats = stats
            .get_or_insert_with(|| EpochStats::new(loss.terms.iter().map(|t| t.name).collect()));
        (student, stats.add(&values, chunk.len()))
    }
}

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
