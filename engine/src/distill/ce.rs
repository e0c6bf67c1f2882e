//! Cross-entropy on the true labels: the no-KD baseline and the supervised part of every link.

use api::{LinkSpec, MethodPlacement};
use burn::prelude::*;
use burn::tensor::activation::log_softmax;

use super::method::{MethodSpec, ParamSpec, WireType};
use crate::checks::Bound;

/// The catalog entry: the weight every link gives cross-entropy.
pub fn method() -> MethodSpec {
    MethodSpec {
        name: "ce",
        title: "Cross-entropy",
        description: "The hard-label loss every link has; alone it is the no-KD baseline.",
        placement: MethodPlacement::Link,
        needs_feature_maps: false,
        reference: "—",
        wire: WireType::of::<LinkSpec>(),
        params: vec![ParamSpec::number(
            "ce_weight",
            "Weight of cross-entropy (default 0.1 when the first logit term is kd, else 1)",
            Bound::at_least(0.0),
        )],
        curves: &["ce"],
        options: &[],
    }
}

/// Mean cross-entropy. // logits: [batch, classes], targets: [batch] → [1]
pub fn cross_entropy(logits: Tensor<2>, targets: Tensor<1, Int>) -> Tensor<1> {
    let [batch, _] = logits.dims();
    let log_probs = log_softmax(logits, 1); // [batch, classes]
    let picked = log_probs.gather(1, targets.reshape([batch, 1])); // [batch, 1]
    picked.mean().neg()
}
