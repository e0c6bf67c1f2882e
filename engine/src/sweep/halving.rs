//! Asynchronous successive halving (ASHA, Li et al. 2020), as a pure decision: given what every
//! trial did at every rung, what should a free slot do next? Promote a trial that ranks in the
//! top `1/eta` of its rung (highest rungs first), else start a new trial, else wait — or the
//! search is over. Without early stopping there is one rung and the rule only starts trials.

/// The epochs of each rung: `min_epochs`, then `eta` times more while below the full budget,
/// then the full budget.
pub fn rung_epochs(full: usize, min_epochs: usize, eta: usize) -> Vec<usize> {
    let mut rungs = Vec::new();
    let mut epochs = min_epochs.max(1);
    while epochs < full {
        rungs.push(epochs);
        epochs = epochs.saturating_mul(eta.max(2));
    }
    rungs.push(full);
    rungs
}

/// What one trial did at one rung.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Outcome {
    /// Training (or waiting for a slot).
    Pending,
    /// Finished with this best validation accuracy.
    Scored(f64),
    /// Failed or was cancelled: it ranks below every score and is never promoted.
    Lost,
}

/// A trial's record: its outcome at each rung it reached, lowest first.
pub type TrialRecord = Vec<Outcome>;

/// What a free slot does next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    /// Train trial `trial` at rung `rung`.
    Promote {
        /// The trial.
        trial: usize,
        /// The rung it goes to.
        rung: usize,
    },
    /// Start the next new trial at the first rung.
    Start,
    /// Nothing can start until a pending trial finishes.
    Wait,
    /// Every trial has started and finished, and none is owed a promotion.
    Done,
}

/// The next step of a search with `rungs` rungs, reduction factor `eta`, and `total` trials of
/// which `trials` have started.
pub fn next(trials: &[TrialRecord], total: usize, rungs: usize, eta: usize) -> Next {
    for rung in (0..rungs.saturating_sub(1)).rev() {
        if let Some(trial) = promotable(trials, rung, eta) {
            return Next::Promote {
                trial,
                rung: rung + 1,
            };
        }
    }
    if trials.len() < total {
        return Next::Start;
    }
    match trials.iter().any(|t| t.last() == Some(&Outcome::Pending)) {
        true => Next::Wait,
        false => Next::Done,
    }
}

/// A trial whose rung is `rung`, finished there, ranks in the top `⌊n/eta⌋` of the `n` outcomes
/// known at that rung and is not yet promoted; the best such first.
fn promotable(trials: &[TrialRecord], rung: usize, eta: usize) -> Option<usize> {
    let ranked = ranking(trials, rung);
    let promotions = ranked.len() / eta.max(2);
    ranked
        .into_iter()
        .take(promotions)
        .find(|&(trial, score)| score.is_some() && trials[trial].len() == rung + 1)
        .map(|(trial, _)| trial)
}

/// The trials with a known outcome at `rung`, best first (lost ones last, ties by index).
fn ranking(trials: &[TrialRecord], rung: usize) -> Vec<(usize, Option<f64>)> {
    let mut known: Vec<(usize, Option<f64>)> = trials
        .iter()
        .enumerate()
        .filter_map(|(i, t)| match t.get(rung)? {
            Outcome::Pending => None,
            Outcome::Scored(score) => Some((i, Some(*score))),
            Outcome::Lost => Some((i, None)),
        })
        .collect();
    known.sort_by(|(i, a), (j, b)| {
        let (a, b) = (
            a.unwrap_or(f64::NEG_INFINITY),
            b.unwrap_or(f64::NEG_INFINITY),
        );
        b.total_cmp(&a).then(i.cmp(j))
    });
    known
}

/// The best trial at the highest rung where any trial scored: the search's winner.
pub fn winner(trials: &[TrialRecord]) -> Option<usize> {
    let top = trials.iter().map(Vec::len).max()?;
    (0..top)
        .rev()
        .find_map(|rung| match ranking(trials, rung).first() {
            Some(&(trial, Some(_))) => Some(trial),
            _ => None,
        })
}

#[cfg(test)]
mod tests {
    use super::Outcome::{Lost, Pending, Scored};
    use super::*;

