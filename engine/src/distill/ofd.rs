//! Overhaul of feature distillation (Heo et al., ICCV 2019; mdistiller `OFD.py`): the student
//! learns the teacher's stages *before* their last ReLU, where the teacher's negative responses
//! still carry information. Per paired stage (every stage of the shorter side, matched from the
//! output side), a connector `1×1 conv → BN` maps the student's pre-ReLU map to the teacher's
//! width; the teacher's map is average-pooled to the student's size. The partial L2 ignores
//! what the ReLU would erase anyway: below the teacher's *margin* — the expected value of a
//! channel's negative responses, `E[x | x < 0]` for `x ~ N(β, γ²)` read from the teacher's batch
//! norm before that ReLU, or `−3γ` when negatives are rarer than 1 in 1,000 — a student value
//! is only pulled down to the margin, and a negative teacher value above the margin only
//! pulls larger student values down. Stage `i` of `n` weighs `1/2^(n−1−i)`.

use api::{MethodPlacement, OfdParams};
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::{BatchNorm, BatchNormConfig, Initializer};
use burn::prelude::*;
use burn::tensor::module::adaptive_avg_pool2d;
use statrs::distribution::{ContinuousCDF, Normal};

use super::method::{Distiller, MethodSpec, ParamSpec, StagePair, TermInputs, WireType};
use super::features::paired_stages;
use super::{weighted, LinkModules, TermLoss};
use crate::checks::Bound;
use crate::kernels::{batch_norm, conv2d as apply_conv};
use crate::models::{NormBeforeRelu, StageShape};

/// Below this probability of a negative response the margin is `−3γ` (mdistiller).
const RARE_NEGATIVES: f64 = 1e-3;

/// One stage's connector and the teacher's margins for it.
#[derive(Module, Debug)]
pub struct OfdConnector {
    /// 1×1 conv (no bias) from the student's channels to the teacher's.
    pub conv: Conv2d,
    /// Batch norm after it.
    pub norm: BatchNorm,
    /// The teacher's margin per channel, a constant. // [1, channels, 1, 1]
    pub margin: Tensor<4>,
}

impl OfdConnector {
    /// A connector from `student` to `teacher` features, with the margins of `teacher_norm`,
    /// the teacher's batch norm before that stage's ReLU.
    pub fn init(
        student: StageShape,
        teacher: StageShape,
        teacher_norm: &NormBeforeRelu,
        device: &Device,
    ) -> OfdConnector {
        let t = teacher.channels;
        let margins: Vec<f32> = teacher_norm
            .scale
            .iter()
            .zip(&teacher_norm.shift)
            .map(|(&scale, &shift)| margin(scale as f64, shift as f64) as f32)
            .collect();
        assert_eq!(margins.len(), t, "one margin per teacher channel");
        OfdConnector {
            // mdistiller draws the weights from N(0, 2/(k·k·out)).
            conv: Conv2dConfig::new([student.channels, t], [1, 1])
                .with_bias(false)
                .with_initializer(Initializer::Normal {
                    mean: 0.0,
                    std: (2.0 / t as f64).sqrt(),
                })
                .init(device),
            norm: BatchNormConfig::new(t).init(device),
            margin: Tensor::<1>::from_data(TensorData::new(margins, [t]), device)
                .reshape([1, t, 1, 1]),
        }
    }

    /// The stage's partial L2, unweighted; the teacher's map is pooled to the student's size.
    /// // student: [batch, cs, hs, ws], teacher: [batch, ct, ht, wt] (both before the ReLU) → [1]
    pub fn loss(&self, student: Tensor<4>, teacher: Tensor<4>) -> Tensor<1> {
        let source = batch_norm(&self.norm, apply_conv(&self.conv, student));
        let [_, _, h, w] = source.dims();
        let [_, _, th, tw] = teacher.dims();
        let target = if [th, tw] == [h, w] {
            teacher
        } else {
            adaptive_avg_pool2d(teacher, [h, w])
        };
        partial_l2(source, target, self.margin.clone())
    }
}

/// `E[x | x < 0]` for `x ~ N(shift, scale²)`, or `−3·|scale|` when `P(x < 0) ≤ 1e-3`.
pub fn margin(scale: f64, shift: f64) -> f64 {
    let s = scale.abs();
    if s == 0.0 {
        // A constant channel: its only value, when negative.
        return shift.min(0.0);
    }
    let z = -shift / s;
    let below = Normal::standard().cdf(z);
    if below > RARE_NEGATIVES {
        let density = (-(z * z) / 2.0).exp() / (2.0 * std::f64::consts::PI).sqrt();
        shift - s * density / below
    } else {
        -3.0 * s
    }
}

