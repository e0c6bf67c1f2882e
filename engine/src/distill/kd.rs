//! Hinton KD (mdistiller `KD.py`): `T²·KL(softmax(zt/T) ‖ softmax(zs/T))`, batchmean; with the
//! logit-standardisation option (Sun et al. 2024) and a CTKD-learned temperature as options.

use api::{defaults, KdParams, MethodPlacement};
use burn::prelude::*;
use burn::tensor::activation::log_softmax;

use super::method::{Distiller, MethodSpec, ParamSpec, TermInputs, WireType};
use super::{ctkd, standardize, weighted, Temperature, TermLoss};
use crate::checks::Bound;

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

/// A softmax temperature T (logit losses are multiplied by T²).
pub(super) const TEMPERATURE: ParamSpec = ParamSpec::number(
    "temperature",
    "Softmax temperature T (logit losses are multiplied by T²)",
    Bound::above(0.0),
);

/// The logit-standardisation switch of `kd` and `dkd`.
pub(super) const LOGIT_STANDARDIZATION: ParamSpec = ParamSpec::boolean(
    "logit_standardization",
    "Z-score each sample's logits (student and teacher) before the temperature (Sun et al. 2024; the paper pairs it with a low T such as 2)",
);

/// The catalog entry.
pub fn method() -> MethodSpec {
    MethodSpec {
        name: "kd",
        title: "Knowledge distillation",
        description: "T²·KL(softmax(zt/T) ‖ softmax(zs/T)), batch mean.",
        placement: MethodPlacement::Term,
        needs_feature_maps: false,
        reference: "Hinton et al. 2015; mdistiller KD.py",
        wire: WireType::of::<KdParams>(),
        params: vec![
            TEMPERATURE,
            ParamSpec::number("weight", "Weight of the KD term", Bound::at_least(0.0)),
            LOGIT_STANDARDIZATION,
        ],
        curves: &["kd"],
        options: &["ctkd"],
    }
}

impl Distiller for KdParams {
    fn losses(&self, inputs: &TermInputs<'_>) -> Vec<TermLoss> {
        let temperature = ctkd::temperature_of(self.temperature, self.ctkd.as_ref(), inputs);
        let (student, teacher) = standardize::when(
            self.logit_standardization,
            inputs.student.logits.clone(),
            inputs.teacher.logits.clone(),
        );
        let raw = kd_loss(student, teacher, &temperature);
        vec![weighted("kd", raw, self.weight)]
    }

    fn label(&self) -> String {
        let base = if self.ctkd.is_some() { "ctkd" } else { "kd" };
        standardize::label(base, self.logit_standardization)
    }

    fn temperature(&self) -> Option<f64> {
        Some(self.temperature)
    }

    fn ctkd(&self) -> Option<&api::CtkdParams> {
        self.ctkd.as_ref()
    }

    fn ce_weight_beside(&self) -> Option<f64> {
        Some(defaults::KD_CE_WEIGHT)
    }
}
