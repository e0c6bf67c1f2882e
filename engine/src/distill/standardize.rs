//! Logit standardisation (Sun et al., CVPR 2024): each sample's logits are z-scored,
//! `(z − mean(z)) / (1e-7 + std(z))` with the unbiased standard deviation over classes, before
//! the temperature. Student and teacher then differ only in the shape of their logits, not in
//! their scale. An option of `kd` and `dkd`.

use burn::prelude::*;

/// Added to the standard deviation, as in the reference implementation.
const EPSILON: f64 = 1e-7;

/// Z-scores each row. // [batch, classes] → [batch, classes]
pub fn standardize(logits: Tensor<2>) -> Tensor<2> {
    let [_, classes] = logits.dims();
    let mean = logits.clone().mean_dim(1); // [batch, 1]
    let centred = logits - mean;
    let variance = centred
        .clone()
        .square()
        .sum_dim(1)
        .div_scalar((classes.max(2) - 1) as f64); // [batch, 1], unbiased
    centred / variance.sqrt().add_scalar(EPSILON)
}

/// Student and teacher logits, standardised when `on`.
pub(super) fn when(on: bool, student: Tensor<2>, teacher: Tensor<2>) -> (Tensor<2>, Tensor<2>) {
    if on {
        (standardize(student), standardize(teacher))
    } else {
        (student, teacher)
    }
}

/// A term's label with `+ls` when standardisation is on.
pub(super) fn label(base: &str, on: bool) -> String {
    if on {
        format!("{base}+ls")
    } else {
        base.to_string()
    }
}
