//! Neuron selectivity transfer (Huang & Wang 2017; mdistiller `NST.py`): each channel's map,
//! flattened over positions and L2-normalised, is a sample of "where this neuron fires"; the
//! loss is the squared maximum mean discrepancy between the student's and the teacher's
//! channels under the polynomial kernel `k(a, b) = (a·b)²`:
//! `mean k(t, t) + mean k(s, s) − 2·mean k(s, t)`. Applied to every paired stage but the first
//! (stages paired from the output side, as AT pairs them), the larger map average-pooled to the
//! smaller one's size; channel counts may differ.

use api::{MethodPlacement, NstParams};
use burn::prelude::*;

use super::method::{Distiller, MethodSpec, ParamSpec, StagePair, TermInputs, WireType};
use super::features::{stages_but_first, too_few_stages};
use super::{l2_normalize, pool_to_smaller, weighted, TermLoss};
use crate::checks::{Bound, SpecError};

/// Each channel's activation pattern, normalised over positions. // [n, c, h, w] → [n, c, h·w]
fn channel_patterns(features: Tensor<4>) -> Tensor<3> {
    let [n, c, h, w] = features.dims();
    l2_normalize(features.reshape([n, c, h * w]), 2)
}

/// The mean polynomial kernel between every channel of `a` and every channel of `b`, per
/// sample. // [n, ca, p], [n, cb, p] → [1]
fn mean_kernel(a: Tensor<3>, b: Tensor<3>) -> Tensor<1> {
    a.matmul(b.swap_dims(1, 2)).square().mean()
}

/// NST on one pair of stages, unweighted. // student, teacher: [n, c, h, w] → [1]
pub fn nst_stage_loss(student: Tensor<4>, teacher: Tensor<4>) -> Tensor<1> {
    let (student, teacher) = pool_to_smaller(student, teacher);
    let s = channel_patterns(student);
    let t = channel_patterns(teacher);
    mean_kernel(t.clone(), t.clone()) + mean_kernel(s.clone(), s.clone())
        - mean_kernel(s, t).mul_scalar(2.0)
}

/// The NST term over the paired stages but the first. // [1]
pub fn nst_loss(student: &[Tensor<4>], teacher: &[Tensor<4>]) -> Tensor<1> {
    stages_but_first(student.len(), teacher.len())
        .into_iter()
        .map(|(s, t)| nst_stage_loss(student[s].clone(), teacher[t].clone()))
        .reduce(|a, b| a + b)
        .expect("NST needs two stages on each side (checked when the spec is validated)")
}

/// The catalog entry.
pub fn method() -> MethodSpec {
    MethodSpec {
        name: "nst",
        title: "Neuron selectivity transfer",
        description: "Matches the distribution of the channels' spatial activation patterns (MMD, polynomial kernel) at every stage but the first.",
        placement: MethodPlacement::Term,
        needs_feature_maps: true,
        reference: "Huang & Wang 2017; mdistiller NST.py",
        wire: WireType::of::<NstParams>(),
        params: vec![ParamSpec::number(
            "weight",
            "Weight of the term (mdistiller: 50)",
            Bound::at_least(0.0),
        )],
        curves: &["nst"],
        options: &[],
    }
}

impl Distiller for NstParams {
    fn validate(&self, pair: &StagePair<'_>, at: &str) -> Result<(), SpecError> {
        match too_few_stages("NST", pair.student.len(), pair.teacher.len(), at) {
            Some(error) => Err(error),
            None => Ok(()),
        }
    }

    fn losses(&self, inputs: &TermInputs<'_>) -> Vec<TermLoss> {
        let raw = nst_loss(&inputs.student.stages, &inputs.teacher.stages);
        vec![weighted("nst", raw, self.weight)]
    }

    fn label(&self) -> String {
        "nst".into()
    }

    fn reads_teacher_features(&self) -> bool {
        true
    }
}
