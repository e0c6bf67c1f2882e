//! Many machines, on one: `distill serve --workers 0` on a PostgreSQL store (a throw-away
//! cluster from Debian's `postgresql`) with `distill worker` processes sharing a checkpoint
//! directory. Runs spread over the workers and their live progress reaches the server's SSE
//! clients; a worker killed with `kill -9` loses its run to another worker (of the same machine
//! at once, of another once the lease expires), which resumes it from its checkpoint with every
//! epoch stored once; a worker that stalls past its lease stops the run it lost when it wakes;
//! a cancel reaches a run on a worker; a PostgreSQL restart loses nothing; `distill run` on the
//! lab's database trains beside its workers; workers that share no directory pass checkpoints
//! and models through an S3-compatible store.

use std::time::{Duration, Instant};

use api::{ExperimentPage, RunCurves, RunStatus, RunSummary, SystemInfo};
use distill_tests::postgres::Postgres;
use distill_tests::{distill_run_on_cpu, kd_pair, stderr, three_stage_chain, Server, Worker, S3};
use serde_json::{json, Value};

/// A lab: the server (training nothing) and its database; workers are started by each test.
struct Lab {
    // Field order is drop order: the server stops before its database.
    server: Server,
    db: String,
    dir: tempfile::TempDir,
    postgres: Postgres,
}

impl Lab {
    /// None where PostgreSQL is not installed and DISTILL_SKIP_POSTGRES=1 allows skipping.
    fn start() -> Option<Lab> {
        let postgres = Postgres::require()?;
        let db = postgres.database("lab");
        let dir = tempfile::tempdir().unwrap();
        let server = Server::start_with_db(dir.path(), &db, &["--workers", "0"]);
        Some(Lab {
            server,
            db,
            dir,
            postgres,
        })
    }

    /// A worker with one slot on this machine.
    fn worker(&self) -> Worker {
        Worker::start(&self.db, 1, &self.checkpoints())
    }

    /// A worker with one slot that believes it runs on the machine `host`.
    fn worker_on_host(&self, host: &str) -> Worker {
        Worker::start_on_host(host, &self.db, 1, &self.checkpoints())
    }

    fn checkpoints(&self) -> std::path::PathBuf {
        self.dir.path().join("checkpoints")
    }
}

/// Epochs stored for a run (its test-accuracy points).
fn stored_epochs(server: &Server, run: &str) -> Vec<f64> {
    let curves: RunCurves = server
        .get(&format!(
            "/api/runs/{run}/curves?metrics=test_accuracy&max_points=1000"
        ))
        .parse();
    curves.curves[0].points.iter().map(|p| p.epoch).collect()
}

/// The run `id` of `runs`.
fn run_named<'a>(runs: &'a [RunSummary], id: &str) -> &'a RunSummary {
    runs.iter()
        .find(|r| r.id == id)
        .unwrap_or_else(|| panic!("no run {id}"))
}

