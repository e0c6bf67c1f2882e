//! Softmax temperatures: fixed, or learned adversarially as in CTKD (Li et al. 2023), an option
//! of the `kd` and `dkd` terms.
//!
//! CTKD learns `T = t_min + t_range·sigmoid(θ)` with the student's optimiser, but θ reaches the
//! loss through a gradient-reversal layer, so while the student descends the distillation loss
//! the temperature ascends it, growing harder as the reversal strength λ follows a cosine
//! curriculum from `λ_min` to `λ_max`.

use api::{CtkdParams, MethodPlacement};
use burn::module::Param;
use burn::prelude::*;
use burn::tensor::activation::sigmoid;

use super::method::{MethodSpec, ParamSpec, TermInputs, WireType};
use crate::checks::{Bound, SpecError};

/// The catalog entry.
pub fn method() -> MethodSpec {
    MethodSpec {
        name: "ctkd",
        title: "Curriculum temperature",
        description: "Learns T = t_min + t_range·sigmoid(θ) adversarially through gradient reversal, λ on a cosine schedule; an option of a kd or dkd term.",
        placement: MethodPlacement::TermOption,
        needs_feature_maps: false,
        reference: "Li et al. 2023; zhengli97/CTKD",
        wire: WireType::of::<CtkdParams>(),
        params: vec![
            ParamSpec::number("t_min", "Lowest temperature", Bound::above(0.0)),
            ParamSpec::number("t_range", "Span of temperatures above t_min", Bound::above(0.0)),
            ParamSpec::number("lambda_min", "Gradient-reversal strength λ at the start", Bound::at_least(0.0)),
            ParamSpec::number("lambda_max", "λ at the end (at least lambda_min)", Bound::at_least(0.0)),
            ParamSpec::integer("schedule_epochs", "Epochs over which λ grows", Bound::whole_at_least(0)),
            ParamSpec::number("theta_init", "Initial θ", Bound::finite()),
        ],
        curves: &[],
        options: &[],
    }
}

/// The rule across CTKD's parameters: λ grows, it does not shrink.
pub(crate) fn validate(params: &CtkdParams, at: &str) -> Result<(), SpecError> {
    Bound::at_least(params.lambda_min).check(params.lambda_max, format!("{at}.lambda_max"))
}

/// The temperature a logit term softens with on this batch: its fixed `T`, or the learned one
/// with θ's gradient reversed by the scheduled λ.
pub(super) fn temperature_of(
    fixed: f64,
    ctkd: Option<&CtkdParams>,
    inputs: &TermInputs<'_>,
) -> Temperature {
    match ctkd {
        None => Temperature::Fixed(fixed),
        Some(c) => {
            let lambda = ctkd_lambda(inputs.epoch, c.schedule_epochs, c.lambda_min, c.lambda_max);
            let learned = inputs
                .modules
                .temperature
                .as_ref()
                .expect("a CTKD term's link has a learned temperature");
            Temperature::Learned(learned.temperature(-lambda))
        }
    }
}

/// The temperature a logit loss divides by.
// Built per batch and passed by reference; boxing the tensor would only add an allocation.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone)]
pub enum Temperature {
    /// A hyperparameter.
    Fixed(f64),
    /// A value computed from a learned parameter. // [1]
    Learned(Tensor<1>),
}

impl Temperature {
    /// `logits / T`. // [batch, classes]
    pub fn soften(&self, logits: Tensor<2>) -> Tensor<2> {
        match self {
            Temperature::Fixed(t) => logits.div_scalar(*t),
            Temperature::Learned(t) => logits / t.clone().reshape([1, 1]),
        }
    }

    /// `loss · T²`, the scaling that keeps soft-target gradients comparable across T. // [1]
    pub fn times_squared(&self, loss: Tensor<1>) -> Tensor<1> {
        match self {
            Temperature::Fixed(t) => loss.mul_scalar(t * t),
            Temperature::Learned(t) => loss * t.clone().square(),
        }
    }
}

/// Identity in the forward pass; multiplies the gradient by `coefficient` in the backward pass
/// (a negative coefficient reverses it).
pub fn reverse_gradient<const D: usize>(x: Tensor<D>, coefficient: f64) -> Tensor<D> {
    let constant = x.clone().detach();
    // `x - constant` is exactly zero forward and has gradient 1 backward.
    constant.clone() + (x - constant).mul_scalar(coefficient)
}

/// The reversal strength λ at a (1-based) epoch: `λ_min + (λ_max − λ_min)(1 − cos(π·min(e, E)/E))/2`.
pub fn ctkd_lambda(epoch: usize, schedule_epochs: usize, lambda_min: f64, lambda_max: f64) -> f64 {
    let progress = if schedule_epochs == 0 {
        1.0
    } else {
        epoch.min(schedule_epochs) as f64 / schedule_epochs as f64
    };
    lambda_min + (lambda_max - lambda_min) * (1.0 - (std::f64::consts::PI * progress).cos()) / 2.0
}

/// CTKD's learned global temperature.
#[derive(Module, Debug)]
pub struct LearnedTemperature {
    theta: Param<Tensor<1>>,
    t_min: f64,
    t_range: f64,
}

impl LearnedTemperature {
    /// A temperature starting at `t_min + t_range·sigmoid(theta)`.
    pub fn init(theta: f64, t_min: f64, t_range: f64, device: &Device) -> LearnedTemperature {
        LearnedTemperature {
            theta: Param::from_tensor(Tensor::<1>::from_floats([theta as f32], device)),
            t_min,
            t_range,
        }
    }

    /// The temperature, with θ's gradient multiplied by `coefficient` (CTKD passes −λ). // [1]
    pub fn temperature(&self, coefficient: f64) -> Tensor<1> {
        let theta = reverse_gradient(self.theta.val(), coefficient);
        sigmoid(theta)
            .mul_scalar(self.t_range)
            .add_scalar(self.t_min)
    }

    /// The raw parameter θ (its gradient is what the optimiser sees).
    pub fn theta(&self) -> Tensor<1> {
        self.theta.val()
    }

    /// The current temperature as a number.
    pub fn value(&self) -> f64 {
        let t = self.temperature(1.0).into_scalar::<f32>();
        t as f64
    }
}
