//! `distill run spec.json`: the job system of `distill serve`, in this process, over a store
//! next to the checkpoints: the experiment expands into runs, worker slots train the runnable
//! ones (teachers first, the rest in parallel), epochs are committed as they finish, and the
//! progress shown is a view of the same events SSE clients get. Then the results table and the
//! outputs. Running the same command again continues the same experiment: finished runs stay,
//! stopped ones resume from their checkpoints.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use api::{ExperimentReport, RunStatus};

use super::follow::follow;
use super::local::{default_out, LocalJobs};
use super::{outputs, table, ArtifactsArg, BackendArg, DataDirArg};
use crate::exports;
use crate::jobs::{Jobs, SubmitError, Submitted};
use crate::model_files::{model_file, ModelFormat};

/// Arguments of `distill run`.
#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// The experiment spec (JSON; see examples/).
    spec: PathBuf,
    /// Where to train.
    #[arg(long, value_enum, default_value = "auto")]
    backend: BackendArg,
    #[command(flatten)]
    data: DataDirArg,
    /// Output directory for report.json, curves.csv, metrics.csv and checkpoints
    /// [default: runs/<spec file name>].
    #[arg(long)]
    out: Option<PathBuf>,
    /// Checkpoint directory [default: <out>/checkpoints], with the runs' store beside them
    /// (`runs.db`): share one directory between experiments to train a common teacher (or
    /// baseline) once.
    #[arg(long)]
    checkpoints: Option<PathBuf>,
    #[command(flatten)]
    artifacts: ArtifactsArg,
    /// The store: a database URL, e.g. the lab's (`sqlite:~/.local/share/distill-lab/distill.db`)
    /// so the runs appear in the dashboard and a first stage's `from_run` is found there
    /// [default: sqlite:<checkpoints>/runs.db].
    #[arg(long = "db")]
    database_url: Option<String>,
    /// Runs trained at the same time (runs that do not wait for each other: seeds, baselines).
    #[arg(long, default_value_t = crate::settings::default_workers(), value_parser = clap::value_parser!(u16).range(1..=64))]
    workers: u16,
    /// Print the whole report as JSON on stdout (progress stays on stderr).
    #[arg(long)]
    json: bool,
    /// Also write every trained model into <out>/models in this format (`safetensors`: the
    /// reference implementation's names, for PyTorch's `load_state_dict`; `onnx`: for any ONNX
    /// runtime); repeat for several.
    #[arg(long, value_enum)]
    export: Vec<ModelFormat>,
}

/// Exit status of a run stopped by Ctrl-C (128 + SIGINT).
const CANCELLED: u8 = 130;

/// How long running runs get to checkpoint after Ctrl-C.
const GRACE: Duration = Duration::from_secs(60);

pub fn run(args: RunArgs) -> anyhow::Result<ExitCode> {
    let text = std::fs::read_to_string(&args.spec)
        .with_context(|| format!("cannot read spec {}", args.spec.display()))?;
    let spec = engine::spec::parse_spec(&text)
        .with_context(|| format!("invalid spec {}", args.spec.display()))?;
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| default_out(&args.spec, "experiment"));
    let checkpoints = args
        .checkpoints
        .clone()
        .unwrap_or_else(|| out.join("checkpoints"));
    for dir in [&out, &checkpoints] {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    // The body below moves these references, not the values.
    let (args, out) = (&args, &out);
    let lab = LocalJobs {
        backend: args.backend,
        data: &args.data,
        artifacts: &args.artifacts,
        database_url: args.database_url.as_deref(),
        workers: args.workers,
        checkpoints: &checkpoints,
    };
    lab.run(|jobs, url| async move {
        let submitted = match jobs.submit_or_resume(spec).await {
            Ok(submitted) => submitted,
            Err(SubmitError::Invalid(e)) => {
                anyhow::bail!("invalid spec {}: {e}", args.spec.display())
            }
            Err(e) => return Err(e.into()),
        };
        if let Submitted::Resumed { requeued, .. } = &submitted {
            eprintln!("continuing the same experiment from {url} ({requeued} run(s) queued again)");
        }
        finish(&jobs, submitted.id(), args, out).await
    })
}

/// Follows the experiment to its end (or Ctrl-C), then writes its outputs.
async fn finish(
    jobs: &Jobs,
    id: &str,
    args: &RunArgs,
    out: &std::path::Path,
) -> anyhow::Result<ExitCode> {
    let detail = jobs.detail(id).await?.context("the experiment vanished")?;
    for warning in &detail.warnings {
        eprintln!("warning: {warning}");
    }
    let ended = tokio::select! {
        ended = follow(jobs, id, &detail) => ended?,
        _ = tokio::signal::ctrl_c() => {
            eprintln!("\ninterrupted: stopping after the current batch (the last finished epoch is checkpointed)");
            jobs.shutdown(GRACE).await;
            eprintln!("rerun the same command to resume");
            return Ok(ExitCode::from(CANCELLED));
        }
    };
    let report = report_of(jobs, id).await?;
    let summaries = engine::report::summarize(&report);
    let ended_detail = jobs.detail(id).await?.context("the experiment vanished")?;
    let curves = exports::stored_curves(jobs.store(), &ended_detail.runs).await?;
    outputs::write_all(
        out,
        &report,
        &summaries,
        exports::curves_csv(id, &ended_detail.runs, &curves),
    )?;
    export_models(jobs, id, &args.export, &out.join("models")).await?;
    eprintln!();
    eprint!("{}", table::render(&summaries));
    eprintln!("\noutputs: {}", out.display());
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    }
    if ended != RunStatus::Succeeded {
        for run in ended_detail
            .runs
            .iter()
            .filter(|r| r.status != RunStatus::Succeeded)
        {
            eprintln!(
                "{} seed {}: {} — {}",
                run.stage_name,
                run.seed,
                run.status.as_str(),
                run.message.as_deref().unwrap_or("")
            );
        }
        anyhow::bail!("the experiment ended {}", ended.as_str());
    }
    Ok(ExitCode::SUCCESS)
}

/// Writes the model of every succeeded run of the experiment into `dir` in each format.
async fn export_models(
    jobs: &Jobs,
    id: &str,
    formats: &[ModelFormat],
    dir: &std::path::Path,
) -> anyhow::Result<()> {
    if formats.is_empty() {
        return Ok(());
    }
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let runs = jobs.store().runs_of(&[id.to_string()]).await?;
    for run in runs.iter().filter(|r| r.status() == RunStatus::Succeeded) {
        for &format in formats {
            let file = model_file(jobs, run, format).await?;
            let path = dir.join(&file.name);
            std::fs::write(&path, &file.bytes)
                .with_context(|| format!("cannot write {}", path.display()))?;
        }
    }
    Ok(())
}

/// The experiment's report: its resolved spec and the report of every succeeded run, in
/// training order.
async fn report_of(jobs: &Jobs, id: &str) -> anyhow::Result<ExperimentReport> {
    let store = jobs.store();
    let experiment = store
        .experiment(id)
        .await?
        .context("the experiment vanished")?;
    let mut runs = Vec::new();
    for row in store.runs_of(&[id.to_string()]).await? {
        if let Some(report) = row.report()? {
            runs.push(report);
        }
    }
    Ok(ExperimentReport {
        spec: experiment.spec()?,
        conventions: engine::LOSS_CONVENTIONS.to_string(),
        runs,
    })
}
