//! One conformance suite for both stores, each test run on a real SQLite file and on a real
//! PostgreSQL server (a throw-away cluster from Debian's `postgresql`): the SQL status filter
//! agrees with the Rust rule, an epoch commits its points and summary together and can be
//! replayed, dependents cancel transitively, a run is claimed by one worker only, and a worker
//! that lost its claim writes nothing.

use api::{
    Architecture, EpochMetrics, ExperimentSpec, LinkSpec, MlpSpec, RunKind, RunStatus, TermValue,
};

use super::*;
use engine::train::PlannedRun;

/// What keeps a test's database alive.
enum Database {
    Sqlite(#[allow(dead_code)] tempfile::TempDir),
    Postgres(#[allow(dead_code)] distill_tests::postgres::Postgres),
}

async fn sqlite_store() -> Option<(Database, Store)> {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite:{}", dir.path().join("test.db").display());
    let store = Store::open(&url).await.unwrap();
    Some((Database::Sqlite(dir), store))
}

/// None only where PostgreSQL is not installed and DISTILL_SKIP_POSTGRES=1 says that is fine.
async fn postgres_store() -> Option<(Database, Store)> {
    let server = distill_tests::postgres::Postgres::require()?;
    let url = server.database("lab");
    let store = Store::open(&url).await.unwrap();
    Some((Database::Postgres(server), store))
}

/// Runs each test `async fn name(store: Store)` on SQLite and on PostgreSQL.
macro_rules! on_both_databases {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                let (_db, store) = super::sqlite_store().await.unwrap();
                super::$name(store).await;
            })*
        }
        mod postgres {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                let Some((_db, store)) = super::postgres_store().await else { return };
                super::$name(store).await;
            })*
        }
    };
}

on_both_databases!(
    the_sql_status_filter_agrees_with_the_status_rule_for_every_combination,
    an_epoch_commits_its_points_and_the_run_summary_together_and_replays_harmlessly,
    the_reported_epoch_follows_validation_accuracy_not_test_accuracy,
    a_failed_run_cancels_everything_it_would_have_taught_but_nothing_else,
    the_next_runnable_run_waits_for_its_teacher,
    a_run_is_claimed_by_one_worker_however_many_ask_at_once,
    a_run_whose_lease_lapsed_goes_back_to_the_queue_and_its_old_worker_writes_nothing,
    a_cancel_request_reaches_the_worker_holding_the_run,
    workers_are_listed_while_their_heartbeat_is_recent,
    a_paused_run_keeps_saying_so_until_training_says_where_it_starts,
    deleting_an_experiment_removes_its_runs_and_curves,
    downsampling_in_the_database_gives_exactly_the_reference_buckets,
    experiments_page_and_search_with_bound_values,
);

const LEASE_MS: i64 = 30_000;

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
            run: PlannedRun {
                id: run.clone(),
                kind: RunKind::Stage,
                stage_index: i,
                stage_name: format!("stage{i}"),
                seed: 0,
                teacher: (i > 0).then(|| ids[i - 1].clone()),
                architecture: Architecture::Mlp(MlpSpec { hidden: vec![8] }),
                link: LinkSpec::default(),
                budget: api::Budget {
                    epochs: 3,
                    ..api::Budget::default()
                },
                from_run: None,
            },
            params: 100,
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

