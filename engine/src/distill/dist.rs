//! DIST (Huang et al., NeurIPS 2022): knowledge distillation from a stronger teacher by
//! matching relations instead of exact probabilities. With `ys = softmax(zs/T)` and
//! `yt = softmax(zt/T)`, the inter-class relation is `T²·(1 − mean_i ρ(ys[i,:], yt[i,:]))` over
//! samples and the intra-class relation the same over classes (columns, across the batch);
//! the term is `β·inter + γ·intra`. ρ is the Pearson correlation: the cosine of the centred
//! vectors, with 1e-8 added to the product of their norms.

use api::{DistParams, MethodPlacement};
use burn::prelude::*;
use burn::tensor::activation::softmax;

use super::kd::TEMPERATURE;
use super::method::{Distiller, MethodSpec, ParamSpec, TermInputs, WireType};
use super::{weighted, Temperature, TermLoss};
use crate::checks::Bound;

/// Added to the product of norms in the Pearson correlation.
const EPSILON: f64 = 1e-8;

/// The two relations of DIST, each already multiplied by T². // each [1]
#[derive(Debug, Clone)]
pub struct DistParts {
    /// Inter-class relation: per sample, across classes.
    pub inter: Tensor<1>,
    /// Intra-class relation: per class, across the batch.
    pub intra: Tensor<1>,
}

/// The mean Pearson correlation of matching rows of `a` and `b`. // [n, m] each → [1]
fn mean_row_correlation(a: Tensor<2>, b: Tensor<2>) -> Tensor<1> {
    let a = a.clone() - a.mean_dim(1);
    let b = b.clone() - b.mean_dim(1);
    let dot = (a.clone() * b.clone()).sum_dim(1); // [n, 1]
    let norms = a.square().sum_dim(1).sqrt() * b.square().sum_dim(1).sqrt(); // [n, 1]
    (dot / norms.add_scalar(EPSILON)).mean()
}

/// DIST's relations at temperature `temperature`. // student, teacher: [batch, classes]
pub fn dist_parts(student: Tensor<2>, teacher: Tensor<2>, temperature: f64) -> DistParts {
    let t = Temperature::Fixed(temperature);
    let ys = softmax(t.soften(student), 1); // [batch, classes]
    let yt = softmax(t.soften(teacher), 1);
    let inter = mean_row_correlation(ys.clone(), yt.clone())
        .neg()
        .add_scalar(1.0);
    let intra = mean_row_correlation(ys.transpose(), yt.transpose())
        .neg()
        .add_scalar(1.0);
    DistParts {
        inter: t.times_squared(inter),
        intra: t.times_squared(intra),
    }
}

/// The catalog entry.
pub fn method() -> MethodSpec {
    MethodSpec {
        name: "dist",
        title: "DIST",
        description: "Matches the Pearson correlation of student and teacher outputs across classes (inter) and across the batch (intra), which tolerates a much stronger teacher than KL.",
        placement: MethodPlacement::Term,
        needs_feature_maps: false,
        reference: "Huang et al. 2022; hunto/DIST_KD",
        wire: WireType::of::<DistParams>(),
        params: vec![
            TEMPERATURE,
            ParamSpec::number("beta", "Weight β of the inter-class relation", Bound::at_least(0.0)),
            ParamSpec::number("gamma", "Weight γ of the intra-class relation", Bound::at_least(0.0)),
            ParamSpec::number("weight", "Weight of the whole term", Bound::at_least(0.0)),
        ],
        curves: &["dist"],
        options: &[],
    }
}

impl Distiller for DistParams {
    fn losses(&self, inputs: &TermInputs<'_>) -> Vec<TermLoss> {
        let parts = dist_parts(
            inputs.student.logits.clone(),
            inputs.teacher.logits.clone(),
            self.temperature,
        );
        let raw = parts.inter.mul_scalar(self.beta) + parts.intra.mul_scalar(self.gamma);
        vec![weighted("dist", raw, self.weight)]
    }

    fn label(&self) -> String {
        "dist".into()
    }

    fn temperature(&self) -> Option<f64> {
        Some(self.temperature)
    }
}
