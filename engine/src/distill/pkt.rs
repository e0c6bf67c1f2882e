//! Probabilistic knowledge transfer (Passalis & Tefas, ECCV 2018; mdistiller `PKT.py`): each
//! sample's cosine similarities to the others in the batch, mapped to [0, 1] and normalised to
//! a distribution, for student and teacher embeddings; the loss is the KL divergence of the
//! student's distributions from the teacher's, averaged over every entry. The widths of the two
//! embeddings may differ.

use api::{MethodPlacement, PktParams};
use burn::prelude::*;

use super::method::{Distiller, MethodSpec, ParamSpec, TermInputs, WireType};
use super::{weighted, TermLoss};
use crate::checks::Bound;

/// Added to norms and probabilities, as in the reference.
const EPSILON: f64 = 1e-7;

/// Each row: its samples' cosine similarities as a distribution. // [n, d] → [n, n]
fn similarity_distribution(embeddings: Tensor<2>) -> Tensor<2> {
    // The clamp keeps an all-zero embedding's gradient finite; it changes no value the
    // reference computes above 1e-30.
    let norms = embeddings
        .clone()
        .square()
        .sum_dim(1)
        .clamp_min(1e-30)
        .sqrt(); // [n, 1]
    let unit = embeddings / norms.add_scalar(EPSILON);
    let similarity = unit
        .clone()
        .matmul(unit.transpose())
        .add_scalar(1.0)
        .div_scalar(2.0); // [n, n], in [0, 1]
    similarity.clone() / similarity.sum_dim(1)
}

/// The PKT term, unweighted. // student: [n, ds], teacher: [n, dt] → [1]
pub fn pkt_loss(student: Tensor<2>, teacher: Tensor<2>) -> Tensor<1> {
    let s = similarity_distribution(student);
    let t = similarity_distribution(teacher);
    let log_ratio = t.clone().add_scalar(EPSILON).log() - s.add_scalar(EPSILON).log();
    (t * log_ratio).mean()
}

/// The catalog entry.
pub fn method() -> MethodSpec {
    MethodSpec {
        name: "pkt",
        title: "Probabilistic knowledge transfer",
        description: "Matches, per sample, the distribution of its cosine similarities to the other samples of the batch (embeddings), by KL divergence.",
        placement: MethodPlacement::Term,
        needs_feature_maps: false,
        reference: "Passalis & Tefas 2018; mdistiller PKT.py",
        wire: WireType::of::<PktParams>(),
        params: vec![ParamSpec::number(
            "weight",
            "Weight of the term (mdistiller: 30,000)",
            Bound::at_least(0.0),
        )],
        curves: &["pkt"],
        options: &[],
    }
}

impl Distiller for PktParams {
    fn losses(&self, inputs: &TermInputs<'_>) -> Vec<TermLoss> {
        let raw = pkt_loss(
            inputs.student.embedding.clone(),
            inputs.teacher.embedding.clone(),
        );
        vec![weighted("pkt", raw, self.weight)]
    }

    fn label(&self) -> String {
        "pkt".into()
    }

    fn reads_teacher_features(&self) -> bool {
        true
    }
}
