//! One run: a model trained to the end of its budget on one device, taught (or not) by a
//! trained teacher, evaluated on the validation and test splits after every epoch,
//! checkpointed every epoch (the best-validation model too), resumable, cancellable between
//! batches, and measured at the end. A model taken from an earlier run is only evaluated.

use std::time::Instant;

use api::{CurriculumParams, EpochMetrics};
use burn::prelude::*;

use super::checkpoint::Progress;
use super::finish::{finish, import};
use super::stats::EpochStats;
use super::teacher_cache::{feature_budget, TeacherCache};
use super::{
    evaluate, fingerprint, learning_rate, softmax_outputs, Checkpoint, Optimizers, ProgressSink,
    RunContext, RunPlan, Student, TrainError, TrainEvent, TrainedModel,
};
use crate::distill::{
    curriculum_fraction, pre_activation, rank_by_difficulty, reads_teacher_features, LinkModules,
    StagePair,
};
use crate::models::{seeded, Net, PreActivation};
use crate::rng::{purpose, Rng};

/// Trains `plan` to the end of its budget, resuming from its checkpoint when there is one.
pub fn train_run(
    plan: &RunPlan<'_>,
    ctx: &RunContext<'_>,
    sink: &mut dyn ProgressSink,
) -> Result<TrainedModel, TrainError> {
    ctx.device.install(|| train_on_this_thread(plan, ctx, sink))
}

fn train_on_this_thread(
    plan: &RunPlan<'_>,
    ctx: &RunContext<'_>,
    sink: &mut dyn ProgressSink,
) -> Result<TrainedModel, TrainError> {
    if let Some(model) = plan.imported {
        return import(plan, ctx, model, sink);
    }
    let (mut trainer, mut student) = Trainer::start(plan, ctx)?;
    let resumed = trainer.progress.epochs_done;
    let epochs = plan.run.budget.epochs;
    sink.event(TrainEvent::RunStarted {
        run_id: &plan.run.id,
        epochs,
        resumed_after_epoch: resumed,
        device: &ctx.device.name,
        completed: &trainer.progress.epochs,
    });
    let curriculum = match (&plan.run.link.curriculum, plan.teacher) {
        (Some(params), Some(teacher)) if resumed < epochs => {
            let probs = softmax_outputs(
                &teacher.model,
                &ctx.data.train,
                trainer.training_samples(),
                ctx.batcher,
                ctx.data.classes,
                &ctx.device.device,
            );
            let order = rank_by_difficulty(&probs, &ctx.data.train.labels, params.difficulty);
            Some((params, order))
        }
        _ => None,
    };
    if resumed < epochs {
        trainer.cache_teacher(sink);
    }
    for epoch in resumed + 1..=epochs {
        let (indices, fraction) = trainer.epoch_samples(epoch, curriculum.as_ref());
        student = trainer.train_epoch(student, epoch, &indices, fraction, sink)?;
    }
    let best = trainer.best.take();
    finish(
        plan,
        ctx,
        student.net,
        best,
        trainer.progress,
        resumed,
        trainer.checkpoint.as_ref(),
        sink,
    )
}

/// Everything a run in progress holds besides the student itself (which the optimiser
/// consumes and returns at every step).
pub(super) struct Trainer<'r, 'p, 'c> {
    pub(super) plan: &'r RunPlan<'p>,
    pub(super) ctx: &'r RunContext<'c>,
    pub(super) train_device: Device,
    pub(super) optimizers: Optimizers,
    pub(super) progress: Progress,
    pub(super) checkpoint: Option<Checkpoint>,
    /// The model at the best validation epoch so far (eval mode).
    pub(super) best: Option<Net>,
    /// The teacher's outputs for every training sample, when they can be computed once.
    pub(super) teacher_cache: Option<TeacherCache>,
}

impl<'r, 'p, 'c> Trainer<'r, 'p, 'c> {
    /// A freshly initialised student, or the one of the run's checkpoint.
    fn start(
        plan: &'r RunPlan<'p>,
        ctx: &'r RunContext<'c>,
    ) -> Result<(Self, Student), TrainError> {
        let train_device = ctx.device.device.clone().autodiff();
        let fingerprint = fingerprint(plan, ctx);
        let run = &plan.run;
        let student_shapes = Net::stage_shapes(&run.architecture, ctx.input);
        let teacher_shapes = plan
            .teacher
            .map(|t| Net::stage_shapes(&t.report.architecture, ctx.input))
            .unwrap_or_default();
        let teacher_norms = plan
            .teacher
            .map(|t| t.model.norms_before_relu())
            .unwrap_or_default();
        let pair = StagePair {
            student: &student_shapes,
            teacher: &teacher_shapes,
            student_embedding: Net::embedding_width(&run.architecture, ctx.input),
            teacher_embedding: plan
                .teacher
                .map(|t| Net::embedding_width(&t.report.architecture, ctx.input))
                .unwrap_or_default(),
            teacher_norms: &teacher_norms,
        };
        // The net is drawn first, so a student and its baseline of the same seed start from the
        // same weights whatever modules their links add.
        let mut student = seeded(&train_device, run.seed, || Student {
            net: Net::init(&run.architecture, ctx.input, &train_device),
            link: LinkModules::init(&run.link, &pair, &train_device),
        });
        let mut optimizers = Optimizers::build(&run.budget.optimizer, run.link.dot.as_ref());
        let checkpoint = ctx
            .checkpoints
            .map(|root| Checkpoint::new(root, &run.id, &fingerprint));
        let mut progress = Progress::new(fingerprint);
        let mut best = None;
        if let Some(cp) = &checkpoint {
            if let Some(saved) = cp.progress(&progress.fingerprint)? {
                (student, optimizers) = cp.restore(&saved, student, optimizers)?;
                if saved.best.is_some() {
                    best = Some(cp.load_best(&run.architecture, ctx.input, &ctx.device.device)?);
                }
                progress = saved;
            }
        }
        let trainer = Trainer {
            plan,
            ctx,
            train_device,
            optimizers,
            progress,
            checkpoint,
            best,
            teacher_cache: None,
        };
        Ok((trainer, student))
    }