/// OFD's partial L2 summed over channels and positions, averaged over the batch:
/// `(s − m)²` where `s > m ≥ t`, `(s − t)²` where `s > t`, `m < t ≤ 0`, and wherever `t > 0`.
/// // source, target: [batch, c, h, w], margin: [1, c, 1, 1] → [1]
pub fn partial_l2(source: Tensor<4>, target: Tensor<4>, margin: Tensor<4>) -> Tensor<1> {
    let [batch, channels, h, w] = source.dims();
    let margin = margin.expand([batch, channels, h, w]);
    let to_margin = source
        .clone()
        .greater(margin.clone())
        .bool_and(target.clone().lower_equal(margin.clone()));
    let negative_target = source
        .clone()
        .greater(target.clone())
        .bool_and(target.clone().greater(margin.clone()))
        .bool_and(target.clone().lower_equal_elem(0.0));
    let to_target = negative_target.bool_or(target.clone().greater_elem(0.0));
    let loss = (source.clone() - margin).square() * to_margin.float()
        + (source - target).square() * to_target.float();
    loss.sum().div_scalar(batch as f64)
}

/// The catalog entry.
pub fn method() -> MethodSpec {
    MethodSpec {
        name: "ofd",
        title: "Overhaul of feature distillation",
        description: "A 1×1-conv connector maps each student stage before its ReLU onto the teacher's; a partial L2 above the teacher's margin (the expected negative response of its batch norm).",
        placement: MethodPlacement::Term,
        needs_feature_maps: true,
        reference: "Heo et al. 2019; mdistiller OFD.py",
        wire: WireType::of::<OfdParams>(),
        params: vec![ParamSpec::number(
            "weight",
            "Weight of the term (mdistiller: 0.001)",
            Bound::at_least(0.0),
        )],
        curves: &["ofd"],
        options: &[],
    }
}

impl Distiller for OfdParams {
    fn add_modules(&self, pair: &StagePair<'_>, device: &Device, modules: &mut LinkModules) {
        modules.ofd = paired_stages(pair.student.len(), pair.teacher.len())
            .into_iter()
            .map(|(s, t)| {
                let norm = pair
                    .teacher_norms
                    .get(t)
                    .expect("a conv teacher has a batch norm before each stage's ReLU");
                OfdConnector::init(pair.student[s], pair.teacher[t], norm, device)
            })
            .collect();
    }

    fn losses(&self, inputs: &TermInputs<'_>) -> Vec<TermLoss> {
        let (student, teacher) = (
            &inputs.student.pre_activation,
            &inputs.teacher.pre_activation,
        );
        let pairs = paired_stages(student.len(), teacher.len());
        let deepest = pairs.len() as i32 - 1;
        let raw = pairs
            .into_iter()
            .zip(&inputs.modules.ofd)
            .enumerate()
            .map(|(i, ((s, t), connector))| {
                let stage = connector.loss(student[s].clone(), teacher[t].clone());
                stage.div_scalar(2f64.powi(deepest - i as i32))
            })
            .reduce(|a, b| a + b)
            .expect("an OFD connector per paired stage (checked when the spec is validated)");
        vec![weighted("ofd", raw, self.weight)]
    }

    fn label(&self) -> String {
        "ofd".into()
    }

    fn reads_teacher_features(&self) -> bool {
        true
    }

    fn reads_pre_activation(&self) -> bool {
        true
    }

    fn reads_teacher_norms(&self) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_margin_is_the_mean_of_the_negative_part_of_the_channel() {
        // N(0, 1): E[x | x < 0] = −φ(0)/Φ(0) = −√(2/π).
        assert!((margin(1.0, 0.0) + (2.0 / std::f64::consts::PI).sqrt()).abs() < 1e-12);
        // The sign of γ does not matter.
        assert_eq!(margin(-2.0, 0.5), margin(2.0, 0.5));
        // Negatives rarer than 1 in 1,000 (β = 4γ): −3γ.
        assert_eq!(margin(0.5, 2.0), -1.5);
        // Always below 0 and below the mean.
        for (scale, shift) in [(1.0, 1.0), (0.3, -0.2), (2.0, 3.0)] {
            let m = margin(scale, shift);
            assert!(m < 0.0 && m < shift, "margin({scale}, {shift}) = {m}");
        }
    }

    #[test]
    fn values_the_relu_would_erase_cost_nothing() {
        let device = Device::flex();
        let margin = Tensor::<4>::from_floats([[[[-1.0]]]], &device);
        let loss = |s: f32, t: f32| {
            let s = Tensor::<4>::from_floats([[[[s]]]], &device);
            let t = Tensor::<4>::from_floats([[[[t]]]], &device);
            partial_l2(s, t, margin.clone()).into_scalar::<f32>()
        };
        assert_eq!(loss(-2.0, -3.0), 0.0, "both below the margin");
        assert_eq!(loss(0.0, -3.0), 1.0, "pulled down to the margin, not to the teacher");
        assert_eq!(loss(-0.8, -0.5), 0.0, "below a negative teacher value above the margin");
        assert!((loss(-0.2, -0.5) - 0.09).abs() < 1e-6, "above it");
        assert_eq!(loss(-1.0, 2.0), 9.0, "a positive teacher value is matched exactly");
    }
}
