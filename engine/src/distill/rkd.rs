//! Relational KD (Park et al., CVPR 2019; mdistiller `RKD.py`): the student matches the
//! teacher's *relations* between samples rather than their outputs — the pairwise distances of
//! the embeddings (each matrix divided by its mean distance) and the angles of every triplet,
//! both compared with smooth L1. Student and teacher embeddings may differ in width.

use api::{MethodPlacement, RkdParams};
use burn::prelude::*;

use super::method::{Distiller, MethodSpec, ParamSpec, TermInputs, WireType};
use super::{l2_normalize, weighted, TermLoss};
use crate::checks::Bound;

/// Squared distances below this are taken as this before the square root.
const MIN_SQUARED_DISTANCE: f64 = 1e-12;

/// The two relations of RKD, unweighted. // each [1]
#[derive(Debug, Clone)]
pub struct RkdParts {
    /// Smooth L1 between the normalised distance matrices.
    pub distance: Tensor<1>,
    /// Smooth L1 between the triplet-angle cosines.
    pub angle: Tensor<1>,
}

/// Pairwise Euclidean distances, divided by their mean over distinct pairs; 0 on the diagonal.
/// // embeddings: [n, d] → [n, n], n ≥ 2
fn normalized_distances(embeddings: Tensor<2>) -> Tensor<2> {
    let [n, _] = embeddings.dims();
    let squares = embeddings.clone().square().sum_dim(1); // [n, 1]
    let products = embeddings.clone().matmul(embeddings.transpose()); // [n, n]
    let squared = (squares.clone() + squares.transpose() - products.mul_scalar(2.0))
        .clamp_min(MIN_SQUARED_DISTANCE);
    let off_diagonal = Tensor::<2>::eye(n, &squared.device()).neg().add_scalar(1.0);
    let distances = squared.sqrt() * off_diagonal; // [n, n]
    let mean = distances.clone().sum().div_scalar((n * (n - 1)) as f64); // [1]
    distances / mean.reshape([1, 1])
}

/// The cosine of the angle at `e_i` between `e_j` and `e_k`, for every triplet.
/// // embeddings: [n, d] → [n, n, n]
fn triplet_angles(embeddings: Tensor<2>) -> Tensor<3> {
    // differences[i][j] = e_j − e_i
    let differences = embeddings.clone().unsqueeze_dim::<3>(0) - embeddings.unsqueeze_dim::<3>(1); // [n, n, d]
    let directions = l2_normalize(differences, 2);
    directions.clone().matmul(directions.swap_dims(1, 2))
}

/// Mean smooth L1 (Huber with β = 1): `½x²` where `|x| < 1`, else `|x| − ½`.
fn smooth_l1<const D: usize>(got: Tensor<D>, want: Tensor<D>) -> Tensor<1> {
    let difference = got - want;
    let size = difference.clone().abs();
    let small = size.clone().lower_elem(1.0);
    let quadratic = difference.square().mul_scalar(0.5);
    size.sub_scalar(0.5).mask_where(small, quadratic).mean()
}

/// RKD's two relations between the embeddings of a batch; zero for a batch of one sample,
/// which has no pair to relate. // student: [n, ds], teacher: [n, dt]
pub fn rkd_parts(student: Tensor<2>, teacher: Tensor<2>) -> RkdParts {
    let [n, _] = student.dims();
    if n < 2 {
        let zero = Tensor::zeros([1], &student.device());
        return RkdParts {
            distance: zero.clone(),
            angle: zero,
        };
    }
    RkdParts {
        distance: smooth_l1(
            normalized_distances(student.clone()),
            normalized_distances(teacher.clone()),
        ),
        angle: smooth_l1(triplet_angles(student), triplet_angles(teacher)),
    }
}

/// The catalog entry.
pub fn method() -> MethodSpec {
    MethodSpec {
        name: "rkd",
        title: "Relational KD",
        description: "Matches the teacher's relations between samples: the pairwise distances of the embeddings (normalised by their mean) and the angles of every triplet, with smooth L1.",
        placement: MethodPlacement::Term,
        needs_feature_maps: false,
        reference: "Park et al. 2019; mdistiller RKD.py",
        wire: WireType::of::<RkdParams>(),
        params: vec![
            ParamSpec::number("distance_weight", "Weight of the distance relation", Bound::at_least(0.0)),
            ParamSpec::number("angle_weight", "Weight of the angle relation", Bound::at_least(0.0)),
            ParamSpec::number("weight", "Weight of the whole term", Bound::at_least(0.0)),
        ],
        curves: &["rkd_distance", "rkd_angle"],
        options: &[],
    }
}

impl Distiller for RkdParams {
    fn losses(&self, inputs: &TermInputs<'_>) -> Vec<TermLoss> {
        let parts = rkd_parts(
            inputs.student.embedding.clone(),
            inputs.teacher.embedding.clone(),
        );
        vec![
            weighted("rkd_distance", parts.distance, self.weight * self.distance_weight),
            weighted("rkd_angle", parts.angle, self.weight * self.angle_weight),
        ]
    }

    fn label(&self) -> String {
        "rkd".into()
    }

    fn reads_teacher_features(&self) -> bool {
        true
    }
}
