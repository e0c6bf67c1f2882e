//! Per-batch loss terms and accuracy, read back to the host in one transfer, and their
//! sample-weighted means over an epoch.

use api::TermValue;
use burn::prelude::*;

use crate::distill::LossBreakdown;

/// The numbers of one batch, still on the device: total, correct count, then each term's raw
/// and weighted value. // [2 + 2·terms]
pub(crate) fn batch_stats(
    loss: &LossBreakdown,
    logits: &Tensor<2>,
    targets: &Tensor<1, Int>,
) -> Tensor<1> {
    let [batch, _] = logits.dims();
    let correct = logits
        .clone()
        .detach()
        .argmax(1)
        .reshape([batch])
        .equal(targets.clone())
        .int()
        .sum()
        .float(); // [1]
    let mut parts = vec![loss.total.clone().detach(), correct];
    for term in &loss.terms {
        parts.push(term.raw.clone().detach());
        parts.push(term.weighted.clone().detach());
    }
    Tensor::cat(parts, 0)
}

/// Running sums of an epoch's batch statistics.
#[derive(Debug, Clone)]
pub(crate) struct EpochStats {
    names: Vec<&'static str>,
    samples: usize,
    total: f64,
    correct: f64,
    raw: Vec<f64>,
    weighted: Vec<f64>,
}

impl EpochStats {
    pub(crate) fn new(names: Vec<&'static str>) -> EpochStats {
        let n = names.len();
        EpochStats {
            names,
            samples: 0,
            total: 0.0,
            correct: 0.0,
            raw: vec![0.0; n],
            weighted: vec![0.0; n],
        }
    }

    /// Adds a batch of `size` samples; returns its total loss.
    pub(crate) fn add(&mut self, values: &[f32], size: usize) -> f64 {
        let weight = size as f64;
        let total = values[0] as f64;
        self.total += total * weight;
        self.correct += values[1] as f64;
        for (i, pair) in values[2..].chunks(2).enumerate() {
            self.raw[i] += pair[0] as f64 * weight;
            self.weighted[i] += pair[1] as f64 * weight;
        }
        self.samples += size;
        total
    }

    pub(crate) fn samples(&self) -> usize {
        self.samples
    }

    /// Mean total loss per sample.
    pub(crate) fn mean_loss(&self) -> f64 {
        self.total / self.samples.max(1) as f64
    }

    /// Fraction of samples classified correctly.
    pub(crate) fn accuracy(&self) -> f64 {
        self.correct / self.samples.max(1) as f64
    }

    /// Every term's mean.
    pub(crate) fn terms(&self) -> Vec<TermValue> {
        let n = self.samples.max(1) as f64;
        self.names
            .iter()
            .zip(self.raw.iter().zip(&self.weighted))
            .map(|(name, (raw, weighted))| TermValue {
                name: name.to_string(),
                raw: raw / n,
                weighted: weighted / n,
            })
            .collect()
    }
}
