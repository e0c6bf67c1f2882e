//! Benchmarks of the training step and inference of one model on one device, through the
//! same forward, loss, backward and optimiser code as real runs.

use std::time::Instant;

use api::{Architecture, LinkSpec, OptimizerSpec};
use burn::optim::GradientsParams;
use burn::prelude::*;

use crate::data::{Batcher, Split};
use crate::device::ComputeDevice;
use crate::distill::{link_loss, BatchInputs, LinkModules, StagePair};
use crate::models::{seeded, InputShape, Net};
use crate::train::{measure_inference, InferenceTiming, Optimizer, Student};

/// What a benchmark measured.
#[derive(Debug, Clone)]
pub struct BenchResult {
    /// Trainable parameters.
    pub params: usize,
    /// Training samples per second (forward, CE loss, backward, Adam step, loss read back).
    pub train_samples_per_s: f64,
    /// Timed training steps.
    pub steps: usize,
    /// Inference timings.
    pub inference: InferenceTiming,
}

/// Times `steps` training steps of batch `batch_size` after `warmup` untimed ones (kernel
/// compilation and autotuning happen there on wgpu), then inference.
pub fn bench_model(
    arch: &Architecture,
    input: InputShape,
    data: &Split,
    batch_size: usize,
    warmup: usize,
    steps: usize,
    device: &ComputeDevice,
) -> BenchResult {
    let train_device = device.device.clone().autodiff();
    let batcher = Batcher::fitted_to(&data.train);
    let link = LinkSpec {
        ce_weight: Some(1.0),
        ..LinkSpec::default()
    };
    let mut student = seeded(&train_device, 0, || Student {
        net: Net::init(arch, input, &train_device),
        link: LinkModules::init(
            &link,
            &StagePair {
                student: &[],
                teacher: &[],
                student_embedding: 0,
                teacher_embedding: 0,
                teacher_norms: &[],
            },
            &train_device,
        ),
    });
    let mut optimizer = Optimizer::build(&OptimizerSpec::default());
    let indices: Vec<usize> = (0..batch_size).map(|i| i % data.train.len()).collect();
    let batch = batcher.batch(&data.train, &indices, &train_device, None);
    let mut step = |student: Student| {
        let features = student.net.forward_features(batch.images.clone());
        let loss = link_loss(
            &link,
            &student.link,
            BatchInputs {
                epoch: 1,
                targets: batch.targets.clone(),
                student: &features,
                teacher: None,
                draw: (0, 1, 0),
                samples: &indices,
                training_labels: &data.train.labels,
            },
        );
        let value = loss.total.clone().detach();
        let grads = GradientsParams::from_grads(loss.total.backward(), &student);
        let student = optimizer.step(1e-3, student, grads);
        let _ = value.into_scalar::<f32>();
        student
    };
    for _ in 0..warmup {
        student = step(student);
    }
    let start = Instant::now();
    for _ in 0..steps {
        student = step(student);
    }
    let seconds = start.elapsed().as_secs_f64();
    let params = student.net.trainable_params();
    let net = student.net.valid();
    BenchResult {
        params,
        train_samples_per_s: (steps * batch_size) as f64 / seconds,
        steps,
        inference: measure_inference(&net, &data.test, &batcher, &device.device),
    }
}