    #[test]
    fn rungs_grow_by_eta_up_to_the_full_budget() {
        assert_eq!(rung_epochs(20, 4, 3), vec![4, 12, 20]);
        assert_eq!(rung_epochs(12, 4, 3), vec![4, 12]);
        assert_eq!(rung_epochs(5, 8, 3), vec![5]);
        assert_eq!(rung_epochs(30, 1, 2), vec![1, 2, 4, 8, 16, 30]);
    }

    #[test]
    fn trials_start_until_a_rung_has_eta_results() {
        let trials = vec![vec![Scored(0.9)], vec![Scored(0.8)]];
        assert_eq!(next(&trials, 24, 3, 3), Next::Start);
    }

    #[test]
    fn the_best_of_eta_results_is_promoted_as_soon_as_they_are_in() {
        let trials = vec![vec![Scored(0.8)], vec![Scored(0.9)], vec![Scored(0.7)]];
        assert_eq!(next(&trials, 24, 3, 3), Next::Promote { trial: 1, rung: 1 });
    }

    #[test]
    fn a_promoted_trial_is_not_promoted_twice_and_the_next_one_waits_for_more_results() {
        let trials = vec![
            vec![Scored(0.8)],
            vec![Scored(0.9), Pending],
            vec![Scored(0.7)],
            vec![Scored(0.75)],
        ];
        // Four results: ⌊4/3⌋ = 1 promotion, already given.
        assert_eq!(next(&trials, 24, 3, 3), Next::Start);
    }

    #[test]
    fn higher_rungs_are_served_first() {
        let mut trials: Vec<TrialRecord> = (0..9)
            .map(|i| vec![Scored(0.5 + i as f64 / 100.0)])
            .collect();
        for (t, score) in [(8, 0.93), (7, 0.95), (6, 0.91)] {
            trials[t] = vec![Scored(0.5 + t as f64 / 100.0), Scored(score)];
        }
        // Rung 1 has 3 results: trial 7 goes to rung 2 before trial 5 joins rung 1.
        assert_eq!(next(&trials, 24, 3, 3), Next::Promote { trial: 7, rung: 2 });
    }

    #[test]
    fn lost_trials_count_as_results_but_are_never_promoted() {
        let trials = vec![vec![Lost], vec![Lost], vec![Lost]];
        assert_eq!(next(&trials, 3, 3, 3), Next::Done);
        let trials = vec![vec![Lost], vec![Scored(0.1)], vec![Lost]];
        assert_eq!(next(&trials, 3, 3, 3), Next::Promote { trial: 1, rung: 1 });
    }

    #[test]
    fn with_every_trial_started_the_search_waits_then_ends() {
        let trials = vec![vec![Scored(0.8)], vec![Pending]];
        assert_eq!(next(&trials, 2, 1, 3), Next::Wait);
        let trials = vec![vec![Scored(0.8)], vec![Scored(0.6)]];
        assert_eq!(next(&trials, 2, 1, 3), Next::Done);
    }

    #[test]
    fn the_winner_is_the_best_trial_of_the_highest_rung_reached() {
        let trials = vec![
            vec![Scored(0.99)],
            vec![Scored(0.9), Scored(0.91)],
            vec![Scored(0.95), Scored(0.93)],
            vec![Scored(0.92), Lost],
        ];
        assert_eq!(winner(&trials), Some(2));
        assert_eq!(winner(&[vec![Lost]]), None);
    }

    #[test]
    fn a_full_search_of_nine_trials_promotes_as_results_arrive() {
        // Trial i scores SCORES[i] at every rung; play the schedule one slot at a time.
        const SCORES: [f64; 9] = [0.5, 0.9, 0.1, 0.3, 0.7, 0.2, 0.8, 0.4, 0.6];
        let mut trials: Vec<TrialRecord> = Vec::new();
        let mut promotions = Vec::new();
        loop {
            match next(&trials, 9, 3, 3) {
                Next::Start => trials.push(vec![Scored(SCORES[trials.len()])]),
                Next::Promote { trial, rung } => {
                    promotions.push((trial, rung));
                    trials[trial].push(Scored(SCORES[trial]));
                }
                Next::Wait => unreachable!("every trial finishes at once here"),
                Next::Done => break,
            }
        }
        assert_eq!(trials.len(), 9);
        // The best of the first three; the second best once six are in; the third at seven,
        // which gives rung 1 three results and sends its best on.
        assert_eq!(promotions, vec![(1, 1), (4, 1), (6, 1), (1, 2)]);
        assert_eq!(winner(&trials), Some(1));
    }
}
