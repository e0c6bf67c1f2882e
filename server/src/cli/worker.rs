//! `distill worker`: trains runs of a lab whose store is a shared PostgreSQL database, on this
//! machine's device, next to a `distill serve` (often `--workers 0`) that serves the API and
//! dashboard. It claims runs (teachers first) under a lease its heartbeat renews, commits
//! epochs and curve points, honours cancel requests, and on SIGTERM or Ctrl-C checkpoints its
//! runs and gives them back to the queue.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;

use super::serve::init_tracing;
use super::{ArtifactsArg, BackendArg, DataDirArg};
use crate::jobs::Jobs;
use crate::settings::{default_checkpoints, default_workers};
use crate::startup::{engine_runtime, open_store, shutdown_signal, SHUTDOWN_GRACE};

/// Options of `distill worker`.
#[derive(Debug, clap::Args)]
pub struct WorkerArgs {
    /// The lab's PostgreSQL database, shared with `distill serve` (postgres://USER@HOST/DB).
    #[arg(long = "db", env = "DATABASE_URL")]
    database_url: String,
    /// Runs trained at the same time on this machine.
    #[arg(long, env = "DISTILL_WORKERS", default_value_t = default_workers(), value_parser = clap::value_parser!(u16).range(1..=64))]
    slots: u16,
    /// Where runs train.
    #[arg(long, value_enum, env = "DISTILL_BACKEND", default_value = "auto")]
    backend: BackendArg,
    /// Root of the runs' checkpoint directories. Without --artifacts, a directory every worker
    /// and the server see at the same path (e.g. NFS), so a student's worker finds its teacher's
    /// model and a run resumes anywhere [default: ~/.local/share/distill-lab/checkpoints].
    #[arg(long, env = "DISTILL_CHECKPOINTS")]
    checkpoints: Option<PathBuf>,
    #[command(flatten)]
    artifacts: ArtifactsArg,
    #[command(flatten)]
    data: DataDirArg,
}

pub fn worker(args: WorkerArgs) -> anyhow::Result<ExitCode> {
    init_tracing();
    if !args.database_url.starts_with("postgres") {
        anyhow::bail!(
            "distill worker trains runs of a shared PostgreSQL store (--db postgres://USER@HOST/DB); \
             with SQLite the server trains them itself (distill serve --workers N)"
        );
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(async {
        let store = open_store(&args.database_url).await?;
        let slots = args.slots as usize;
        let artifacts = args
            .artifacts
            .open(args.checkpoints.unwrap_or_else(default_checkpoints))?;
        let engine =
            engine_runtime(args.backend.into(), slots, args.data.dirs(), artifacts).await?;
        let device = format!(
            "{} ({})",
            engine.device.name,
            engine.device.backend.as_str()
        );
        let jobs = Jobs::start(store, engine, slots).await?;
        let me = jobs.worker();
        // Tests and scripts read this line to know the worker is claiming runs.
        println!(
            "Distill Lab worker {} on {} (pid {}): {slots} slot(s) on {device}",
            me.id, me.host, me.pid
        );
        shutdown_signal().await;
        tracing::info!("stopping: checkpointing running runs and giving them back to the queue");
        jobs.shutdown(SHUTDOWN_GRACE).await;
        anyhow::Ok(())
    })?;
    Ok(ExitCode::SUCCESS)
}
