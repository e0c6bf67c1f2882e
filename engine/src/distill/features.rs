//! Feature helpers several methods share: bringing a student's and a teacher's maps to a
//! common spatial size, and L2 normalisation.

use burn::prelude::*;
use burn::tensor::module::adaptive_avg_pool2d;

/// Average-pools the larger of the two maps to the smaller one's height and width (as
/// mdistiller's AT does). // [batch, c, h, w] each
pub fn pool_to_smaller(student: Tensor<4>, teacher: Tensor<4>) -> (Tensor<4>, Tensor<4>) {
    let [_, _, sh, sw] = student.dims();
    let [_, _, th, tw] = teacher.dims();
    if sh > th {
        (adaptive_avg_pool2d(student, [th, tw]), teacher)
    } else if sh < th {
        (student, adaptive_avg_pool2d(teacher, [sh, sw]))
    } else {
        (student, teacher)
    }
}

/// Rows of `x` along `dim` divided by their L2 norm, norms below 1e-12 taken as 1e-12 (as
/// `F.normalize` does). The clamp comes before the square root, so an all-zero row (the
/// `e_i − e_i` of a relation, a dead ReLU layer) gets a zero gradient instead of `0·∞`.
pub fn l2_normalize<const D: usize>(x: Tensor<D>, dim: usize) -> Tensor<D> {
    const MIN_NORM: f64 = 1e-12;
    let norm = x
        .clone()
        .square()
        .sum_dim(dim)
        .clamp_min(MIN_NORM * MIN_NORM)
        .sqrt();
    x / norm
}