async fn the_sql_status_filter_agrees_with_the_status_rule_for_every_combination(store: Store) {
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

async fn an_epoch_commits_its_points_and_the_run_summary_together_and_replays_harmlessly(
    store: Store,
) {
    let runs = experiment(&store, "00000000000000aa", 1, 1).await;
    let losses = [(1, 0.5, 2.0), (2, 1.0, 1.5)];
    let commit = EpochCommit {
        run_id: &runs[0],
        worker: None,
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

async fn the_reported_epoch_follows_validation_accuracy_not_test_accuracy(store: Store) {
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
            worker: None,
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

async fn a_failed_run_cancels_everything_it_would_have_taught_but_nothing_else(store: Store) {
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

async fn the_next_runnable_run_waits_for_its_teacher(store: Store) {
    let chain = experiment(&store, "00000000000000dd", 1, 2).await;
    let lease = now_ms() + LEASE_MS;

    let claimed = store.claim_next("worker-a", lease).await.unwrap().unwrap();
    assert_eq!(
        (
            claimed.id.as_str(),
            claimed.status(),
            claimed.worker_id.as_deref()
        ),
        (chain[0].as_str(), RunStatus::Running, Some("worker-a"))
    );
    assert!(
        store.claim_next("worker-b", lease).await.unwrap().is_none(),
        "the student waits for its teacher, and the teacher is claimed once"
    );
    store
        .set_status(&chain[0], RunStatus::Succeeded, None)
        .await
        .unwrap();
    let next = store.claim_next("worker-b", lease).await.unwrap().unwrap();
    assert_eq!(next.id, chain[1]);
}

async fn a_run_is_claimed_by_one_worker_however_many_ask_at_once(store: Store) {
    let runs = experiment(&store, "00000000000000d1", 1, 1).await;
    let lease = now_ms() + LEASE_MS;
    let claims: Vec<_> = (0..8)
        .map(|i| {
            let store = store.clone();
            tokio::spawn(async move { store.claim_next(&format!("worker-{i}"), lease).await })
        })
        .collect();
    let mut winners = Vec::new();
    for claim in claims {
        if let Some(run) = claim.await.unwrap().unwrap() {
            winners.push(run);
        }
    }
    assert_eq!(
        winners.len(),
        1,
        "exactly one of eight workers gets the run"
    );
    let run = store.run(&runs[0]).await.unwrap().unwrap();
    assert_eq!(run.worker_id, winners[0].worker_id);
}

async fn a_run_whose_lease_lapsed_goes_back_to_the_queue_and_its_old_worker_writes_nothing(
    store: Store,
) {
    let runs = experiment(&store, "00000000000000d2", 1, 1).await;
    let lapsed = now_ms() - 1;
    store.claim_next("worker-a", lapsed).await.unwrap().unwrap();
    assert_eq!(store.renew_leases("worker-b", now_ms()).await.unwrap(), 0);

    let expired = store.expired_leases(now_ms()).await.unwrap();
    assert_eq!(
        expired.iter().map(|r| &r.id).collect::<Vec<_>>(),
        [&runs[0]]
    );
    let message = "its worker worker-a stopped renewing its lease";
    let taken = store
        .take_from_lost_worker(&runs[0], Some("worker-a"), RunStatus::Queued, message)
        .await
        .unwrap();
    assert!(taken);
    let again = store
        .take_from_lost_worker(&runs[0], Some("worker-a"), RunStatus::Queued, message)
        .await
        .unwrap();
    assert!(!again, "a run is taken back once");
    let run = store.run(&runs[0]).await.unwrap().unwrap();
    assert_eq!((run.status(), run.worker_losses), (RunStatus::Queued, 1));

    let lease = now_ms() + LEASE_MS;
    store.claim_next("worker-b", lease).await.unwrap().unwrap();
    assert!(store.expired_leases(now_ms()).await.unwrap().is_empty());
    let late = EpochCommit {
        run_id: &runs[0],
        worker: Some("worker-a"),
        metrics: &metrics(1, 0.4),
        step: 1,
        batch_losses: &[(1, 1.0, 1.0)],
    };
    assert!(
        !store.record_epoch(&late).await.unwrap(),
        "the old worker's epoch is refused"
    );
    assert!(store
        .curve(&runs[0], "batch_loss")
        .await
        .unwrap()
        .is_empty());
    let ended = store
        .release(&runs[0], "worker-a", RunStatus::Failed, Some("late"))
        .await
        .unwrap();
    assert!(!ended, "the old worker cannot settle it");
    let current = EpochCommit {
        worker: Some("worker-b"),
        ..late
    };
    assert!(store.record_epoch(&current).await.unwrap());
    let run = store.run(&runs[0]).await.unwrap().unwrap();
    assert_eq!((run.status(), run.epochs_done), (RunStatus::Running, 1));
}

async fn a_cancel_request_reaches_the_worker_holding_the_run(store: Store) {
    let runs = experiment(&store, "00000000000000d3", 1, 1).await;
    store
        .claim_next("worker-a", now_ms() + LEASE_MS)
        .await
        .unwrap()
        .unwrap();
    assert!(store.cancel_requests("worker-a").await.unwrap().is_empty());

    let asked = store.request_cancel("00000000000000d3").await.unwrap();

    assert_eq!(asked, runs);
    assert_eq!(store.cancel_requests("worker-a").await.unwrap(), runs);
    assert!(store.cancel_requests("worker-b").await.unwrap().is_empty());
}

async fn workers_are_listed_while_their_heartbeat_is_recent(store: Store) {
    let worker = |id: &str| NewWorker {
        id: id.into(),
        host: "gpu-1".into(),
        pid: 42,
        backend: "wgpu".into(),
        device: "H200".into(),
        slots: 2,
    };
    store.register_worker(&worker("old"), 1_000).await.unwrap();
    store.register_worker(&worker("live"), 5_000).await.unwrap();
    store.register_worker(&worker("gone"), 5_000).await.unwrap();
    store.heartbeat("live", 1, 9_000).await.unwrap();
    store.worker_stopped("gone", 9_000).await.unwrap();

    let listed = store.live_workers(4_000).await.unwrap();

    assert_eq!(listed.len(), 1);
    let live = &listed[0];
    assert_eq!(
        (live.id.as_str(), live.busy, live.slots, live.heartbeat_at),
        ("live", 1, 2, 9_000)
    );
}

async fn a_paused_run_keeps_saying_so_until_training_says_where_it_starts(store: Store) {
    let chain = experiment(&store, "00000000000000de", 1, 2).await;
    let paused = "paused by a server shutdown after 1 finished epoch(s)";
    store
        .set_status(&chain[0], RunStatus::Queued, Some(paused))
        .await
        .unwrap();
    let message = |row: Option<crate::store::RunRow>| row.unwrap().message;

    let lease = now_ms() + LEASE_MS;
    assert!(store.claim_next("worker-a", lease).await.unwrap().is_some());
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

async fn deleting_an_experiment_removes_its_runs_and_curves(store: Store) {
    let runs = experiment(&store, "00000000000000ee", 1, 1).await;
    let commit = EpochCommit {
        run_id: &runs[0],
        worker: None,
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

async fn downsampling_in_the_database_gives_exactly_the_reference_buckets(store: Store) {
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
        worker: None,
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

async fn experiments_page_and_search_with_bound_values(store: Store) {
    for (i, name) in ["alpha", "beta", "alphabet"].iter().enumerate() {
        let id = format!("{:016x}", 0x100 + i);
        experiment(&store, &id, 10 + i as i64, 1).await;
        sqlx::query("UPDATE experiments SET name = $1 WHERE id = $2")
            .bind(*name)
            .bind(&id)
            .execute(&store.pool)
            .await
            .unwrap();
    }
    let search = |search: &str, before: Option<(i64, String)>| ExperimentFilter {
        search: Some(search.into()),
        limit: 1,
        before,
        ..ExperimentFilter::default()
    };

    let (page, total) = store
        .list_experiments(&search("ALPHA", None))
        .await
        .unwrap();
    let names: Vec<&str> = page.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(
        (names, total),
        (vec!["alphabet", "alpha"], 2),
        "newest first, one extra row"
    );

    let after = Some((page[0].created_at, page[0].id.clone()));
    let (next, _) = store
        .list_experiments(&search("alpha", after))
        .await
        .unwrap();
    assert_eq!(
        next.iter().map(|e| e.name.as_str()).collect::<Vec<_>>(),
        ["alpha"]
    );
    let runs = store
        .runs_of(&[page[0].id.clone(), next[0].id.clone()])
        .await
        .unwrap();
    assert_eq!(runs.len(), 2);
}
