//! Decoupled KD (Zhao et al. 2022, mdistiller `DKD.py`).
//!
//! TCKD is the KL between the binary distributions `[p_gt, 1 − p_gt]` of teacher and student;
//! NCKD the KL between their distributions over the non-target classes (the target logit pushed
//! down by 1000 before the softmax). Both are multiplied by T². Everything stays in log space:
//! `log(1 − p_gt)` is `LSE(non-target logits) − LSE(all logits)`, never the log of a sum of
//! probabilities that may have underflowed. Logit standardisation and a CTKD-learned
//! temperature are options, as for KD.

use api::{DkdParams, MethodPlacement};
use burn::prelude::*;
use burn::tensor::activation::log_softmax;

use super::kd::{LOGIT_STANDARDIZATION, TEMPERATURE};
use super::method::{Distiller, MethodSpec, ParamSpec, TermInputs, WireType};
use super::{ctkd, standardize, weighted, Temperature, TermLoss};
use crate::checks::Bound;

/// How far the target logit is pushed down to leave it out of a softmax (as in mdistiller).
const MASK_OFFSET: f64 = 1000.0;

/// The two parts of DKD, each already multiplied by T². // each [1]
#[derive(Debug, Clone)]
pub struct DkdParts {
    /// Target-class KD.
    pub tckd: Tensor<1>,
    /// Non-target-class KD.
    pub nckd: Tensor<1>,
}

/// `log Σ exp(z)` along classes, stabilised by the (constant) row maximum. // [batch, 1]
fn log_sum_exp(z: Tensor<2>) -> Tensor<2> {
    let max = z.clone().max_dim(1).detach(); // [batch, 1]
    (z - max.clone()).exp().sum_dim(1).log() + max
}

/// TCKD and NCKD. // student, teacher: [batch, classes], targets: [batch]
pub fn dkd_parts(
    student: Tensor<2>,
    teacher: Tensor<2>,
    targets: Tensor<1, Int>,
    temperature: &Temperature,
) -> DkdParts {
    let [batch, classes] = student.dims();
    let target_mask = targets.one_hot(classes).float(); // [batch, classes]
    let zs = temperature.soften(student);
    let zt = temperature.soften(teacher);

    let binary_log_probs = |z: Tensor<2>| {
        let all = log_sum_exp(z.clone()); // [batch, 1]
        let log_target = (z.clone() * target_mask.clone()).sum_dim(1) - all.clone();
        let log_others = log_sum_exp(z - target_mask.clone().mul_scalar(MASK_OFFSET)) - all;
        (log_target, log_others) // each [batch, 1]
    };
    let (s_gt, s_other) = binary_log_probs(zs.clone());
    let (t_gt, t_other) = binary_log_probs(zt.clone());
    let tckd = (t_gt.clone().exp() * (t_gt - s_gt) + t_other.clone().exp() * (t_other - s_other))
        .sum()
        .div_scalar(batch as f64);

    let masked = |z: Tensor<2>| log_softmax(z - target_mask.clone().mul_scalar(MASK_OFFSET), 1);
    let (s_nt, t_nt) = (masked(zs), masked(zt)); // [batch, classes]
    let nckd = (t_nt.clone().exp() * (t_nt - s_nt))
        .sum()
        .div_scalar(batch as f64);

    DkdParts {
        tckd: temperature.times_squared(tckd),
        nckd: temperature.times_squared(nckd),
    }
}

/// DKD's warm-up: `min(epoch / warmup, 1)` with 1-based epochs.
pub fn dkd_warmup_factor(epoch: usize, warmup_epochs: usize) -> f64 {
    if warmup_epochs == 0 {
        1.0
    } else {
        (epoch as f64 / warmup_epochs as f64).min(1.0)
    }
}

/// The catalog entry.
pub fn method() -> MethodSpec {
    MethodSpec {
        name: "dkd",
        title: "Decoupled KD",
        description: "Target-class (TCKD) and non-target-class (NCKD) parts, weighted separately, ramped up over a warm-up.",
        placement: MethodPlacement::Term,
        needs_feature_maps: false,
        reference: "Zhao et al. 2022; mdistiller DKD.py",
        wire: WireType::of::<DkdParams>(),
        params: vec![
            ParamSpec::number("alpha", "Weight of TCKD", Bound::at_least(0.0)),
            ParamSpec::number("beta", "Weight of NCKD", Bound::at_least(0.0)),
            TEMPERATURE,
            ParamSpec::integer(
                "warmup_epochs",
                "Epochs over which the loss ramps up linearly (mdistiller: 20; in a short budget DKD is then barely on)",
                Bound::whole_at_least(0),
            ),
            LOGIT_STANDARDIZATION,
        ],
        curves: &["dkd_tckd", "dkd_nckd"],
        options: &["ctkd"],
    }
}

impl Distiller for DkdParams {
    fn losses(&self, inputs: &TermInputs<'_>) -> Vec<TermLoss> {
        let temperature = ctkd::temperature_of(self.temperature, self.ctkd.as_ref(), inputs);
        let (student, teacher) = standardize::when(
            self.logit_standardization,
            inputs.student.logits.clone(),
            inputs.teacher.logits.clone(),
        );
        let parts = dkd_parts(student, teacher, inputs.targets.clone(), &temperature);
        let warm = dkd_warmup_factor(inputs.epoch, self.warmup_epochs);
        vec![
            weighted("dkd_tckd", parts.tckd, warm * self.alpha),
            weighted("dkd_nckd", parts.nckd, warm * self.beta),
        ]
    }

    fn label(&self) -> String {
        let base = if self.ctkd.is_some() {
            "dkd+ctkd"
        } else {
            "dkd"
        };
        standardize::label(base, self.logit_standardization)
    }

    fn temperature(&self) -> Option<f64> {
        Some(self.temperature)
    }

    fn ctkd(&self) -> Option<&api::CtkdParams> {
        self.ctkd.as_ref()
    }

    fn ce_weight_beside(&self) -> Option<f64> {
        Some(api::defaults::CE_WEIGHT)
    }
}
