//! `distill sweep sweep.json`: a sweep on the job system of `distill serve`, in this process,
//! over a store next to the checkpoints (or the lab's own with `--db`): trials are queued as
//! slots free up and stopped early by successive halving, each line of progress says what a
//! trial scored on validation, and the end prints the trial table, the winner and its
//! confirmation on fresh paired seeds (tuned vs default, tuned vs CE). Running the same command
//! again follows the same sweep: finished trials stay, the schedule goes on.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use api::{SweepStatus, SweepView};

use super::local::{default_out, LocalJobs};
use super::table::gain_text;
use super::{ArtifactsArg, BackendArg, DataDirArg};
use crate::jobs::SubmitError;
use crate::sweeps::Sweeps;

/// Arguments of `distill sweep`.
#[derive(Debug, clap::Args)]
pub struct SweepArgs {
    /// The sweep (JSON; see examples/sweeps/).
    spec: PathBuf,
    /// Where to train.
    #[arg(long, value_enum, default_value = "auto")]
    backend: BackendArg,
    #[command(flatten)]
    data: DataDirArg,
    /// Output directory for sweep.json and the checkpoints [default: runs/<spec file name>].
    #[arg(long)]
    out: Option<PathBuf>,
    #[command(flatten)]
    artifacts: ArtifactsArg,
    /// The store [default: sqlite:<out>/checkpoints/runs.db]; the lab's own database makes the
    /// sweep appear in the dashboard.
    #[arg(long = "db")]
    database_url: Option<String>,
    /// Trials trained at the same time.
    #[arg(long, default_value_t = crate::settings::default_workers(), value_parser = clap::value_parser!(u16).range(1..=64))]
    workers: u16,
    /// Print the sweep as JSON on stdout at the end (progress stays on stderr).
    #[arg(long)]
    json: bool,
}

/// Exit status of a sweep stopped by Ctrl-C (128 + SIGINT).
const CANCELLED: u8 = 130;

/// How long running trials get to checkpoint after Ctrl-C.
const GRACE: Duration = Duration::from_secs(60);

pub fn sweep(args: SweepArgs) -> anyhow::Result<ExitCode> {
    let text = std::fs::read_to_string(&args.spec)
        .with_context(|| format!("cannot read sweep {}", args.spec.display()))?;
    let value = serde_json::from_str(&text)
        .with_context(|| format!("{} is not JSON", args.spec.display()))?;
    let spec = engine::sweep::parse_sweep_value(value)
        .with_context(|| format!("invalid sweep {}", args.spec.display()))?;
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| default_out(&args.spec, "sweep"));
    let checkpoints = out.join("checkpoints");
    std::fs::create_dir_all(&checkpoints)
        .with_context(|| format!("cannot create {}", checkpoints.display()))?;
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
        let sweeps = Sweeps::start(jobs.clone()).await?;
        let id = match sweeps.same_sweep(&spec).await? {
            Some(id) => {
                eprintln!("following the same sweep from {url} ({id})");
                id
            }
            None => match sweeps.submit(spec).await {
                Ok(created) => {
                    eprintln!(
                        "sweep {}: {} trial(s), rungs of {:?} epochs",
                        created.id, created.trials, created.rungs
                    );
                    created.id
                }
                Err(SubmitError::Invalid(e)) => {
                    anyhow::bail!("invalid sweep {}: {e}", args.spec.display())
                }
                Err(e) => return Err(e.into()),
            },
        };
        let ended = tokio::select! {
            ended = follow(&sweeps, &id) => ended?,
            _ = tokio::signal::ctrl_c() => {
                eprintln!("\ninterrupted: stopping the running trials after their batch");
                jobs.shutdown(GRACE).await;
                eprintln!("rerun the same command to resume the sweep");
                return Ok(ExitCode::from(CANCELLED));
            }
        };
        std::fs::write(
            out.join("sweep.json"),
            serde_json::to_string_pretty(&ended)?,
        )?;
        eprint!("\n{}", render(&ended));
        eprintln!("\noutputs: {}", out.join("sweep.json").display());
        if args.json {
            println!("{}", serde_json::to_string_pretty(&ended)?);
        }
        match ended.status {
            SweepStatus::Succeeded => Ok(ExitCode::SUCCESS),
            status => anyhow::bail!(
                "the sweep ended {}: {}",
                status.as_str(),
                ended.message.as_deref().unwrap_or("no message")
            ),
        }
    })
}

