//! The store on a real SQLite file: the SQL status filter agrees with the Rust rule, an epoch
//! commits its points and summary together and can be replayed, and dependents cancel
//! transitively.

use api::{
    Architecture, EpochMetrics, ExperimentSpec, LinkSpec, MlpSpec, RunKind, RunStatus, TermValue,
};

use super::*;

async fn store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite:{}", dir.path().join("test.db").display());
    (dir, Store::open(&url).await.unwrap())
}

fn spec() -> ExperimentSpec {
    serde_json::from_str(r#"{"chain": [{"architecture": {"kind": "preset", "name": "mlp-xs"}}]}"#)
        .unwrap()
}

/// An experiment whose runs form a chain (each taught by the previous one).
async fn experiment(store: &Store, id: &str, created_at: i64, runs: usize) -> Vec<String> {
    let ids: Vec<String> = (0..runs).map(|i| format!("{id}-run{i}")).collect();
    let new_runs: Vec<NewRun> = ids
        .iter()
        .enumerate()
        .map(|(i, run)| NewRun {
            id: run.clone(),
            kind: RunKind::Stage,
            stage_index: i,
            stage_name: format!("stage{i}"),
            seed: 0,
            teacher_run: (i > 0).then(|| ids[i - 1].clone()),
            architecture: Architecture::Mlp(MlpSpec { hidden: vec![8] }),
            link: LinkSpec::default(),
            budget: api::Budget::default(),
            from_run: None,
            params: 100,
            epochs_total: 3,
        })
        .collect();
    let experiment = NewExperiment {
        id: id.into(),
        name: format!("experiment {id}"),
        dataset: "synthetic".into(),
        spec: spec(),
        warnings: vec![],
        chain: vec!["stage0 (mlp-xs)".into()],
        created_at,
    };
    store
        .insert_experiment(&experiment, &new_runs)
        .await
        .unwrap();
    ids
}

fn metrics(epoch: usize, accuracy: f64) -> EpochMetrics {
    EpochMetrics {
        epoch,
        terms: vec![TermValue {
            name: "ce".into(),
            raw: 1.0,
            weighted: 1.0,
        }],
        train_loss: 1.0 / epoch as f64,
        train_accuracy: accuracy,
        test_accuracy: accuracy,
        test_top5: None,
        test_loss: 0.5,
        val_accuracy: Some(accuracy),
        val_loss: Some(0.5),
        lr: 1e-3,
        temperature: None,
        curriculum_fraction: None,
        samples: 10,
        train_seconds: 0.1,
    }
}

#[tokio::test]
async fn the_sql_status_filter_agrees_with_the_status_rule_for_every_combination() {
    let (_dir, store) = store().await;
    let statuses = RunStatus::ALL;
    let mut expected = Vec::new();
    for (i, a) in statuses.iter().enumerate() {
        for (j, b) in statuses.iter().enumerate() {
            let id = format!("{:016x}", i * 10 + j);
            let runs = experiment(&store, &id, (i * 10 + j) as i64, 2).await;
            store.set_status(&runs[0], *a, None).await.unwrap();
            store.set_status(&runs[1], *b, None).await.unwrap();
            expected.push((id, rows::experiment_status(&[*a, *b])));
        }
    }
    for status in statuses {
        let filter = ExperimentFilter {
            status: Some(status),
            limit: 100,
            ..ExperimentFilter::default()
        };
        let (rows, total) = store.list_experiments(&filter).await.unwrap();
        let mut got: Vec<String> = rows.into_iter().map(|r| r.id).collect();
        got.sort();
        let mut want: Vec<String> = expected
            .iter()
            .filter(|(_, s)| *s == status)
            .map(|(id, _)| id.clone())
            .collect();
        want.sort();
        assert_eq!(got, want, "{status:?}");
        assert_eq!(total, want.len());
    }
}

#[tokio::test]
async fn an_epoch_commits_its_points_and_the_run_summary_together_and_replays_harmlessly() {
    let (_dir, store) = store().await;
    let runs = experiment(&store, "00000000000000aa", 1, 1).await;
    let losses = [(1, 0.5, 2.0), (2, 1.0, 1.5)];
    let commit = EpochCommit {
        run_id: &runs[0],
        metrics: &metrics(1, 0.4),
        step: 2,
        batch_losses: &losses,
    };

    store.record_epoch(&commit).await.unwrap();
    store.record_epoch(&commit).await.unwrap();

    let run = store.run(&runs[0]).await.unwrap().unwrap();
    assert_eq!(
        (
            run.epochs_done,
            run.val_best_test_accuracy,
            run.last_train_loss
        ),
        (1, Some(0.4), Some(1.0))
    );
    assert_eq!(
        store.curve(&runs[0], "batch_loss").await.unwrap().len(),
        2,
        "no duplicates"
    );
    assert_eq!(store.committed_epochs(&runs[0]).await.unwrap(), [1]);
    assert_eq!(store.last_step(&runs[0]).await.unwrap(), 2);
    let names = store.metrics_of(&runs[0]).await.unwrap();
    assert!(names.contains(&"loss.ce.weighted".to_string()), "{names:?}");

    store
        .record_epoch(&EpochCommit {
            metrics: &metrics(2, 0.3),
            step: 4,
            batch_losses: &[],
            ..commit
        })
        .await
        .unwrap();
    let run = store.run(&runs[0]).await.unwrap().unwrap();
    assert_eq!(
        (run.val_best_test_accuracy, run.last_test_accuracy),
        (Some(0.4), Some(0.3)),
        "the best validation epoch's test accuracy is kept"
    );
}

#[tokio::test]
async fn the_reported_epoch_follows_validation_accuracy_not_test_accuracy() {
    let (_dir, store) = store().await;
    let runs = experiment(&store, "00000000000000ab", 1, 1).await;
    // (validation, test): the best validation epoch is the second, whose test accuracy is
    // the worst; the third ties nothing and changes nothing.
    for (epoch, val, test) in [(1, 0.5, 0.4), (2, 0.6, 0.35), (3, 0.55, 0.5)] {
        let metrics = EpochMetrics {
            val_accuracy: Some(val),
            test_accuracy: test,
            ..metrics(epoch, test)
        };
        let commit = EpochCommit {
            run_id: &runs[0],
            metrics: &metrics,
            step: epoch as i64,
            batch_losses: &[],
        };
        store.record_epoch(&commit).await.unwrap();
    }
    let run = store.run(&runs[0]).await.unwrap().unwrap();
    assert_eq!(
        (
            run.best_val_accuracy,
            run.val_best_test_accuracy,
            run.last_test_accuracy
        ),
        (Some(0.6), Some(0.35), Some(0.5))
    );
}

#[tokio::test]
async fn a_failed_run_cancels_everything_it_would_have_taught_but_nothing_else() {
    let (_dir, store) = store().await;
    let chain = experiment(&store, "00000000000000bb", 1, 4).await;
    let other = experiment(&store, "00000000000000cc", 2, 1).await;

    let cancelled = store
        .cancel_dependents(&chain[1], "teacher failed")
        .await
        .unwrap();

    assert_eq!(cancelled.len(), 2);
    for id in &chain[2..] {
        let run = store.run(id).await.unwrap().unwrap();
        assert_eq!(
            (run.status(), run.message.as_deref()),
            (RunStatus::Cancelled, Some("teacher failed"))
        );
        assert!(run.finished_at.is_some());
    }
    assert_eq!(
        store.run(&chain[0]).await.unwrap().unwrap().status(),
        RunStatus::Queued
    );
    assert_eq!(
        store.run(&other[0]).await.unwrap().unwrap().status(),
        RunStatus::Queued
    );
}

#[tokio::test]
async fn the_next_runnable_run_waits_for_its_teacher() {
    let (_dir, store) = store().await;
    let chain = experiment(&store, "00000000000000dd", 1, 2).await;

    assert_eq!(store.next_runnable().await.unwrap().unwrap().id, chain[0]);
    assert!(store.claim(&chain[0]).await.unwrap());
    assert!(
        store.next_runnable().await.unwrap().is_none(),
        "the student waits"
    );
    assert!(
        !store.claim(&chain[0]).await.unwrap(),
        "a run is claimed once"
    );
    store
        .set_status(&chain[0], RunStatus::Succeeded, None)
        .await
        .unwrap();
    assert_eq!(store.next_runnable().await.unwrap().unwrap().id, chain[1]);
}

#[tokio::test]
async fn a_paused_run_keeps_saying_so_until_training_says_where_it_starts() {
    let (_dir, store) = store().await;
    let chain = experiment(&store, "00000000000000de", 1, 2).await;
    let paused = "paused by a server shutdown after 1 finished epoch(s)";
    store
        .set_status(&chain[0], RunStatus::Queued, Some(paused))
        .await
        .unwrap();
    let message = |row: Option<crate::store::RunRow>| row.unwrap().message;

    assert!(store.claim(&chain[0]).await.unwrap());
    store
        .mark_started(&chain[0], "cpu", "test device", "fingerprint")
        .await
        .unwrap();
    let run = store.run(&chain[0]).await.unwrap();
    assert_eq!(message(run).as_deref(), Some(paused));

    let resumed = "resumed from its checkpoint after epoch 1";
    let changed = store.set_running_message(&chain[0], Some(resumed)).await;
    assert!(changed.unwrap());
    let run = store.run(&chain[0]).await.unwrap();
    assert_eq!(message(run).as_deref(), Some(resumed));
    let again = store.set_running_message(&chain[0], Some(resumed)).await;
    assert!(!again.unwrap(), "the same message again changes nothing");

    let not_running = store
        .set_running_message(&chain[1], Some("not running"))
        .await;
    assert!(!not_running.unwrap());
    let queued = store.run(&chain[1]).await.unwrap();
    assert_eq!(
        message(queued),
        None,
        "only a running run's message changes"
    );
}

#[tokio::test]
async fn deleting_an_experiment_removes_its_runs_and_curves() {
    let (_dir, store) = store().await;
    let runs = experiment(&store, "00000000000000ee", 1, 1).await;
    let commit = EpochCommit {
        run_id: &runs[0],
        metrics: &metrics(1, 0.4),
        step: 1,
        batch_losses: &[(1, 1.0, 1.0)],
    };
    store.record_epoch(&commit).await.unwrap();

    store.delete_experiment("00000000000000ee").await.unwrap();

    assert!(store.run(&runs[0]).await.unwrap().is_none());
    assert!(store
        .curve(&runs[0], "batch_loss")
        .await
        .unwrap()
        .is_empty());
}

#[tokio::test]
async fn downsampling_in_sqlite_gives_exactly_the_reference_buckets() {
    let (_dir, store) = store().await;
    let runs = experiment(&store, "00000000000000ff", 1, 1).await;
    // 20,000 batch losses over 4 epochs of uneven length, as a curriculum makes them.
    let mut losses = Vec::new();
    let mut step = 0;
    for (epoch, batches) in [(1, 2000), (2, 4000), (3, 6000), (4, 8000)] {
        for b in 1..=batches {
            step += 1;
            let at = (epoch - 1) as f64 + b as f64 / batches as f64;
            losses.push((step, at, ((step * 7919) % 1000) as f64 / 1000.0));
        }
    }
    let commit = EpochCommit {
        run_id: &runs[0],
        metrics: &metrics(4, 0.5),
        step,
        batch_losses: &losses,
    };
    store.record_epoch(&commit).await.unwrap();
    let raw = store.curve(&runs[0], "batch_loss").await.unwrap();

    for (span, buckets) in [(4.0, 500), (4.0, 7), (10.0, 100), (1.0, 3), (4.0, 50_000)] {
        let (points, count) = store
            .curve_buckets(&runs[0], "batch_loss", span, buckets)
            .await
            .unwrap();
        assert_eq!(
            points,
            crate::downsample::downsample(&raw, span, buckets),
            "span {span}, {buckets} buckets"
        );
        assert_eq!(count, raw.len());
    }
    let (epoch_points, _) = store
        .curve_buckets(&runs[0], "test_accuracy", 4.0, 500)
        .await
        .unwrap();
    assert_eq!(epoch_points.len(), 1);
    assert_eq!(
        store
            .curve_buckets(&runs[0], "nothing", 4.0, 500)
            .await
            .unwrap(),
        (vec![], 0)
    );
}
