//! FitNets hints (Romero et al. 2015, mdistiller `FitNet.py`): a conv regressor maps a student
//! stage onto the teacher's hint stage; the term is their mean squared error.

use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::{BatchNorm, BatchNormConfig, PaddingConfig2d};
use burn::prelude::*;
use burn::tensor::activation::relu;
use burn::tensor::module::adaptive_avg_pool2d;

use crate::models::StageShape;

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
            conv: Conv2dConfig::new([student.channels, teacher.channels], [3, 3])
                .with_padding(PaddingConfig2d::Explicit(1, 1, 1, 1))
                .init(device),
            norm: BatchNormConfig::new(teacher.channels).init(device),
        }
    }

    /// The hint term, unweighted. The larger feature map is pooled to the smaller one's size.
    /// // student: [batch, cs, hs, ws], teacher: [batch, ct, ht, wt] → [1]
    pub fn loss(&self, student: Tensor<4>, teacher: Tensor<4>) -> Tensor<1> {
        let [_, _, sh, sw] = student.dims();
        let [_, _, th, tw] = teacher.dims();
        let (student, teacher) = if sh > th {
            (adaptive_avg_pool2d(student, [th, tw]), teacher)
        } else if sh < th {
            (student, adaptive_avg_pool2d(teacher, [sh, sw]))
        } else {
            (student, teacher)
        };
        let regressed = relu(self.norm.forward(self.conv.forward(student)));
        (regressed - teacher).square().mean()
    }
}
