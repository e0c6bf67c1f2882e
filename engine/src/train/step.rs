//! One optimisation step of a run: a batch assembled, the student's and the teacher's forward
//! passes, the link's loss, the backward pass and the optimiser's update — with DOT, one
//! backward pass for the distillation terms and a second forward and backward pass for the
//! cross-entropy, as burn's tape is walked once.

use burn::optim::GradientsParams;
use burn::prelude::*;

use super::run::Trainer;
use super::stats::{batch_stats, EpochStats};
use super::Student;
use crate::data::Batcher;
use crate::distill::{link_loss, pre_activation, task_loss, BatchInputs};
use crate::models::{Features, Model, PreActivation};
use crate::rng::{purpose, Rng};

impl Trainer<'_, '_, '_> {
    /// One optimisation step on the samples `chunk` (batch `b` of `epoch`); adds the batch's
    /// statistics to `stats` and returns the updated student and the batch's total loss.
    pub(super) fn step(
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
        let pre = pre_activation(&plan.run.link);
        let features = student.net.forward_features_with(batch.images.clone(), pre);
        let teacher = match (&self.teacher_cache, plan.teacher) {
            (Some(cache), _) => Some(cache.features(chunk, &self.train_device)),
            (None, Some(t)) => Some(teacher_features(&t.model, &batch.images, pre, ctx.batcher)),
            (None, None) => None,
        };
        let inputs = BatchInputs {
            epoch,
            targets: batch.targets.clone(),
            student: &features,
            teacher: teacher.as_ref(),
            draw: (seed, epoch as u64, b as u64),
            samples: chunk,
            training_labels: &ctx.data.train.labels[..self.training_samples()],
        };
        let loss = link_loss(&plan.run.link, &student.link, inputs);
        let summary = batch_stats(&loss, &features.logits, &batch.targets);
        let student = if self.optimizers.splits_gradients() {
            let distillation = loss
                .distillation()
                .expect("DOT needs a distillation term (checked when the spec is validated)");
            let distillation = GradientsParams::from_grads(distillation.backward(), &student);
            let logits = student.net.forward_features(batch.images).logits;
            let task = task_loss(&plan.run.link, logits, batch.targets.clone()).weighted;
            let task = GradientsParams::from_grads(task.backward(), &student);
            self.optimizers.step(lr, student, task, Some(distillation))
        } else {
            let grads = GradientsParams::from_grads(loss.total.backward(), &student);
            self.optimizers.step(lr, student, grads, None)
        };
        let values: Vec<f32> = summary.into_data().try_to_vec().expect("f32 statistics");
        let stats = stats
            .get_or_insert_with(|| EpochStats::new(loss.terms.iter().map(|t| t.name).collect()));
        (student, stats.add(&values, chunk.len()))
    }
}

/// The teacher's features as constants of the student's graph.
fn teacher_features(
    teacher: &Model,
    images: &Tensor<4>,
    pre: PreActivation,
    batcher: &Batcher,
) -> Features {
    let out = teacher.forward_features_with(images.clone().without_autodiff(), pre, batcher);
    Features {
        stages: out
            .stages
            .into_iter()
            .map(|s| s.detach().autodiff())
            .collect(),
        pre_activation: out
            .pre_activation
            .into_iter()
            .map(|s| s.detach().autodiff())
            .collect(),
        embedding: out.embedding.detach().autodiff(),
        logits: out.logits.detach().autodiff(),
    }
}
