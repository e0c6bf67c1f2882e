//! Cross-entropy on the true labels: the no-KD baseline and the supervised part of every link.

use burn::prelude::*;
use burn::tensor::activation::log_softmax;

/// Mean cross-entropy. // logits: [batch, classes], targets: [batch] → [1]
pub fn cross_entropy(logits: Tensor<2>, targets: Tensor<1, Int>) -> Tensor<1> {
    let [batch, _] = logits.dims();
    let log_probs = log_softmax(logits, 1); // [batch, classes]
    let picked = log_probs.gather(1, targets.reshape([batch, 1])); // [batch, 1]
    picked.mean().neg()
}
