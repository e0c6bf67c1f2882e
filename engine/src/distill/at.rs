//! Attention transfer (Zagoruyko & Komodakis 2017, mdistiller `AT.py`): per stage, the mean
//! squared difference of L2-normalised spatial attention maps `mean_c(|f|^p)`, the larger map
//! average-pooled to the smaller one's size; summed over stages.

use api::{AtParams, MethodPlacement};
use burn::prelude::*;

use super::method::{Distiller, MethodSpec, ParamSpec, TermInputs, WireType};
use super::{pool_to_smaller, weighted, TermLoss};
use crate::checks::Bound;

/// L2 norms below this are treated as this (as `F.normalize` does).
const NORM_EPSILON: f64 = 1e-12;

/// The normalised attention map of features. // [batch, c, h, w] → [batch, h·w]
pub fn attention_map(features: Tensor<4>, p: f64) -> Tensor<2> {
    let [batch, _, h, w] = features.dims();
    let powered = if p == 2.0 {
        features.square()
    } else {
        features.abs().powf_scalar(p)
    };
    let map = powered.mean_dim(1).reshape([batch, h * w]); // [batch, h·w]
    let norm = map
        .clone()
        .square()
        .sum_dim(1)
        .sqrt()
        .clamp_min(NORM_EPSILON); // [batch, 1]
    map / norm
}

fn stage_loss(student: Tensor<4>, teacher: Tensor<4>, p: f64) -> Tensor<1> {
    let (student, teacher) = pool_to_smaller(student, teacher);
    (attention_map(student, p) - attention_map(teacher, p))
        .square()
        .mean()
}

/// The AT term, unweighted, over paired stages (the last `min(len)` of each side). // [1]
pub fn at_loss(student: &[Tensor<4>], teacher: &[Tensor<4>], p: f64) -> Tensor<1> {
    let pairs = student.len().min(teacher.len());
    let student = &student[student.len() - pairs..];
    let teacher = &teacher[teacher.len() - pairs..];
    student
        .iter()
        .zip(teacher)
        .map(|(s, t)| stage_loss(s.clone(), t.clone(), p))
        .reduce(|a, b| a + b)
        .expect("AT needs at least one stage on each side (checked when the spec is validated)")
}

/// The catalog entry.
pub fn method() -> MethodSpec {
    MethodSpec {
        name: "at",
        title: "Attention transfer",
        description: "Matches normalised spatial attention maps mean_c(|f|^p) at every stage.",
        placement: MethodPlacement::Term,
        needs_feature_maps: true,
        reference: "Zagoruyko & Komodakis 2017; mdistiller AT.py",
        wire: WireType::of::<AtParams>(),
        params: vec![
            ParamSpec::number("p", "Exponent of the attention map", Bound::above(0.0)),
            ParamSpec::number("weight", "Weight of the term", Bound::at_least(0.0)),
        ],
        curves: &["at"],
        options: &[],
    }
}

impl Distiller for AtParams {
    fn losses(&self, inputs: &TermInputs<'_>) -> Vec<TermLoss> {
        let raw = at_loss(&inputs.student.stages, &inputs.teacher.stages, self.p);
        vec![weighted("at", raw, self.weight)]
    }

    fn label(&self) -> String {
        "at".into()
    }

    fn reads_teacher_features(&self) -> bool {
        true
    }
}
