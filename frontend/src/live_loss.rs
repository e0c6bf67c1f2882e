//! The training loss as it arrives between epochs: each run's batch losses from progress
//! events, drawn after its stored curve (which the server writes once per epoch) until a
//! fetch of the stored curve covers them. UI-free, so the rules are unit-tested natively.

use std::collections::HashMap;

use api::{ExperimentEvent, RunProgress};

use crate::plot::Point;

/// Batch losses heard per run, `(epoch position, loss)` in training order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LiveLoss {
    runs: HashMap<String, Vec<Point>>,
}

/// Where a progress report falls on the epoch axis: `epoch − 1 + batch / batches`, the
/// position the server stores the same batch's loss at.
fn position(progress: &RunProgress) -> f64 {
    (progress.epoch as f64 - 1.0) + progress.batch as f64 / progress.batches.max(1) as f64
}

impl LiveLoss {
    /// Takes what `event` says about batch losses: a progress report adds its loss; a finished
    /// epoch `e` forgets the points up to epoch `e − 1`, which the curves fetched after the
    /// previous epoch hold. Other events change nothing. Returns whether anything changed.
    pub fn apply(&mut self, event: &ExperimentEvent) -> bool {
        match event {
            ExperimentEvent::Progress { progress } => {
                let x = position(progress);
                let tail = self.runs.entry(progress.run_id.clone()).or_default();
                // A run that starts over (resumed from a checkpoint) repeats positions.
                let later = tail.last().is_none_or(|&(last, _)| x > last);
                if later {
                    tail.push((x, progress.loss));
                }
                later
            }
            ExperimentEvent::Epoch { run_id, metrics } => {
                let Some(tail) = self.runs.get_mut(run_id) else {
                    return false;
                };
                let (before, covered) = (tail.len(), metrics.epoch as f64 - 1.0);
                tail.retain(|&(x, _)| x > covered);
                tail.len() != before
            }
            _ => false,
        }
    }

    /// The losses of `run` heard and not yet forgotten, in training order.
    pub fn of(&self, run: &str) -> &[Point] {
        self.runs.get(run).map_or(&[], Vec::as_slice)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use api::EpochMetrics;

    fn progress(run: &str, epoch: usize, batch: usize, loss: f64) -> ExperimentEvent {
        ExperimentEvent::Progress {
            progress: RunProgress {
                run_id: run.into(),
                epoch,
                epochs: 3,
                batch,
                batches: 4,
                loss,
                fraction: 0.0,
                eta_seconds: None,
            },
        }
    }

    fn epoch_ended(run: &str, epoch: usize) -> ExperimentEvent {
        ExperimentEvent::Epoch {
            run_id: run.into(),
            metrics: EpochMetrics {
                epoch,
                terms: Vec::new(),
                train_loss: 1.0,
                train_accuracy: 0.5,
                test_accuracy: 0.5,
                test_top5: None,
                test_loss: 1.0,
                val_accuracy: None,
                val_loss: None,
                lr: 0.1,
                temperature: None,
                curriculum_fraction: None,
                samples: 100,
                train_seconds: 1.0,
            },
        }
    }

    #[test]
    fn progress_reports_become_points_at_the_position_the_server_stores_them() {
        let mut live = LiveLoss::default();
        live.apply(&progress("a", 1, 1, 2.0));
        live.apply(&progress("a", 1, 2, 1.5));
        live.apply(&progress("b", 2, 4, 0.7));
        assert_eq!(live.of("a"), [(0.25, 2.0), (0.5, 1.5)]);
        assert_eq!(live.of("b"), [(2.0, 0.7)]);
        assert!(live.of("c").is_empty(), "an unheard run has none");
    }

    #[test]
    fn a_finished_epoch_forgets_only_what_earlier_fetches_cover() {
        let mut live = LiveLoss::default();
        for (epoch, batch) in [(1, 2), (1, 4), (2, 2), (2, 4), (3, 2)] {
            live.apply(&progress("a", epoch, batch, 1.0));
        }
        assert!(live.apply(&epoch_ended("a", 2)));
        let xs: Vec<f64> = live.of("a").iter().map(|p| p.0).collect();
        assert_eq!(
            xs,
            [1.5, 2.0, 2.5],
            "epoch 2 stays until its curves are fetched"
        );
    }

    #[test]
    fn a_run_starting_over_adds_nothing_until_it_passes_what_was_heard() {
        let mut live = LiveLoss::default();
        assert!(live.apply(&progress("a", 2, 2, 1.0)));
        assert!(!live.apply(&progress("a", 1, 4, 9.0)), "nothing changed");
        assert!(live.apply(&progress("a", 2, 4, 0.5)));
        assert_eq!(live.of("a"), [(1.5, 1.0), (2.0, 0.5)]);
    }
}
