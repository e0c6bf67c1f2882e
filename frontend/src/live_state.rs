//! How an experiment's server-sent events change what the page shows: the experiment as last
//! seen, updated event by event. UI-free, so the rules are unit-tested natively.

use api::{ExperimentDetail, ExperimentEvent};

/// What the page should do after an event besides redrawing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Follow {
    /// Nothing more.
    Redraw,
    /// Stored curves changed (an epoch ended, a run changed state): fetch them again.
    RefetchCurves,
    /// The experiment ended: fetch it once more for its final results.
    Ended,
}

/// Applies `event` to the experiment as last seen.
pub fn apply(seen: &mut Option<ExperimentDetail>, event: ExperimentEvent) -> Follow {
    if let ExperimentEvent::Snapshot { experiment } = event {
        *seen = Some(*experiment);
        return Follow::RefetchCurves;
    }
    let Some(detail) = seen.as_mut() else {
        return Follow::Redraw;
    };
    match event {
        ExperimentEvent::Snapshot { .. } => unreachable!("handled above"),
        ExperimentEvent::Progress { progress } => {
            if let Some(run) = detail.runs.iter_mut().find(|r| r.id == progress.run_id) {
                run.progress = Some(progress);
            }
            Follow::Redraw
        }
        ExperimentEvent::Epoch { run_id, metrics } => {
            if let Some(run) = detail.runs.iter_mut().find(|r| r.id == run_id) {
                run.epochs_done = run.epochs_done.max(metrics.epoch);
                run.last_test_accuracy = Some(metrics.test_accuracy);
                run.last_train_loss = Some(metrics.train_loss);
                // An event carries one epoch: the page applies the server's val-best rule to it.
                if api::is_new_val_best(run.best_val_accuracy, metrics.val_accuracy) {
                    run.best_val_accuracy = metrics.val_accuracy;
                    run.val_best_test_accuracy = Some(metrics.test_accuracy);
                }
            }
            Follow::RefetchCurves
        }
        ExperimentEvent::Run { run } => {
            match detail.runs.iter_mut().find(|r| r.id == run.id) {
                Some(slot) => *slot = *run,
                None => detail.runs.push(*run),
            }
            Follow::RefetchCurves
        }
        ExperimentEvent::Experiment { summary } => {
            detail.summary = summary;
            Follow::Redraw
        }
        ExperimentEvent::End { status } => {
            detail.summary.status = status;
            for run in &mut detail.runs {
                run.progress = None;
            }
            Follow::Ended
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use api::{
        EpochMetrics, ExperimentSpec, ExperimentSummary, RunProgress, RunStatus, RunSummary,
    };

    fn detail() -> ExperimentDetail {
        let spec: ExperimentSpec = serde_json::from_str(
            r#"{"chain": [{"architecture": {"kind": "preset", "name": "cnn-s"}}]}"#,
        )
        .unwrap();
        let run: RunSummary = serde_json::from_value(serde_json::json!({
            "id": "r1", "experiment_id": "e1", "kind": "stage", "stage_index": 0, "stage_name": "teacher",
            "seed": 0, "status": "running", "architecture": {"kind": "preset", "name": "cnn-s"},
            "params": 10, "epochs_done": 0, "epochs_total": 2, "queued_at": 0
        }))
        .unwrap();
        let summary: ExperimentSummary = serde_json::from_value(serde_json::json!({
            "id": "e1", "name": "x", "status": "running", "dataset": "synthetic", "chain": ["teacher"],
            "runs_total": 1, "runs_done": 0, "created_at": 0
        }))
        .unwrap();
        ExperimentDetail {
            summary,
            spec,
            warnings: vec![],
            runs: vec![run],
            models: vec![],
        }
    }

    fn metrics(epoch: usize, test_accuracy: f64) -> EpochMetrics {
        EpochMetrics {
            epoch,
            terms: vec![],
            train_loss: 0.5,
            train_accuracy: 0.8,
            test_accuracy,
            test_top5: None,
            test_loss: 0.6,
            val_accuracy: Some(test_accuracy),
            val_loss: Some(0.6),
            lr: 1e-3,
            temperature: None,
            curriculum_fraction: None,
            samples: 10,
            train_seconds: 1.0,
        }
    }

    #[test]
    fn nothing_is_shown_before_the_snapshot_and_everything_after_it() {
        let mut seen = None;
        let progress = RunProgress {
            run_id: "r1".into(),
            epoch: 1,
            epochs: 2,
            batch: 3,
            batches: 10,
            loss: 1.0,
            fraction: 0.15,
            eta_seconds: Some(9.0),
        };
        assert_eq!(
            apply(
                &mut seen,
                ExperimentEvent::Progress {
                    progress: progress.clone()
                }
            ),
            Follow::Redraw
        );
        assert!(seen.is_none());
        let snapshot = ExperimentEvent::Snapshot {
            experiment: Box::new(detail()),
        };
        assert_eq!(apply(&mut seen, snapshot), Follow::RefetchCurves);
        apply(
            &mut seen,
            ExperimentEvent::Progress {
                progress: progress.clone(),
            },
        );
        assert_eq!(seen.as_ref().unwrap().runs[0].progress, Some(progress));
    }

    #[test]
    fn an_epoch_updates_the_run_and_asks_for_its_curves_and_the_end_clears_progress() {
        let mut seen = Some(detail());
        assert_eq!(
            apply(
                &mut seen,
                ExperimentEvent::Epoch {
                    run_id: "r1".into(),
                    metrics: metrics(1, 0.7)
                }
            ),
            Follow::RefetchCurves
        );
        apply(
            &mut seen,
            ExperimentEvent::Epoch {
                run_id: "r1".into(),
                metrics: metrics(2, 0.6),
            },
        );
        let run = &seen.as_ref().unwrap().runs[0];
        assert_eq!(
            (
                run.epochs_done,
                run.val_best_test_accuracy,
                run.last_test_accuracy
            ),
            (2, Some(0.7), Some(0.6))
        );
        assert_eq!(
            apply(
                &mut seen,
                ExperimentEvent::End {
                    status: RunStatus::Succeeded
                }
            ),
            Follow::Ended
        );
        let seen = seen.unwrap();
        assert_eq!(seen.summary.status, RunStatus::Succeeded);
        assert!(seen.runs[0].progress.is_none());
    }
}