/// Prints a line for every trial that finishes a rung, until the sweep ends; returns it.
async fn follow(sweeps: &Sweeps, id: &str) -> anyhow::Result<SweepView> {
    let mut told: BTreeSet<(usize, usize)> = BTreeSet::new();
    let mut confirming = false;
    loop {
        let view = sweeps.view(id).await?.context("the sweep vanished")?;
        for trial in &view.trials {
            for (rung, accuracy) in trial.rung_val_accuracy.iter().enumerate() {
                if let Some(accuracy) = accuracy {
                    if told.insert((trial.index, rung)) {
                        eprintln!(
                            "trial {:>3} rung {rung} ({:>3} epochs): val {:.2} %  {}",
                            trial.index,
                            view.rungs[rung],
                            accuracy * 100.0,
                            values_text(&view.dimensions, &trial.values)
                        );
                    }
                }
            }
        }
        if view.status == SweepStatus::Confirming && !confirming {
            confirming = true;
            eprintln!(
                "winner: trial {}; confirming it against the default on seeds {:?}",
                view.winner.unwrap_or_default(),
                view.confirm_seeds
            );
        }
        if view.status.is_terminal() {
            return Ok(view);
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

/// `temperature=4 ce_weight=0.1`: a trial's values by the last field of each path.
fn values_text(dimensions: &[String], values: &[serde_json::Value]) -> String {
    dimensions
        .iter()
        .zip(values)
        .map(|(path, value)| {
            let short = path.rsplit('.').next().unwrap_or(path);
            match value.as_f64() {
                Some(x) if !value.is_i64() && !value.is_u64() => format!("{short}={x:.4}"),
                _ => format!("{short}={value}"),
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The trial table (validation only), the winner and the confirmation.
pub fn render(view: &SweepView) -> String {
    let mut out = format!(
        "{:>5} {:>4} {:>6} {:>9}  values\n",
        "trial", "rung", "epochs", "val (%)"
    );
    for trial in &view.trials {
        let accuracy = trial
            .val_accuracy
            .map_or(trial.status.clone(), |a| format!("{:.2}", a * 100.0));
        let mark = if view.winner == Some(trial.index) {
            " ← winner"
        } else {
            ""
        };
        out.push_str(&format!(
            "{:>5} {:>4} {:>6} {:>9}  {}{mark}\n",
            trial.index,
            trial.rung,
            trial.epochs,
            accuracy,
            values_text(&view.dimensions, &trial.values)
        ));
    }
    if let Some(confirmation) = &view.confirmation {
        let mean = |e: &Option<api::Estimate>| {
            e.map_or("–".into(), |e| {
                format!("{:.2} ± {:.2} % (n={})", e.mean * 100.0, e.std * 100.0, e.n)
            })
        };
        out.push_str(&format!(
            "\nconfirmation on test (val-best), seeds {:?}:\n  tuned   {}\n  default {}\n",
            view.confirm_seeds,
            mean(&confirmation.tuned),
            mean(&confirmation.default)
        ));
        if let Some(gain) = &confirmation.tuned_vs_default {
            out.push_str(&format!("  tuned vs default: {} pts\n", gain_text(gain)));
        }
        if let Some(gain) = &confirmation.tuned_vs_baseline {
            out.push_str(&format!(
                "  tuned vs CE baseline: {} pts\n",
                gain_text(gain)
            ));
        }
    }
    out
}
