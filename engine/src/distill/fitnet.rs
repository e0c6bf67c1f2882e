//! FitNets hints (Romero et al. 2015, mdistiller `FitNet.py`): a conv regressor maps a student
//! stage onto the teacher's hint stage; the term is their mean squared error.

use api::{FitnetParams, MethodPlacement};
use burn::nn::conv::Conv2d;
use burn::nn::{BatchNorm, BatchNormConfig};
use burn::prelude::*;
use burn::tensor::activation::relu;

use super::method::{Distiller, MethodSpec, ParamSpec, StagePair, TermInputs, WireType};
use super::{pool_to_smaller, weighted, LinkModules, TermLoss};
use crate::checks::{Bound, SpecError};
use crate::kernels::{batch_norm, conv2d as apply_conv};
use crate::models::{conv2d, StageShape};

/// `conv3×3 → BN → ReLU` from the student's channels to the teacher's.
#[derive(Module, Debug)]
pub struct FitnetRegressor {
    /// 3×3 conv, padding 1, from the student's channels to the teacher's.
    pub conv: Conv2d,
    /// Batch norm after it.
    pub norm: BatchNorm,
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
        let regressed = relu(batch_norm(&self.norm, apply_conv(&self.conv, student)));
        (regressed - teacher).square().mean()
    }
}

/// Which student and teacher stages a FitNet hint pairs: the student's chosen stage (its middle
/// one by default) and the teacher stage at the same relative depth.
pub fn fitnet_stages(params: &FitnetParams, student: usize, teacher: usize) -> (usize, usize) {
    let s = params
        .hint_stage
        .unwrap_or((student.saturating_sub(1)) / 2)
        .min(student - 1);
    let t = ((s as f64 + 0.5) / student as f64 * teacher as f64) as usize;
    (s, t.min(teacher - 1))
}

/// The catalog entry.
pub fn method() -> MethodSpec {
    MethodSpec {
        name: "fitnet",
        title: "FitNets hints",
        description: "A conv regressor maps a student stage onto the teacher's; MSE between them.",
        placement: MethodPlacement::Term,
        needs_feature_maps: true,
        reference: "Romero et al. 2015; mdistiller FitNet.py",
        wire: WireType::of::<FitnetParams>(),
        params: vec![
            ParamSpec::number("weight", "Weight of the hint term", Bound::at_least(0.0)),
            ParamSpec::integer(
                "hint_stage",
                "Student stage used as the hint, 0-based, below the student's stage count (the middle one when absent)",
                Bound::whole_at_least(0),
            ),
        ],
        curves: &["fitnet"],
        options: &[],
    }
}

impl Distiller for FitnetParams {
    fn validate(&self, pair: &StagePair<'_>, at: &str) -> Result<(), SpecError> {
        let stages = pair.student.len();
        match self.hint_stage {
            Some(s) if s >= stages => Err(SpecError::new(
                format!("{at}.hint_stage"),
                format!("the student has {stages} stages (0..{stages}), got {s}"),
            )),
            _ => Ok(()),
        }
    }

    fn add_modules(&self, pair: &StagePair<'_>, device: &Device, modules: &mut LinkModules) {
        let (s, t) = fitnet_stages(self, pair.student.len(), pair.teacher.len());
        modules.fitnet = Some(FitnetRegressor::init(
            pair.student[s],
            pair.teacher[t],
            device,
        ));
    }

    fn losses(&self, inputs: &TermInputs<'_>) -> Vec<TermLoss> {
        let regressor = inputs
            .modules
            .fitnet
            .as_ref()
            .expect("FitNet's regressor module");
        let (student, teacher) = (&inputs.student.stages, &inputs.teacher.stages);
        let (s, t) = fitnet_stages(self, student.len(), teacher.len());
        let raw = regressor.loss(student[s].clone(), teacher[t].clone());
        vec![weighted("fitnet", raw, self.weight)]
    }

    fn label(&self) -> String {
        "fitnet".into()
    }

    fn reads_teacher_features(&self) -> bool {
        true
    }
}
