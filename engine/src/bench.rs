//! Benchmarks of the training step and inference of one model on one device, through the
//! same forward, loss, backward and optimiser code as real runs.

use std::time::Instant;

use api::{Architecture, LinkSpec, OptimizerSpec};
use burn::optim::GradientsParams;
use burn::prelude::*;

use crate::data::ImageSet;
use crate::data::{Batcher, Split};
use crate::device::ComputeDevice;
use crate::distill::{link_loss, BatchInputs, LinkModules, StagePair};
use crate::models::{export_onnx, seeded, InputShape, Net, OnnxError, OnnxRunner, LOGITS};
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
    /// The model measured, in eval mode.
    pub net: Net,
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
        net,
    }
}

/// Images per batch when timing the ONNX runtime.
const ONNX_BATCH: usize = 256;
/// Timed batches.
const ONNX_RUNS: usize = 3;

/// Samples per second of `net` exported to ONNX and run by tract on the CPU, in batches of
/// [`ONNX_BATCH`] images of `set` after one untimed batch: what a frozen ONNX teacher of this
/// size costs per image.
pub fn onnx_throughput(
    net: &Net,
    input: InputShape,
    set: &ImageSet,
    batcher: &Batcher,
) -> Result<f64, OnnxError> {
    let image = [input.channels, input.height, input.width];
    let runner = OnnxRunner::load(&export_onnx(net, input), image, &[LOGITS.to_string()])?;
    let indices: Vec<usize> = (0..ONNX_BATCH).map(|i| i % set.len()).collect();
    let images = batcher.batch(set, &indices, &Device::flex(), None).images;
    let values: Vec<f32> = images.into_data().try_to_vec().expect("f32 images");
    runner.run(&values, ONNX_BATCH)?;
    let start = Instant::now();
    for _ in 0..ONNX_RUNS {
        runner.run(&values, ONNX_BATCH)?;
    }
    Ok((ONNX_BATCH * ONNX_RUNS) as f64 / start.elapsed().as_secs_f64())
}
