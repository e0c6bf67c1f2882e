//! Easy-to-hard sample pacing (Bengio et al. 2009; Hacohen & Weinshall 2019): rank training
//! samples by how hard the teacher finds them, train on the easiest fraction first and grow it
//! to the whole set.

use api::{CurriculumParams, Difficulty, MethodPlacement, Pacing};

use super::method::{MethodSpec, ParamSpec, WireType};
use crate::checks::Bound;

/// The catalog entry.
pub fn method() -> MethodSpec {
    MethodSpec {
        name: "curriculum",
        title: "Sample curriculum",
        description: "Trains on the easiest fraction of the data first (ranked by the teacher) and grows to all of it.",
        placement: MethodPlacement::Curriculum,
        needs_feature_maps: false,
        reference: "Bengio et al. 2009 (pacing by teacher difficulty)",
        wire: WireType::of::<CurriculumParams>(),
        params: vec![
            ParamSpec::number("start", "Fraction of the data in the first epoch", Bound::above(0.0).up_to(1.0)),
            ParamSpec::choice("pacing", "How the fraction grows", &["linear", "root"]),
            ParamSpec::integer(
                "full_at_epoch",
                "Epoch by which all data is used (half the budget when absent)",
                Bound::whole_at_least(1),
            ),
            ParamSpec::choice("difficulty", "How the teacher ranks difficulty", &["teacher_ce", "confidence"]),
        ],
        curves: &[],
        options: &[],
    }
}

/// Fills in the epoch by which all data is used: half of the stage's `epochs` (at least 2,
/// at most all of them).
pub(crate) fn fill_full_at_epoch(params: &mut CurriculumParams, epochs: usize) {
    params
        .full_at_epoch
        .get_or_insert(epochs.div_ceil(2).max(2).min(epochs));
}

/// Fraction of the data used at a 1-based `epoch`: `start` at epoch 1, all of it from
/// `full_at_epoch` on; linear or root pacing in between.
pub fn curriculum_fraction(epoch: usize, start: f64, full_at_epoch: usize, pacing: Pacing) -> f64 {
    if full_at_epoch <= 1 || epoch >= full_at_epoch {
        return 1.0;
    }
    let progress = (epoch.saturating_sub(1)) as f64 / (full_at_epoch - 1) as f64;
    let fraction = match pacing {
        Pacing::Linear => start + (1.0 - start) * progress,
        Pacing::Root => (start * start + (1.0 - start * start) * progress).sqrt(),
    };
    fraction.clamp(start.min(1.0), 1.0)
}

/// Sample indices ordered from easiest to hardest, from the teacher's softmax probabilities
/// (`probs[i]` for sample `i`) and the labels.
pub fn rank_by_difficulty(
    probs: &[Vec<f32>],
    labels: &[u16],
    difficulty: Difficulty,
) -> Vec<usize> {
    let score = |i: usize| -> f32 {
        match difficulty {
            Difficulty::TeacherCe => -(probs[i][labels[i] as usize].max(1e-12)).ln(),
            Difficulty::Confidence => 1.0 - probs[i].iter().copied().fold(0.0, f32::max),
        }
    };
    let scores: Vec<f32> = (0..probs.len()).map(score).collect();
    let mut order: Vec<usize> = (0..probs.len()).collect();
    order.sort_by(|&a, &b| scores[a].total_cmp(&scores[b]).then(a.cmp(&b)));
    order
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn linear_pacing_starts_at_start_and_reaches_all_data() {
        assert_eq!(curriculum_fraction(1, 0.3, 5, Pacing::Linear), 0.3);
        assert!((curriculum_fraction(3, 0.3, 5, Pacing::Linear) - 0.65).abs() < 1e-12);
        assert_eq!(curriculum_fraction(5, 0.3, 5, Pacing::Linear), 1.0);
        assert_eq!(curriculum_fraction(9, 0.3, 5, Pacing::Linear), 1.0);
    }

    #[test]
    fn root_pacing_grows_faster_than_linear_early() {
        let linear = curriculum_fraction(2, 0.3, 5, Pacing::Linear);
        let root = curriculum_fraction(2, 0.3, 5, Pacing::Root);
        assert!(root > linear, "{root} <= {linear}");
    }

    #[test]
    fn samples_the_teacher_is_sure_of_come_first() {
        let probs = vec![vec![0.2, 0.8], vec![0.99, 0.01], vec![0.5, 0.5]];
        let labels = [1, 0, 0];
        assert_eq!(
            rank_by_difficulty(&probs, &labels, Difficulty::TeacherCe),
            vec![1, 0, 2]
        );
        assert_eq!(
            rank_by_difficulty(&probs, &labels, Difficulty::Confidence),
            vec![1, 0, 2]
        );
    }
}
