//! `distill data list` and `distill data fetch <name>`.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context};
use api::DatasetName;
use engine::data::{catalog, load, user_dir};

use super::DataDirArg;
use crate::download::{self, file_name};

/// Dataset commands.
#[derive(Debug, clap::Subcommand)]
pub enum DataCommand {
    /// Datasets, their shapes and whether they are installed.
    List(DataDirArg),
    /// Download a dataset from its canonical URL, verify checksums and unpack it.
    Fetch {
        /// fashion-mnist, mnist, cifar10 or cifar100.
        name: String,
        /// Directory to put the dataset's folder in [default: the user data dir].
        #[arg(long)]
        data_dir: Option<PathBuf>,
        /// Download from this base URL (a mirror holding the same file names) instead.
        #[arg(long)]
        mirror: Option<String>,
    },
}

fn parse_name(name: &str) -> anyhow::Result<DatasetName> {
    DatasetName::parse(name).with_context(|| {
        let known: Vec<&str> = DatasetName::ALL.iter().map(|d| d.as_str()).collect();
        format!("unknown dataset `{name}`; known: {}", known.join(", "))
    })
}

pub fn data(command: DataCommand) -> anyhow::Result<ExitCode> {
    match command {
        DataCommand::List(dirs) => {
            println!(
                "{:<14} {:>10} {:>8} {:>8} {:>8}  status",
                "dataset", "shape", "classes", "train", "test"
            );
            for name in DatasetName::ALL {
                let info = catalog(name);
                let status = match load(name, &dirs.dirs()) {
                    Ok(_) if name == DatasetName::Synthetic => "built in".to_string(),
                    Ok(_) => "available".to_string(),
                    Err(engine::data::DataError::NotFound { .. }) => {
                        format!("missing: `distill data fetch {name}`")
                    }
                    Err(e) => format!("unreadable: {e}"),
                };
                println!(
                    "{:<14} {:>10} {:>8} {:>8} {:>8}  {status}",
                    name.as_str(),
                    format!("{}×{}×{}", info.channels, info.height, info.width),
                    info.classes,
                    info.train_size,
                    info.test_size
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        DataCommand::Fetch {
            name,
            data_dir,
            mirror,
        } => {
            let name = parse_name(&name)?;
            let info = catalog(name);
            if info.remote.is_empty() {
                bail!("`{name}` is generated on the fly and needs no download");
            }
            let dir = match data_dir {
                Some(dir) => dir.join(name.as_str()),
                None => user_dir(name)
                    .context("cannot find the user data directory: set HOME or pass --data-dir")?,
            };
            for mut file in info.remote {
                if let Some(base) = &mirror {
                    file.url = format!("{}/{}", base.trim_end_matches('/'), file_name(&file.url));
                }
                let path = download::fetch(&file, &dir, true)?;
                eprintln!("{}: ok", path.display());
            }
            let split = load(name, &engine::data::DataDirs::with_explicit(&dir))
                .with_context(|| format!("downloaded {name} but cannot read it"))?;
            eprintln!(
                "{name}: {} train / {} test images in {}",
                split.train.len(),
                split.test.len(),
                dir.display()
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}
