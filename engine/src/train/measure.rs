//! Inference timing of a trained model (DESIGN.md §6): batch-1 latency percentiles over many
//! timed runs after a warm-up, and batch-256 throughput. Each timed run reads its result back to
//! the host, so queued GPU work is included.

use std::time::Instant;

use burn::prelude::*;

use crate::data::{Batcher, ImageSet};
use crate::models::Classifier;

/// Timed batch-1 runs (the issue asks for at least 50).
pub const LATENCY_RUNS: usize = 60;
const WARMUP_RUNS: usize = 10;
const THROUGHPUT_BATCH: usize = 256;
const THROUGHPUT_RUNS: usize = 5;

/// Inference timings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct InferenceTiming {
    /// Median batch-1 latency, milliseconds.
    pub p50_ms: f64,
    /// 95th-percentile batch-1 latency, milliseconds.
    pub p95_ms: f64,
    /// Timed batch-1 runs.
    pub runs: usize,
    /// Samples per second at batch 256.
    pub throughput_per_s: f64,
}

fn run_once(net: &impl Classifier, images: Tensor<4>, batcher: &Batcher) {
    let _: TensorData = net.classify(images, batcher).into_data();
}

fn percentile(sorted: &[f64], q: f64) -> f64 {
    let rank = ((sorted.len() - 1) as f64 * q).round() as usize;
    sorted[rank]
}

/// Times `net` (eval mode, no autodiff, or an ONNX graph) on images of `set`.
pub fn measure_inference(
    net: &impl Classifier,
    set: &ImageSet,
    batcher: &Batcher,
    device: &Device,
) -> InferenceTiming {
    let single = batcher.batch(set, &[0], device, None).images;
    for _ in 0..WARMUP_RUNS {
        run_once(net, single.clone(), batcher);
    }
    let mut latencies: Vec<f64> = (0..LATENCY_RUNS)
        .map(|_| {
            let start = Instant::now();
            run_once(net, single.clone(), batcher);
            start.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    latencies.sort_by(f64::total_cmp);

    let indices: Vec<usize> = (0..THROUGHPUT_BATCH).map(|i| i % set.len()).collect();
    let batch = batcher.batch(set, &indices, device, None).images;
    run_once(net, batch.clone(), batcher);
    let start = Instant::now();
    for _ in 0..THROUGHPUT_RUNS {
        run_once(net, batch.clone(), batcher);
    }
    let seconds = start.elapsed().as_secs_f64();
    InferenceTiming {
        p50_ms: percentile(&latencies, 0.5),
        p95_ms: percentile(&latencies, 0.95),
        runs: LATENCY_RUNS,
        throughput_per_s: (THROUGHPUT_BATCH * THROUGHPUT_RUNS) as f64 / seconds,
    }
}
