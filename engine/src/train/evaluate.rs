//! Evaluation on a held-out set in eval mode (batch norm uses running statistics, no
//! gradients): top-1, top-5 and mean cross-entropy; and the softmax outputs a curriculum ranks by.

use burn::prelude::*;
use burn::tensor::activation::{log_softmax, softmax};

use crate::data::{Batcher, ImageSet};
use crate::models::Classifier;

const EVAL_BATCH: usize = 256;

/// Accuracy and loss on a set.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Evaluation {
    /// Top-1 accuracy in `[0, 1]`.
    pub top1: f64,
    /// Top-5 accuracy, for at least 20 classes.
    pub top5: Option<f64>,
    /// Mean cross-entropy.
    pub loss: f64,
}

/// Evaluates `net` (a module in eval mode, on a device without autodiff, or an ONNX graph) on
/// `set`.
pub fn evaluate(
    net: &impl Classifier,
    set: &ImageSet,
    batcher: &Batcher,
    classes: usize,
    device: &Device,
) -> Evaluation {
    let indices: Vec<usize> = (0..set.len()).collect();
    let (mut top1, mut top5, mut loss) = (0usize, 0usize, 0f64);
    for chunk in indices.chunks(EVAL_BATCH) {
        let batch = batcher.batch(set, chunk, device, None);
        let log_probs = log_softmax(net.classify(batch.images, batcher), 1); // [batch, classes]
        let values: Vec<f32> = log_probs
            .into_data()
            .try_to_vec()
            .expect("f32 log-probabilities");
        for (row, &label) in values.chunks(classes).zip(&batch.labels) {
            let target = row[label as usize];
            let better = row.iter().filter(|&&v| v > target).count();
            top1 += usize::from(better == 0);
            top5 += usize::from(better < 5);
            loss -= target as f64;
        }
    }
    let n = set.len().max(1) as f64;
    Evaluation {
        top1: top1 as f64 / n,
        top5: (classes >= 20).then_some(top5 as f64 / n),
        loss: loss / n,
    }
}

/// The softmax output of `net` for the first `samples` samples of `set` (those a run trains on),
/// in order.
pub fn softmax_outputs(
    net: &impl Classifier,
    set: &ImageSet,
    samples: usize,
    batcher: &Batcher,
    classes: usize,
    device: &Device,
) -> Vec<Vec<f32>> {
    let indices: Vec<usize> = (0..samples.min(set.len())).collect();
    let mut out = Vec::with_capacity(indices.len());
    for chunk in indices.chunks(EVAL_BATCH) {
        let batch = batcher.batch(set, chunk, device, None);
        let probs: Vec<f32> = softmax(net.classify(batch.images, batcher), 1)
            .into_data()
            .try_to_vec()
            .expect("f32 probabilities");
        out.extend(probs.chunks(classes).map(<[f32]>::to_vec));
    }
    out
}
