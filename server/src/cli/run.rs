//! `distill run spec.json`: validate, train the chain with progress bars, print the results
//! table and write the outputs. Rerunning the same command resumes from the checkpoints.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use engine::train::{run_experiment, CancelToken, ExperimentContext, TrainError};

use super::{outputs, progress::ProgressBars, table, BackendArg, DataDirArg};
use crate::jobs::{ModelSource, SubmitError};
use crate::settings::default_database_url;
use crate::store::Store;

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
    /// The lab's database, where a first stage's `from_run` is looked up [default: the one
    /// `distill serve` uses].
    #[arg(long = "db", env = "DATABASE_URL")]
    database_url: Option<String>,
}

/// Exit status of a run stopped by Ctrl-C (128 + SIGINT).
const CANCELLED: u8 = 130;

pub fn run(args: RunArgs) -> anyhow::Result<ExitCode> {
    let text = std::fs::read_to_string(&args.spec)
        .with_context(|| format!("cannot read spec {}", args.spec.display()))?;
    let spec = engine::spec::parse_spec(&text)
        .with_context(|| format!("invalid spec {}", args.spec.display()))?;
    let imported = imported_model_of(&args, &spec)?;
    let validated = engine::spec::validate(spec, imported.as_ref().map(|(model, _)| model))
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

    let imported = imported
        .map(|(_, source)| {
            let input = engine::spec::input_shape(&validated.spec);
            source.load(
                input,
                &device,
                "the model of the run the first stage is taken from",
            )
        })
        .transpose()
        .map_err(anyhow::Error::msg)?;
    let runs = engine::train::plan_runs(&validated);
    let mut bars = ProgressBars::new(&runs);
    let ctx = ExperimentContext {
        data: &data,
        device: &device,
        checkpoints: Some(&checkpoints),
        cancel: &cancel,
    };
    let result = run_experiment(&validated, &ctx, imported.as_ref(), &mut bars);
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

/// The run a first stage is taken from (`from_run`), looked up in the lab's database; `None`
/// when the first stage is trained.
fn imported_model_of(
    args: &RunArgs,
    spec: &api::ExperimentSpec,
) -> anyhow::Result<Option<(engine::spec::ImportedModel, ModelSource)>> {
    if spec
        .chain
        .first()
        .and_then(|s| s.from_run.as_ref())
        .is_none()
    {
        return Ok(None);
    }
    let url = args
        .database_url
        .clone()
        .unwrap_or_else(default_database_url);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(async {
        let store = Store::open(&url)
            .await
            .with_context(|| format!("cannot open the lab's database {url}"))?;
        crate::jobs::imported_model(&store, spec)
            .await
            .map_err(|e| match e {
                SubmitError::Invalid(e) => {
                    anyhow::anyhow!("invalid spec {}: {e}", args.spec.display())
                }
                other => anyhow::Error::new(other),
            })
    })
}
