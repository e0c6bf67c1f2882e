//! Feature helpers several methods share: bringing a student's and a teacher's maps to a
//! common spatial size, L2 normalisation, and the stage pairs of the methods that skip the
//! first stage.

use burn::prelude::*;
use burn::tensor::module::adaptive_avg_pool2d;

use crate::checks::SpecError;

/// Average-pools the larger of the two maps to the smaller one's height and width (as
/// mdistiller's AT does). // [batch, c, h, w] each
pub fn pool_to_smaller(student: Tensor<4>, teacher: Tensor<4>) -> (Tensor<4>, Tensor<4>) {
    let [_, _, sh, sw] = student.dims();
    let [_, _, th, tw] = teacher.dims();
    if sh > th {
        (adaptive_avg_pool2d(student, [th, tw]), teacher)
    } else if sh < th {
        (student, adaptive_avg_pool2d(teacher, [sh, sw]))
    } else {
        (student, teacher)
    }
}

/// Rows of `x` along `dim` divided by their L2 norm, norms below 1e-12 taken as 1e-12 (as
/// `F.normalize` does). The clamp comes before the square root, so an all-zero row (the
/// `e_i − e_i` of a relation, a dead ReLU layer) gets a zero gradient instead of `0·∞`.
pub fn l2_normalize<const D: usize>(x: Tensor<D>, dim: usize) -> Tensor<D> {
    const MIN_NORM: f64 = 1e-12;
    let norm = x
        .clone()
        .square()
        .sum_dim(dim)
        .clamp_min(MIN_NORM * MIN_NORM)
        .sqrt();
    x / norm
}

/// Stage pairs as `(student, teacher)` indices: every stage of the shorter side, matched from the
/// output side as AT matches them (mdistiller's `_align_list`; OFD's pairs).
pub fn paired_stages(student: usize, teacher: usize) -> Vec<(usize, usize)> {
    let pairs = student.min(teacher);
    (0..pairs)
        .map(|i| (student - pairs + i, teacher - pairs + i))
        .collect()
}

/// The stage pairs of the methods that skip the first stage (NST, VID): [`paired_stages`]
/// without its first pair.
pub fn stages_but_first(student: usize, teacher: usize) -> Vec<(usize, usize)> {
    paired_stages(student, teacher)
        .into_iter()
        .skip(1)
        .collect()
}

/// The error for `method`, which skips the first stage, between models with too few stages
/// (`student` and `teacher` stages); `None` when they have enough.
pub fn too_few_stages(method: &str, student: usize, teacher: usize, at: &str) -> Option<SpecError> {
    stages_but_first(student, teacher).is_empty().then(|| {
        SpecError::new(
            format!("{at}.method"),
            format!(
                "{method} skips the first stage, so it needs at least 2 stages on each side; the student has {student} and the teacher {teacher}"
            ),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_stage_of_the_shorter_side_pairs_from_the_output_side() {
        assert_eq!(paired_stages(2, 3), [(0, 1), (1, 2)]);
        assert_eq!(paired_stages(3, 3), [(0, 0), (1, 1), (2, 2)]);
    }

    #[test]
    fn stages_but_the_first_pair_from_the_output_side_and_need_two_on_each_side() {
        assert_eq!(stages_but_first(4, 3), [(2, 1), (3, 2)]);
        assert_eq!(stages_but_first(3, 3), [(1, 1), (2, 2)]);
        assert!(stages_but_first(1, 5).is_empty());
        let error = too_few_stages("NST", 1, 5, "chain[1].link.terms[0]").unwrap();
        assert_eq!(error.field, "chain[1].link.terms[0].method");
        assert!(too_few_stages("NST", 2, 2, "x").is_none());
    }
}
