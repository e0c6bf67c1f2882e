//! `distill run spec.json`: validate, train the chain with progress bars, print the results
//! table and write the outputs. Rerunning the same command resumes from the checkpoints.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use engine::train::{run_experiment, CancelToken, ExperimentContext, TrainError};

use super::{outputs, progress::ProgressBars, table, BackendArg, DataDirArg};

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
    /// Checkpoint directory [default: <out>/checkpoints]. Runs whose configuration matches a
    /// checkpoint there resume from it, or are reused when finished: share one directory
    /// between experiments to train a common teacher once.
    #[arg(long)]
    checkpoints: Option<PathBuf>,
    /// Print the whole report as JSON on stdout (progress stays on stderr).
    #[arg(long)]
    json: bool,
}

/// Exit status of a run stopped by Ctrl-C (128 + SIGINT).
const CANCELLED: u8 = 130;

pub fn run(args: RunArgs) -> anyhow::Result<ExitCode> {
    let text = std::fs::read_to_string(&args.spec)
        .with_context(|| format!("cannot read spec {}", args.spec.display()))?;
    let spec = engine::spec::parse_spec(&text)
        .with_context(|| format!("invalid spec {}", args.spec.display()))?;
    let validated = engine::spec::validate(spec)
        .with_context(|| format!("invalid spec {}", args.spec.display()))?;
    for warning in &validated.warnings {
        eprintln!("warning: {warning}");
    }
    let device = engine::device::select(args.backend.into())?;
    eprintln!("backend: {} on {}", device.backend.as_str(), device.name);
    if let Some(reason) = &device.fallback_reason {
        eprintln!("  (auto chose the CPU: {reason})");
    }
    let dataset = validated.spec.dataset.name;
    let data = engine::data::load(dataset, &args.data.dirs())?;
    eprintln!(
        "dataset: {dataset} ({} train / {} test images)",
        data.train.len(),
        data.test.len()
    );

    let out = args.out.clone().unwrap_or_else(|| {
        let stem = args
            .spec
            .file_stem()
            .map_or("experiment".into(), |s| s.to_string_lossy().to_string());
        PathBuf::from("runs").join(stem)
    });
    std::fs::create_dir_all(&out).with_context(|| format!("cannot create {}", out.display()))?;
    let checkpoints = args
        .checkpoints
        .clone()
        .unwrap_or_else(|| out.join("checkpoints"));

    let cancel = CancelToken::new();
    let on_interrupt = cancel.clone();
    ctrlc::set_handler(move || {
        eprintln!("\ninterrupted: stopping after the current batch (the last finished epoch is checkpointed)");
        on_interrupt.cancel();
    })
    .context("cannot install the Ctrl-C handler")?;

    let runs = engine::train::plan_runs(&validated.spec);
    let mut bars = ProgressBars::new(&runs, validated.spec.budget.epochs);
    let ctx = ExperimentContext {
        data: &data,
        device: &device,
        checkpoints: Some(&checkpoints),
        cancel: &cancel,
    };
    let result = run_experiment(&validated, &ctx, &mut bars);
    bars.finish();
    let report = match result {
        Ok(report) => report,
        Err(TrainError::Cancelled {
            run_id,
            epochs_done,
        }) => {
            eprintln!(
                "cancelled during {run_id} after {epochs_done} finished epoch(s); rerun the same command to resume"
            );
            return Ok(ExitCode::from(CANCELLED));
        }
        Err(err) => return Err(err.into()),
    };
    let summaries = engine::report::summarize(&report);
    outputs::write_all(&out, &report, &summaries)?;
    eprintln!();
    eprint!("{}", table::render(&summaries));
    eprintln!("\noutputs: {}", out.display());
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    }
    Ok(ExitCode::SUCCESS)
}
