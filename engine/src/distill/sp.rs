//! Similarity-preserving KD (Tung & Mori, ICCV 2019; mdistiller `SP.py`): the batch×batch
//! similarity matrix `G = F·Fᵀ` of the last stage's flattened features, each row L2-normalised,
//! should be the same for student and teacher; the loss is `‖G_t − G_s‖²_F / batch²`. Only the
//! batch size must agree, so the two stages may differ in channels and size.

use api::{MethodPlacement, SpParams};
use burn::prelude::*;

use super::method::{Distiller, MethodSpec, ParamSpec, StagePair, TermInputs, WireType};
use super::{l2_normalize, weighted, TermLoss};
use crate::checks::{Bound, SpecError};

/// The row-normalised similarity matrix of a batch's features. // [n, c, h, w] → [n, n]
fn similarity(features: Tensor<4>) -> Tensor<2> {
    let flat = features.flatten::<2>(1, 3); // [n, c·h·w]
    l2_normalize(flat.clone().matmul(flat.transpose()), 1)
}

/// The SP term, unweighted. // student, teacher: [n, ·, ·, ·] → [1]
pub fn sp_loss(student: Tensor<4>, teacher: Tensor<4>) -> Tensor<1> {
    let [n, ..] = student.dims();
    (similarity(teacher) - similarity(student))
        .square()
        .sum()
        .div_scalar((n * n) as f64)
}

/// The catalog entry.
pub fn method() -> MethodSpec {
    MethodSpec {
        name: "sp",
        title: "Similarity-preserving KD",
        description: "Matches the batch's sample-to-sample similarity matrix of the last stage's features; channels and sizes may differ.",
        placement: MethodPlacement::Term,
        needs_feature_maps: false,
        reference: "Tung & Mori 2019; mdistiller SP.py",
        wire: WireType::of::<SpParams>(),
        params: vec![ParamSpec::number(
            "weight",
            "Weight of the term (mdistiller: 3,000)",
            Bound::at_least(0.0),
        )],
        curves: &["sp"],
        options: &[],
    }
}

impl Distiller for SpParams {
    fn validate(&self, pair: &StagePair<'_>, at: &str) -> Result<(), SpecError> {
        if pair.student.is_empty() || pair.teacher.is_empty() {
            return Err(SpecError::new(
                format!("{at}.method"),
                "SP compares the last stage's features, and an MLP without hidden layers has none",
            ));
        }
        Ok(())
    }

    fn losses(&self, inputs: &TermInputs<'_>) -> Vec<TermLoss> {
        let last = |stages: &[Tensor<4>]| {
            stages
                .last()
                .cloned()
                .expect("a stage on each side (checked when the spec is validated)")
        };
        let raw = sp_loss(
            last(&inputs.student.stages),
            last(&inputs.teacher.stages),
        );
        vec![weighted("sp", raw, self.weight)]
    }

    fn label(&self) -> String {
        "sp".into()
    }

    fn reads_teacher_features(&self) -> bool {
        true
    }
}