    /// Computes the teacher's outputs for the training set once, when the link distils from a
    /// teacher and no augmentation changes the images between epochs: logits always, stage
    /// features when the link reads them and they fit [`feature_budget`].
    fn cache_teacher(&mut self, sink: &mut dyn ProgressSink) {
        let (plan, ctx) = (self.plan, self.ctx);
        let Some(teacher) = plan.teacher else {
            return;
        };
        // OFD and ReviewKD read the teacher's stages before their ReLU, which the cache does not
        // keep.
        if plan.augment
            || plan.run.link.terms.is_empty()
            || pre_activation(&plan.run.link) == PreActivation::Keep
        {
            return;
        }
        let shapes = Net::stage_shapes(&teacher.report.architecture, ctx.input);
        let features = reads_teacher_features(&plan.run.link)
            && TeacherCache::feature_bytes(&shapes, self.training_samples()) <= feature_budget();
        if reads_teacher_features(&plan.run.link) && !features {
            return;
        }
        let cache = TeacherCache::compute(
            &teacher.model,
            &ctx.data.train,
            self.training_samples(),
            ctx.batcher,
            features,
            &ctx.device.device,
        );
        sink.event(TrainEvent::TeacherCached {
            run_id: &plan.run.id,
            bytes: cache.bytes(),
            features: cache.has_features(),
        });
        self.teacher_cache = Some(cache);
    }

    /// How many of the training samples (the first ones) this run trains on: its budget's
    /// `samples`, else all.
    pub(super) fn training_samples(&self) -> usize {
        let all = self.ctx.data.train.len();
        self.plan.run.budget.samples.map_or(all, |n| n.min(all))
    }

    /// The samples of an epoch in training order, and the curriculum's fraction of the data.
    fn epoch_samples(
        &self,
        epoch: usize,
        curriculum: Option<&(&CurriculumParams, Vec<usize>)>,
    ) -> (Vec<usize>, Option<f64>) {
        let (mut indices, fraction) = match curriculum {
            Some((c, easiest_first)) => {
                let full_at = c.full_at_epoch.unwrap_or(self.plan.run.budget.epochs);
                let f = curriculum_fraction(epoch, c.start, full_at, c.pacing);
                let take = ((easiest_first.len() as f64 * f).ceil() as usize)
                    .clamp(1, easiest_first.len());
                (easiest_first[..take].to_vec(), Some(f))
            }
            None => ((0..self.training_samples()).collect(), None),
        };
        Rng::derive(self.plan.run.seed, &[purpose::SHUFFLE, epoch as u64]).shuffle(&mut indices);
        (indices, fraction)
    }

    /// Trains one epoch on `indices`, evaluates it on the validation and test splits, keeps the
    /// model when its validation accuracy is the best so far, checkpoints and reports it.
    fn train_epoch(
        &mut self,
        mut student: Student,
        epoch: usize,
        indices: &[usize],
        fraction: Option<f64>,
        sink: &mut dyn ProgressSink,
    ) -> Result<Student, TrainError> {
        let (plan, ctx) = (self.plan, self.ctx);
        let budget = &plan.run.budget;
        let lr = learning_rate(
            budget.optimizer.lr(),
            &budget.schedule,
            epoch,
            budget.epochs,
        );
        let batches = indices.len().div_ceil(budget.batch_size);
        let started = Instant::now();
        let mut stats: Option<EpochStats> = None;
        for (b, chunk) in indices.chunks(budget.batch_size).enumerate() {
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
        let net = student.net.valid();
        let device = &ctx.device.device;
        let test = evaluate(&net, &ctx.data.test, ctx.batcher, ctx.data.classes, device);
        let val = evaluate(&net, ctx.validation, ctx.batcher, ctx.data.classes, device);
        let improved = self.progress.record(EpochMetrics {
            epoch,
            terms: stats.terms(),
            train_loss: stats.mean_loss(),
            train_accuracy: stats.accuracy(),
            test_accuracy: test.top1,
            test_top5: test.top5,
            test_loss: test.loss,
            val_accuracy: Some(val.top1),
            val_loss: Some(val.loss),
            lr,
            temperature: student.link.temperature_value(&plan.run.link),
            curriculum_fraction: fraction,
            samples: stats.samples(),
            train_seconds,
        });
        if improved {
            if let Some(cp) = &self.checkpoint {
                cp.save_best(&net)?;
            }
            self.best = Some(net);
        }
        if let Some(cp) = &self.checkpoint {
            cp.save(&student, &self.optimizers, &self.progress)?;
        }
        let metrics = self.progress.epochs.last().expect("just recorded");
        sink.event(TrainEvent::Epoch {
            run_id: &plan.run.id,
            epochs: budget.epochs,
            metrics,
        });
        Ok(student)
    }
}