#[test]
fn a_three_stage_experiment_with_a_baseline_and_two_seeds_trains_on_two_workers() {
    let Some(lab) = Lab::start() else { return };
    let (a, b) = (lab.worker(), lab.worker());
    let system: SystemInfo = lab.server.get("/api/system").parse();
    let listed: Vec<&str> = system
        .worker_processes
        .iter()
        .map(|w| w.id.as_str())
        .collect();
    assert!(
        listed.contains(&a.id.as_str()) && listed.contains(&b.id.as_str()),
        "{listed:?}"
    );
    assert_eq!((system.database.as_str(), system.workers), ("postgres", 0));

    let mut spec = three_stage_chain(2, 600);
    spec["seeds"] = json!([0, 1]);
    let started = Instant::now();
    let id = lab.server.submit(&spec);
    let mut progress_events = 0;
    lab.server.follow(&id, |e| {
        progress_events += usize::from(e.name == "progress");
        e.name != "end"
    });
    let detail = lab.server.ended(&id);
    eprintln!(
        "2 workers: 8 runs in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    assert_eq!(detail.summary.status, RunStatus::Succeeded, "{detail:?}");
    assert_eq!(detail.runs.len(), 8, "3 stages and a baseline, 2 seeds");
    let mut by_worker = std::collections::BTreeMap::<String, usize>::new();
    for run in &detail.runs {
        let worker = run.worker_id.clone().unwrap_or_else(|| "none".into());
        *by_worker.entry(worker).or_default() += 1;
        assert_eq!(stored_epochs(&lab.server, &run.id), [1.0, 2.0]);
    }
    assert_eq!(
        by_worker.keys().collect::<Vec<_>>(),
        {
            let mut ids = vec![&a.id, &b.id];
            ids.sort();
            ids
        },
        "runs spread over both workers: {by_worker:?}"
    );
    assert!(
        progress_events > 0,
        "live progress of remote workers reaches the server's clients"
    );
    assert!(a.stop() && b.stop(), "workers exit cleanly on SIGTERM");
}

/// A teacher and a KD student on 3,000 images: seconds per epoch on 2 cores.
fn two_stages(epochs: usize) -> Value {
    let mut spec = three_stage_chain(epochs, 3000);
    spec["baseline"] = false.into();
    spec["chain"] = json!([
        { "name": "teacher", "architecture": { "kind": "preset", "name": "cnn-s" } },
        { "name": "student", "architecture": { "kind": "preset", "name": "cnn-xs" },
          "link": { "terms": [ { "method": "kd" } ] } }
    ]);
    spec
}

/// Follows experiment `id` until its teacher trains its second epoch (one epoch is
/// checkpointed, a batch is training); returns the teacher's run id.
fn teacher_in_second_epoch(server: &Server, id: &str) -> String {
    stage_in_second_epoch(server, id, "teacher")
}

/// Follows experiment `id` until the run of stage `stage` trains its second epoch; returns
/// that run's id.
fn stage_in_second_epoch(server: &Server, id: &str, stage: &str) -> String {
    let mut run = String::new();
    server.follow(id, |e| {
        if e.name == "run" && e.data["run"]["stage_name"] == stage {
            run = e.data["run"]["id"].as_str().unwrap().to_string();
        }
        !(e.name == "progress"
            && e.data["progress"]["run_id"] == run.as_str()
            && e.data["progress"]["epoch"] == 2)
    });
    run
}

/// Kills (`kill -9`) the worker `first` while the teacher of a 4-epoch two-stage experiment
/// trains its second epoch; `second` must take the run over and finish the experiment, every
/// epoch stored once. Returns the teacher's final message (where it resumed, and why).
fn killed_mid_epoch_resumes_on(
    lab: &Lab,
    first: Worker,
    second: impl FnOnce() -> Worker,
) -> String {
    let id = lab.server.submit(&two_stages(4));
    let teacher = teacher_in_second_epoch(&lab.server, &id);
    let second = second();
    first.kill_hard();
    let (_, waited) = lab
        .server
        .wait_for_run(&id, &teacher, Duration::from_secs(120), |run| {
            run["status"] == "running" && run["worker_id"] == second.id.as_str()
        });
    eprintln!(
        "kill -9 to running on the other worker: {:.1} s",
        waited.as_secs_f64()
    );
    let detail = lab.server.ended(&id);

    assert_eq!(
        detail.summary.status,
        RunStatus::Succeeded,
        "{detail:?}\n{}",
        second.logs()
    );
    let teacher_run = run_named(&detail.runs, &teacher);
    assert_eq!(teacher_run.worker_id.as_ref(), Some(&second.id));
    let message = teacher_run.message.clone().unwrap_or_default();
    assert!(
        message.starts_with("resumed from its checkpoint after epoch 1"),
        "{teacher_run:?}"
    );
    assert_eq!(
        stored_epochs(&lab.server, &teacher),
        [1.0, 2.0, 3.0, 4.0],
        "every epoch stored exactly once"
    );
    message
}

#[test]
fn a_run_of_a_worker_killed_mid_epoch_resumes_from_its_checkpoint_on_another_worker_of_its_machine()
{
    let Some(lab) = Lab::start() else { return };
    let first = lab.worker();
    let taken_over = killed_mid_epoch_resumes_on(&lab, first, || lab.worker());
    assert!(
        taken_over.contains("is gone"),
        "a worker of the same machine sees that the process is gone: {taken_over}"
    );
}

#[test]
fn a_run_of_a_worker_killed_on_another_machine_resumes_once_its_lease_has_expired() {
    let Some(lab) = Lab::start() else { return };
    let first = lab.worker_on_host("machine-a");
    let taken_over = killed_mid_epoch_resumes_on(&lab, first, || lab.worker_on_host("machine-b"));
    assert!(
        taken_over.contains("stopped renewing its lease"),
        "only the lease tells a worker elsewhere that the run's worker is gone: {taken_over}"
    );
}

#[test]
fn a_worker_frozen_past_its_lease_finds_its_run_taken_over_and_stops_training_it() {
    let Some(lab) = Lab::start() else { return };
    let stalled = lab.worker_on_host("machine-a");
    let id = lab.server.submit(&two_stages(4));
    let teacher = teacher_in_second_epoch(&lab.server, &id);
    stalled.freeze();
    let other = lab.worker_on_host("machine-b");
    lab.server
        .wait_for_run(&id, &teacher, Duration::from_secs(120), |run| {
            run["worker_id"] == other.id.as_str()
        });
    stalled.thaw();
    let detail = lab.server.ended(&id);

    assert_eq!(detail.summary.status, RunStatus::Succeeded, "{detail:?}");
    let teacher_run = run_named(&detail.runs, &teacher);
    assert_eq!(
        teacher_run.worker_id.as_ref(),
        Some(&other.id),
        "{teacher_run:?}"
    );
    assert_eq!(
        stored_epochs(&lab.server, &teacher),
        [1.0, 2.0, 3.0, 4.0],
        "the stalled worker's late epoch was not stored"
    );
    let logs = stalled.logs();
    assert!(
        logs.contains("another worker holds this run now: epoch not stored, training stops"),
        "woken up, the stalled worker stops the run it lost:\n{logs}"
    );
}

#[test]
fn a_postgres_restart_mid_run_is_ridden_out_by_the_server_and_the_worker_and_loses_nothing() {
    let Some(lab) = Lab::start() else { return };
    let worker = lab.worker();
    let id = lab.server.submit(&two_stages(6));
    teacher_in_second_epoch(&lab.server, &id);
    // Down for longer than an epoch takes: an epoch ends while the database is away.
    lab.postgres.restart(Duration::from_secs(6));
    let detail = lab.server.ended(&id);

    assert_eq!(
        detail.summary.status,
        RunStatus::Succeeded,
        "{detail:?}\n{}",
        worker.logs()
    );
    for run in &detail.runs {
        assert_eq!(
            run.worker_id.as_ref(),
            Some(&worker.id),
            "never lost: {run:?}"
        );
        assert_eq!(
            stored_epochs(&lab.server, &run.id),
            [1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
            "every epoch stored exactly once: {run:?}"
        );
    }
    let logs = worker.logs();
    assert!(
        logs.contains("the database is unreachable")
            && logs.contains("the database answered again"),
        "a write met the outage and was made once the database was back:\n{logs}"
    );
}

#[test]
fn cancelling_reaches_a_run_on_a_worker_within_a_batch() {
    let Some(lab) = Lab::start() else { return };
    let _worker = lab.worker();
    let id = lab.server.submit(&two_stages(20));
    let mut asked = None;
    let events = lab.server.follow(&id, |e| {
        if e.name == "progress" && asked.is_none() {
            let answer = lab
                .server
                .post(&format!("/api/experiments/{id}/cancel"), &Value::Null);
            assert_eq!(answer.status, 202, "{}", answer.text);
            asked = Some(Instant::now());
        }
        e.name != "end"
    });
    eprintln!(
        "cancel to end on a worker: {:.1} s",
        asked.unwrap().elapsed().as_secs_f64()
    );

    assert_eq!(events.last().unwrap().data["status"], "cancelled");
    for run in lab.server.detail(&id).runs {
        assert_eq!(run.status, RunStatus::Cancelled, "{run:?}");
    }
}

#[test]
fn distill_run_on_the_lab_database_trains_beside_the_lab_workers_and_writes_its_usual_outputs() {
    let Some(lab) = Lab::start() else { return };
    let worker = lab.worker();
    let mut spec = three_stage_chain(2, 600);
    spec["seeds"] = json!([0, 1]);
    let spec_path = lab.dir.path().join("spec.json");
    std::fs::write(&spec_path, spec.to_string()).unwrap();
    let out = lab.dir.path().join("out");
    let checkpoints = lab.checkpoints();
    let extra = [
        "--json",
        "--workers",
        "1",
        "--db",
        &lab.db,
        "--checkpoints",
        checkpoints.to_str().unwrap(),
    ];
    let output = distill_run_on_cpu(&spec_path, &out, &extra);

    assert!(output.status.success(), "{}", stderr(&output));
    let report: api::ExperimentReport =
        serde_json::from_slice(&output.stdout).expect("--json prints the report");
    assert_eq!(report.runs.len(), 8, "3 stages and a baseline, 2 seeds");
    assert!(report.runs.iter().all(|r| r.epochs.len() == 2));
    for file in ["report.json", "summary.json", "curves.csv", "metrics.csv"] {
        assert!(out.join(file).is_file(), "{file} is written");
    }
    let listed: ExperimentPage = lab.server.get("/api/experiments").parse();
    assert_eq!(listed.total, 1, "the lab shows the experiment: {listed:?}");
    let detail = lab.server.detail(&listed.experiments[0].id);
    let trained_by: std::collections::BTreeSet<&str> = detail
        .runs
        .iter()
        .map(|run| run.worker_id.as_deref().expect("a worker trained it"))
        .collect();
    assert_eq!(
        trained_by.len(),
        2,
        "runs trained in `distill run` and on the worker: {trained_by:?}"
    );
    assert!(trained_by.contains(worker.id.as_str()), "{trained_by:?}");
}

#[test]
fn workers_that_share_no_directory_pass_checkpoints_and_models_through_an_object_store() {
    let Some(s3) = S3::require() else { return };
    let Some(postgres) = Postgres::require() else {
        return;
    };
    let db = postgres.database("lab");
    let dir = tempfile::tempdir().unwrap();
    let location = s3.url("runs");
    let lab_args = ["--workers", "0", "--artifacts", &location];
    let server = Server::start_with_env(dir.path(), &db, &lab_args, &s3.env());
    // Each "machine" has a checkpoint directory of its own and its own HOSTNAME.
    let machine = |host: &str| {
        let mut env = s3.env();
        env.push(("DISTILL_ARTIFACTS".into(), location.clone()));
        env.push(("HOSTNAME".into(), host.into()));
        Worker::start_with_env(&db, 1, &dir.path().join(host), &env)
    };
    let alpha = machine("alpha");
    let id = server.submit(&two_stages(4));
    let student = stage_in_second_epoch(&server, &id, "student");
    let beta = machine("beta");
    assert!(
        alpha.stop(),
        "alpha exits cleanly, giving its run back to the queue"
    );
    let detail = server.ended(&id);

    assert_eq!(
        detail.summary.status,
        RunStatus::Succeeded,
        "{detail:?}\n{}",
        beta.logs()
    );
    let runs = &detail.runs;
    let student_run = run_named(runs, &student);
    assert_eq!(
        student_run.worker_id.as_ref(),
        Some(&beta.id),
        "{student_run:?}"
    );
    assert!(
        student_run
            .message
            .as_deref()
            .is_some_and(|m| m.starts_with("resumed from its checkpoint after epoch")),
        "beta resumed alpha's checkpoint, which it could only get from the store: {student_run:?}"
    );
    for run in runs {
        assert_eq!(
            stored_epochs(&server, &run.id),
            [1.0, 2.0, 3.0, 4.0],
            "every epoch stored exactly once: {run:?}"
        );
    }
    let teacher = runs.iter().find(|r| r.stage_name == "teacher").unwrap();
    let teacher_id = teacher.id.as_str();
    let fetched_teacher = std::fs::read_dir(dir.path().join("beta"))
        .unwrap()
        .flatten()
        .find(|entry| entry.file_name().to_string_lossy().starts_with(teacher_id))
        .map(|entry| entry.path().join("model.bpk"));
    assert!(
        fetched_teacher.is_some_and(|model| model.is_file()),
        "beta, which never trained the teacher, fetched its model from the store"
    );

    let keys = s3.keys("runs/");
    for run in [teacher_id, student.as_str()] {
        let files: Vec<&str> = keys
            .iter()
            .filter(|key| key.starts_with(&format!("runs/{run}-")))
            .filter_map(|key| key.rsplit('/').next())
            .collect();
        assert_eq!(
            files,
            [
                "best.bpk",
                "model.bpk",
                "optimizer-epoch4.bin",
                "progress.json",
                "student-epoch4.bpk"
            ],
            "run {run}: the last epoch's checkpoint and the model, older epochs removed"
        );
    }
    let model_key = keys
        .iter()
        .find(|key| key.starts_with(&format!("runs/{student}-")) && key.ends_with("/model.bpk"))
        .unwrap();
    let run_dir = model_key.split('/').nth(1).unwrap();
    assert!(
        !dir.path().join("checkpoints").join(run_dir).exists(),
        "the server trained nothing and has no copy"
    );
    let download = server.get(&format!("/api/runs/{student}/model"));
    assert_eq!(download.status, 200, "{}", download.text);
    assert_eq!(
        download.bytes,
        std::fs::read(dir.path().join("beta").join(run_dir).join("model.bpk")).unwrap(),
        "the server serves the model beta trained, from the store"
    );

    assert_eq!(server.delete(&format!("/api/experiments/{id}")).status, 204);
    assert_eq!(
        s3.keys("runs/"),
        Vec::<String>::new(),
        "deleting the experiment deletes its objects"
    );
    assert!(beta.stop());
}

#[test]
fn a_grid_sweep_queued_on_the_server_is_trained_by_the_workers_and_confirmed() {
    let Some(lab) = Lab::start() else { return };
    let (_a, _b) = (lab.worker(), lab.worker());
    let sweep = json!({
        "base": kd_pair(1),
        "space": { "chain[1].link.terms[0].temperature": { "values": [1, 4] } },
        "strategy": { "kind": "grid" },
        "confirm": { "seeds": [1] }
    });
    let answer = lab.server.post("/api/sweeps", &sweep);
    assert_eq!(answer.status, 201, "{}", answer.text);
    let id = answer.json["id"].as_str().unwrap().to_string();

    let deadline = Instant::now() + Duration::from_secs(240);
    let view: api::SweepView = loop {
        let view: api::SweepView = lab.server.get(&format!("/api/sweeps/{id}")).parse();
        if view.status.is_terminal() {
            break view;
        }
        assert!(Instant::now() < deadline, "the sweep did not end: {view:?}");
        std::thread::sleep(Duration::from_millis(300));
    };

    assert_eq!(view.status, api::SweepStatus::Succeeded, "{view:?}");
    assert_eq!(view.trials.len(), 2);
    assert!(view.trials.iter().all(|t| t.val_accuracy.is_some()));
    let confirmation = view.confirmation.unwrap();
    assert_eq!(confirmation.tuned_vs_default.unwrap().n, 1);
}
