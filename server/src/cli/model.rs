//! `distill model import FILE --architecture … --dataset …` (or `FILE.onnx --dataset …
//! [--features …]`): a model trained elsewhere into the lab's store (by default the
//! dashboard's), evaluated here on the dataset's test split, then usable as
//! `chain[0].from_run` like any run.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use api::{DatasetName, RunStatus};

use super::follow::follow;
use super::local::LocalJobs;
use super::{table, ArtifactsArg, BackendArg, DataDirArg};
use crate::jobs::{
    import_kind, ImportError, ImportKind, ImportParamError, ModelImport, OnnxOptions, SubmitError,
};
use crate::settings::{default_checkpoints, default_database_url};

/// `distill model …`.
#[derive(Debug, clap::Subcommand)]
pub enum ModelCommand {
    /// Import a trained model from a `.safetensors` file or a PyTorch state_dict (`.pt`,
    /// `.pth`) whose parameter names are the reference implementation's (mdistiller's for the
    /// CIFAR ResNets), or an `.onnx` graph as a frozen teacher; it is evaluated on the
    /// dataset's test split and stored as a run.
    Import(ImportArgs),
}

/// Arguments of `distill model import`.
#[derive(Debug, clap::Args)]
pub struct ImportArgs {
    /// The weights file, or an `.onnx` file.
    file: PathBuf,
    /// A preset's name (`resnet32x4`) or an architecture's JSON (weights files only).
    #[arg(long)]
    architecture: Option<String>,
    /// ONNX: the output holding the logits [default: `logits`, else the first output].
    #[arg(long)]
    logits: Option<String>,
    /// ONNX: outputs that serve as stage features, comma-separated, input side first.
    #[arg(long)]
    features: Option<String>,
    /// ONNX: `224` or `224,224`, the size the graph takes (images are resized).
    #[arg(long)]
    size: Option<String>,
    /// ONNX: per-channel mean of pixels in [0, 1], comma-separated (with --std).
    #[arg(long, allow_hyphen_values = true)]
    mean: Option<String>,
    /// ONNX: per-channel standard deviation, comma-separated (with --mean).
    #[arg(long)]
    std: Option<String>,
    /// ONNX: repeat a grey image's channel three times for a graph that takes RGB.
    #[arg(long)]
    grey_to_rgb: bool,
    /// The dataset the model classifies.
    #[arg(long)]
    dataset: String,
    /// A name for the model and its experiment [default: the file name].
    #[arg(long)]
    name: Option<String>,
    /// Where to evaluate it.
    #[arg(long, value_enum, default_value = "auto")]
    backend: BackendArg,
    #[command(flatten)]
    data: DataDirArg,
    /// The store [default: the dashboard's, sqlite in ~/.local/share/distill-lab].
    #[arg(long = "db", env = "DATABASE_URL")]
    database_url: Option<String>,
    /// Root of the runs' checkpoint directories [default: ~/.local/share/distill-lab/checkpoints].
    #[arg(long)]
    checkpoints: Option<PathBuf>,
    #[command(flatten)]
    artifacts: ArtifactsArg,
}

pub fn model(command: ModelCommand) -> anyhow::Result<ExitCode> {
    match command {
        ModelCommand::Import(args) => import(args),
    }
}

fn import(args: ImportArgs) -> anyhow::Result<ExitCode> {
    let file_name = args
        .file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    anyhow::ensure!(args.file.is_file(), "{} is not a file", args.file.display());
    let kind = kind_of(&args, &file_name)?;
    let dataset = DatasetName::new(&args.dataset).map_err(|m| anyhow::anyhow!("--dataset: {m}"))?;
    let import = ModelImport {
        file: args.file.clone(),
        kind,
        file_name,
        dataset,
        name: args.name.clone(),
    };
    let checkpoints = args.checkpoints.clone().unwrap_or_else(default_checkpoints);
    std::fs::create_dir_all(&checkpoints)
        .with_context(|| format!("cannot create {}", checkpoints.display()))?;
    let url = args
        .database_url
        .clone()
        .unwrap_or_else(default_database_url);
    let lab = LocalJobs {
        backend: args.backend,
        data: &args.data,
        artifacts: &args.artifacts,
        database_url: Some(&url),
        workers: 1,
        checkpoints: &checkpoints,
    };
    lab.run(|jobs, url| async move {
        let id = match jobs.import_model(import).await {
            Ok(id) => id,
            Err(ImportError::Submit(SubmitError::Invalid(e))) => anyhow::bail!("{e}"),
            Err(ImportError::Weights(e)) => anyhow::bail!("{}: {e}", args.file.display()),
            Err(ImportError::Onnx(e)) => anyhow::bail!("{}: {e}", args.file.display()),
            Err(ImportError::Submit(e)) => return Err(e.into()),
        };
        let detail = jobs.detail(&id).await?.context("the import vanished")?;
        let ended = follow(&jobs, &id, &detail).await?;
        let detail = jobs.detail(&id).await?.context("the import vanished")?;
        let run = detail.runs.first().context("the import has no run")?;
        if ended != RunStatus::Succeeded {
            anyhow::bail!(
                "the evaluation {}: {}",
                ended.as_str(),
                run.message.as_deref().unwrap_or("")
            );
        }
        eprint!("{}", table::render(&detail.models));
        eprintln!(
            "\nimported into {url} as run {} (use it as \"from_run\": \"{}\")",
            run.id, run.id
        );
        println!("{}", run.id);
        Ok(ExitCode::SUCCESS)
    })
}

/// What the file holds, from its extension and the options given.
fn kind_of(args: &ImportArgs, file_name: &str) -> anyhow::Result<ImportKind> {
    let options = OnnxOptions {
        logits: args.logits.clone(),
        features: args.features.clone(),
        size: args.size.clone(),
        mean: args.mean.clone(),
        std: args.std.clone(),
        grey_to_rgb: args.grey_to_rgb,
    };
    import_kind(file_name, args.architecture.as_deref(), &options).map_err(|e| {
        let (ImportParamError::Malformed(e) | ImportParamError::Invalid(e)) = e;
        match e.field.as_str() {
            "filename" => anyhow::anyhow!("{}: {}", args.file.display(), e.message),
            option => anyhow::anyhow!("--{}: {}", option.replace('_', "-"), e.message),
        }
    })
}
