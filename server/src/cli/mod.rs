//! Command-line interface: `distill run | sweep | serve | worker | bench | data | presets`.

mod bench;
mod data;
mod follow;
mod local;
mod model;
mod outputs;
mod presets;
mod run;
mod serve;
mod sweep;
mod table;
mod worker;

use std::path::PathBuf;
use std::process::ExitCode;

use api::Backend;
use clap::{Parser, Subcommand, ValueEnum};

/// Distill Lab: knowledge distillation experiments (teacher → TA → student) on real data.
#[derive(Debug, Parser)]
#[command(name = "distill", version, about)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run an experiment spec (JSON): train every stage, print a results table, write outputs.
    Run(run::RunArgs),
    /// Tune the last stage of an experiment (JSON sweep): trials chosen on validation, stopped
    /// early by successive halving, the winner confirmed against the default on paired seeds.
    Sweep(sweep::SweepArgs),
    /// Serve the REST API and dashboard: experiments as background jobs, stored in SQLite (or
    /// a PostgreSQL database that workers on other machines share).
    Serve(serve::ServeArgs),
    /// Train runs of a lab stored in PostgreSQL on this machine, next to `distill serve`.
    Worker(worker::WorkerArgs),
    /// Measure training samples/s and inference latency of presets on backends.
    Bench(bench::BenchArgs),
    /// List or download datasets.
    #[command(subcommand)]
    Data(data::DataCommand),
    /// List the architecture presets with their parameter counts.
    Presets,
    /// Import models trained elsewhere.
    #[command(subcommand)]
    Model(model::ModelCommand),
}

/// Where to train, as given on the command line.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum BackendArg {
    /// CUDA on an NVIDIA GPU, else a hardware GPU through wgpu, else the CPU; says why it
    /// passed each by.
    Auto,
    /// burn's CUDA backend (NVIDIA; needs the driver and NVRTC, and a build with `--features
    /// distill-server/cuda`, see docs/gpu.md); fails when either is missing.
    Cuda,
    /// burn-wgpu (Vulkan, Metal, DX12); fails when no adapter is found.
    Wgpu,
    /// burn's pure-Rust CPU backend.
    Cpu,
}

impl From<BackendArg> for Backend {
    fn from(arg: BackendArg) -> Backend {
        match arg {
            BackendArg::Auto => Backend::Auto,
            BackendArg::Cuda => Backend::Cuda,
            BackendArg::Wgpu => Backend::Wgpu,
            BackendArg::Cpu => Backend::Cpu,
        }
    }
}

/// Options shared by commands that read datasets.
#[derive(Debug, Clone, clap::Args)]
pub struct DataDirArg {
    /// Directory searched first for datasets (the dataset's folder or its parent).
    #[arg(long, env = "DISTILL_DATA_DIR")]
    data_dir: Option<PathBuf>,
}

impl DataDirArg {
    fn dirs(&self) -> engine::data::DataDirs {
        engine::data::DataDirs {
            explicit: self.data_dir.clone(),
        }
    }
}

/// Options shared by commands that train runs: where checkpoints and models are kept for other
/// machines.
#[derive(Debug, Clone, clap::Args)]
pub struct ArtifactsArg {
    /// Object store holding checkpoints and trained models for every worker and the server:
    /// `s3://BUCKET[/PREFIX]` on S3 or an S3-compatible store (credentials, region and endpoint
    /// from AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION, AWS_ENDPOINT, AWS_ALLOW_HTTP);
    /// the checkpoint directory then is this machine's cache of it [default: none: the
    /// checkpoint directory is the only copy].
    #[arg(long, env = "DISTILL_ARTIFACTS")]
    artifacts: Option<String>,
}

impl ArtifactsArg {
    /// The artifacts of this process: `checkpoints`, caching the object store if one is given.
    fn open(&self, checkpoints: PathBuf) -> anyhow::Result<crate::artifacts::Artifacts> {
        Ok(crate::artifacts::Artifacts::open(
            checkpoints,
            self.artifacts.as_deref(),
        )?)
    }
}

/// Runs the command line; errors are printed with their causes.
pub fn main() -> ExitCode {
    pin_burn_default_device();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Run(args) => run::run(args),
        Command::Sweep(args) => sweep::sweep(args),
        Command::Serve(args) => serve::serve(args),
        Command::Worker(args) => worker::worker(args),
        Command::Bench(args) => bench::bench(args),
        Command::Data(command) => data::data(command),
        Command::Presets => presets::presets(),
        Command::Model(command) => model::model(command),
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

/// burn creates some internal tensors (an optimiser's state when a checkpoint is loaded) on
/// `Device::default()`, which is a GPU whenever wgpu is compiled in, even when training runs on
/// the CPU or no GPU exists. Pin it to the CPU backend; the state moves to the training device
/// at the next step. Done first thing in `main`, before any thread exists.
fn pin_burn_default_device() {
    if std::env::var_os("BURN_DEVICE").is_none() {
        std::env::set_var("BURN_DEVICE", "flex");
    }
}
