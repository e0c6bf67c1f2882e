//! Bringing a student's and a teacher's feature maps to a common spatial size.

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
