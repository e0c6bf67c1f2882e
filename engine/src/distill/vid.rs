//! Variational information distillation (Ahn et al., CVPR 2019; mdistiller `VID.py`): the
//! student maximises a variational lower bound on the mutual information between its features
//! and the teacher's. Per paired stage (every stage but the first, paired from the output side
//! as AT pairs them), a regressor `1×1 conv → ReLU → 1×1 conv → ReLU → 1×1 conv` (no biases,
//! the teacher's width throughout) predicts the mean μ of the teacher's features from the
//! student's, under a per-channel variance `σ² = softplus(v) + 1e-5` learned with them; the
//! term is the Gaussian negative log-likelihood `mean(½·((μ − f_t)²/σ² + log σ²))`, summed
//! over the stages. The larger map is average-pooled to the smaller one's size.

use api::{MethodPlacement, VidParams};
use burn::module::Param;
use burn::nn::conv::Conv2d;
use burn::prelude::*;
use burn::tensor::activation::{relu, softplus};

use super::method::{Distiller, MethodSpec, ParamSpec, StagePair, TermInputs, WireType};
use super::features::{stages_but_first, too_few_stages};
use super::{pool_to_smaller, weighted, LinkModules, TermLoss};
use crate::checks::{Bound, SpecError};
use crate::kernels::conv2d as apply_conv;
use crate::models::{conv2d, StageShape};

/// Added to the softplus so the variance never reaches 0.
const MIN_VARIANCE: f64 = 1e-5;

/// One stage's regressor and its per-channel variance.
#[derive(Module, Debug)]
pub struct VidRegressor {
    /// 1×1 conv from the student's channels to the teacher's, followed by a ReLU.
    pub conv1: Conv2d,
    /// 1×1 conv at the teacher's width, followed by a ReLU.
    pub conv2: Conv2d,
    /// 1×1 conv giving the predicted mean.
    pub conv3: Conv2d,
    /// `v`, with `σ² = softplus(v) + 1e-5` per teacher channel. // [channels]
    pub log_scale: Param<Tensor<1>>,
}

impl VidRegressor {
    /// A regressor from `student` features to `teacher` features whose variance starts at
    /// `init_variance`.
    pub fn init(
        student: StageShape,
        teacher: StageShape,
        init_variance: f64,
        device: &Device,
    ) -> VidRegressor {
        let t = teacher.channels;
        // softplus⁻¹(σ²₀ − ε), as the reference initialises it.
        let start = ((init_variance - MIN_VARIANCE).exp() - 1.0).ln();
        VidRegressor {
            conv1: conv2d(student.channels, t, 1, 1, false, device),
            conv2: conv2d(t, t, 1, 1, false, device),
            conv3: conv2d(t, t, 1, 1, false, device),
            log_scale: Param::from_tensor(Tensor::full([t], start, device)),
        }
    }

    /// The stage's negative log-likelihood, unweighted.
    /// // student: [batch, cs, hs, ws], teacher: [batch, ct, ht, wt] → [1]
    pub fn loss(&self, student: Tensor<4>, teacher: Tensor<4>) -> Tensor<1> {
        let (student, teacher) = pool_to_smaller(student, teacher);
        let hidden = relu(apply_conv(&self.conv2, relu(apply_conv(&self.conv1, student))));
        let mean = apply_conv(&self.conv3, hidden); // [batch, ct, h, w]
        let [channels] = self.log_scale.dims();
        let variance = softplus(self.log_scale.val(), 1.0)
            .add_scalar(MIN_VARIANCE)
            .reshape([1, channels, 1, 1]);
        let squared = (mean - teacher).square() / variance.clone();
        (squared + variance.log()).mul_scalar(0.5).mean()
    }
}

/// The catalog entry.
pub fn method() -> MethodSpec {
    MethodSpec {
        name: "vid",
        title: "Variational information distillation",
        description: "Per stage but the first, a 1×1-conv regressor predicts the teacher's features from the student's under a learned per-channel variance (Gaussian likelihood).",
        placement: MethodPlacement::Term,
        needs_feature_maps: true,
        reference: "Ahn et al. 2019; mdistiller VID.py",
        wire: WireType::of::<VidParams>(),
        params: vec![
            ParamSpec::number("weight", "Weight of the term", Bound::at_least(0.0)),
            ParamSpec::number(
                "init_variance",
                "The variance σ² every channel starts from (mdistiller: 5)",
                Bound::above(MIN_VARIANCE),
            ),
        ],
        curves: &["vid"],
        options: &[],
    }
}

impl Distiller for VidParams {
    fn validate(&self, pair: &StagePair<'_>, at: &str) -> Result<(), SpecError> {
        match too_few_stages("VID", pair.student.len(), pair.teacher.len(), at) {
            Some(error) => Err(error),
            None => Ok(()),
        }
    }

    fn add_modules(&self, pair: &StagePair<'_>, device: &Device, modules: &mut LinkModules) {
        modules.vid = stages_but_first(pair.student.len(), pair.teacher.len())
            .into_iter()
            .map(|(s, t)| {
                VidRegressor::init(pair.student[s], pair.teacher[t], self.init_variance, device)
            })
            .collect();
    }

    fn losses(&self, inputs: &TermInputs<'_>) -> Vec<TermLoss> {
        let (student, teacher) = (&inputs.student.stages, &inputs.teacher.stages);
        let raw = stages_but_first(student.len(), teacher.len())
            .into_iter()
            .zip(&inputs.modules.vid)
            .map(|((s, t), regressor)| regressor.loss(student[s].clone(), teacher[t].clone()))
            .reduce(|a, b| a + b)
            .expect("a VID regressor per paired stage (checked when the spec is validated)");
        vec![weighted("vid", raw, self.weight)]
    }

    fn label(&self) -> String {
        "vid".into()
    }

    fn reads_teacher_features(&self) -> bool {
        true
    }
}
