//! Hinton KD (mdistiller `KD.py`): `T²·KL(softmax(zt/T) ‖ softmax(zs/T))`, batchmean.

use burn::prelude::*;
use burn::tensor::activation::log_softmax;

use super::Temperature;

/// The KD term, unweighted. // student, teacher: [batch, classes] → [1]
pub fn kd_loss(student: Tensor<2>, teacher: Tensor<2>, temperature: &Temperature) -> Tensor<1> {
    let [batch, _] = student.dims();
    let log_student = log_softmax(temperature.soften(student), 1); // [batch, classes]
    let log_teacher = log_softmax(temperature.soften(teacher), 1); // [batch, classes]
    let kl = (log_teacher.clone().exp() * (log_teacher - log_student))
        .sum()
        .div_scalar(batch as f64); // [1]
    temperature.times_squared(kl)
}
