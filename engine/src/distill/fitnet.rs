//! FitNets hints (Romero et al. 2015, mdistiller `FitNet.py`): a conv regressor maps a student
//! stage onto the teacher's hint stage; the term is their mean squared error.

use burn::nn::conv::Conv2d;
use burn::nn::{BatchNorm, BatchNormConfig};
use burn::prelude::*;
use burn::tensor::activation::relu;

use super::pool_to_smaller;
use crate::models::{conv2d, StageShape};

/// `conv3×3 → BN → ReLU` from the student's channels to the teacher's.
#[derive(Module, Debug)]
pub struct FitnetRegressor {
    conv: Conv2d,
    norm: BatchNorm,
}

impl FitnetRegressor {
    /// A regressor from `student` features to `teacher` features.
    pub fn init(student: StageShape, teacher: StageShape, device: &Device) -> FitnetRegressor {
        FitnetRegressor {
            conv: conv2d(student.channels, teacher.channels, 3, 1, true, device),
            norm: BatchNormConfig::new(teacher.channels).init(device),
        }
    }

    /// The hint term, unweighted. The larger feature map is pooled to the smaller one's size.
    /// // student: [batch, cs, hs, ws], teacher: [batch, ct, ht, wt] → [1]
    pub fn loss(&self, student: Tensor<4>, teacher: Tensor<4>) -> Tensor<1> {
        let (student, teacher) = pool_to_smaller(student, teacher);
        let regressed = relu(self.norm.forward(self.conv.forward(student)));
        (regressed - teacher).square().mean()
    }
}
