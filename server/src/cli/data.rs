//! `distill data list`, `distill data fetch <name>` (a built-in dataset), `distill data add
//! <name> <path>` (register a folder, archive or `.npz`) and `distill data remove <name>`.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context};
use api::{BuiltinDataset, DatasetManifest, DatasetName};
use engine::data::registry::{Colour, Registration, Registry};
use engine::data::{catalog, load, user_dir, DataDirs};
use indicatif::{ProgressBar, ProgressStyle};

use super::DataDirArg;
use crate::download::{self, file_name};

/// Dataset commands.
#[derive(Debug, clap::Subcommand)]
pub enum DataCommand {
    /// Datasets, built in and registered, their shapes and whether they are installed.
    List(DataDirArg),
    /// Download a built-in dataset from its canonical URL, verify checksums and unpack it.
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
    /// Register your own data under NAME: an image folder (train/<class>/*.png|jpg|jpeg|bmp|webp
    /// and optionally test/<class>/…), a .zip/.tar/.tar.gz of one, or an .npz with x_train,
    /// y_train, x_test, y_test (and optionally classes).
    Add(AddArgs),
    /// Remove a registered dataset (runs that used it keep their records but cannot rerun).
    Remove {
        /// The registered dataset's name.
        name: String,
        #[command(flatten)]
        data: DataDirArg,
    },
}

/// Options of `distill data add`.
#[derive(Debug, clap::Args)]
pub struct AddArgs {
    /// Its name: lowercase letters, digits and dashes.
    name: String,
    /// The folder, archive or .npz.
    path: PathBuf,
    /// Resize every image to HxW, e.g. 32x32 (needed when the images differ in size).
    #[arg(long, value_parser = parse_size)]
    resize: Option<(usize, usize)>,
    /// Convert every image to one grey channel.
    #[arg(long, conflicts_with = "rgb")]
    grey: bool,
    /// Convert every image to three RGB channels.
    #[arg(long)]
    rgb: bool,
    /// Share of the training images held out as the test split when there is no test/ folder.
    #[arg(long, default_value_t = engine::data::registry::DEFAULT_TEST_FRACTION)]
    test_fraction: f64,
    /// The most bytes (MiB) an archive may unpack to.
    #[arg(long, default_value_t = 2048)]
    max_mb: u64,
    #[command(flatten)]
    data: DataDirArg,
}

fn parse_size(text: &str) -> Result<(usize, usize), String> {
    text.split_once(['x', 'X'])
        .and_then(|(h, w)| Some((h.parse().ok()?, w.parse().ok()?)))
        .ok_or_else(|| format!("`{text}` is not HxW, e.g. 32x32"))
}

fn parse_builtin(name: &str) -> anyhow::Result<BuiltinDataset> {
    BuiltinDataset::parse(name).with_context(|| {
        let known: Vec<&str> = BuiltinDataset::ALL.iter().map(|d| d.as_str()).collect();
        format!(
            "`{name}` is not a built-in dataset; built in: {}",
            known.join(", ")
        )
    })
}

fn registry(dirs: &DataDirs) -> anyhow::Result<Registry> {
    dirs.registry()
        .context("cannot find the user data directory: set HOME or pass --data-dir")
}

pub fn data(command: DataCommand) -> anyhow::Result<ExitCode> {
    match command {
        DataCommand::List(dirs) => list(&dirs.dirs()),
        DataCommand::Fetch {
            name,
            data_dir,
            mirror,
        } => fetch(&name, data_dir, mirror),
        DataCommand::Add(args) => add(args),
        DataCommand::Remove { name, data } => {
            let name = DatasetName::new(name).map_err(anyhow::Error::msg)?;
            if name.builtin().is_some() {
                bail!("{name} is built in and cannot be removed");
            }
            if !registry(&data.dirs())?.remove(&name)? {
                bail!("no registered dataset is named {name}");
            }
            eprintln!("{name}: removed");
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn list(dirs: &DataDirs) -> anyhow::Result<ExitCode> {
    println!(
        "{:<20} {:>12} {:>8} {:>8} {:>8}  status",
        "dataset", "shape", "classes", "train", "test"
    );
    let row = |name: &str, shape: [usize; 3], classes, train, test, status: &str| {
        let shape = format!("{}×{}×{}", shape[0], shape[1], shape[2]);
        println!("{name:<20} {shape:>12} {classes:>8} {train:>8} {test:>8}  {status}");
    };
    for builtin in BuiltinDataset::ALL {
        let info = catalog(builtin);
        let status = match load(&info.name, dirs) {
            Ok(_) if builtin == BuiltinDataset::Synthetic => "built in".to_string(),
            Ok(_) => "available".to_string(),
            Err(engine::data::DataError::NotFound { .. }) => {
                format!("missing: `distill data fetch {builtin}`")
            }
            Err(e) => format!("unreadable: {e}"),
        };
        let shape = [info.channels, info.height, info.width];
        row(
            builtin.as_str(),
            shape,
            info.classes,
            info.train_size,
            info.test_size,
            &status,
        );
    }
    for m in dirs.registry().map(|r| r.list()).unwrap_or_default() {
        let shape = [m.channels, m.height, m.width];
        let status = format!("registered: {}", m.source);
        row(
            m.name.as_str(),
            shape,
            m.classes.len(),
            m.train_size(),
            m.test_size(),
            &status,
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn fetch(
    name: &str,
    data_dir: Option<PathBuf>,
    mirror: Option<String>,
) -> anyhow::Result<ExitCode> {
    let name = parse_builtin(name)?;
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
    let split = load(&info.name, &DataDirs::with_explicit(&dir))
        .with_context(|| format!("downloaded {name} but cannot read it"))?;
    eprintln!(
        "{name}: {} train / {} test images in {}",
        split.train.len(),
        split.test.len(),
        dir.display()
    );
    Ok(ExitCode::SUCCESS)
}

fn add(args: AddArgs) -> anyhow::Result<ExitCode> {
    let name = DatasetName::new(args.name).map_err(anyhow::Error::msg)?;
    let registry = registry(&args.data.dirs())?;
    let request = Registration {
        name,
        source_label: args.path.display().to_string(),
        source: args.path,
        resize: args.resize,
        colour: match (args.grey, args.rgb) {
            (true, _) => Some(Colour::Grey),
            (_, true) => Some(Colour::Rgb),
            _ => None,
        },
        test_fraction: Some(args.test_fraction),
        max_bytes: args.max_mb << 20,
    };
    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template("decoding [{bar:30}] {pos}/{len} images {per_sec} ETA {eta}")
            .expect("a valid template")
            .progress_chars("=> "),
    );
    let started = std::time::Instant::now();
    let registered = registry.register(&request, &|done, total| {
        bar.set_length(total as u64);
        bar.set_position(done as u64);
    });
    bar.finish_and_clear();
    let manifest = registered?;
    print_manifest(&manifest, registry.dir(&manifest.name), started.elapsed());
    Ok(ExitCode::SUCCESS)
}

fn print_manifest(m: &DatasetManifest, dir: PathBuf, took: std::time::Duration) {
    eprintln!(
        "{}: {} classes, {}×{}×{}, {} train / {} test images, {} in {} ({:.1} s)",
        m.name,
        m.classes.len(),
        m.channels,
        m.height,
        m.width,
        m.train_size(),
        m.test_size(),
        api::bytes_text(m.bytes as usize),
        dir.display(),
        took.as_secs_f64()
    );
    eprintln!("  source: {}", m.source);
    eprintln!("  checksum: {}", m.checksum);
    let shown: Vec<&str> = m.classes.iter().take(12).map(String::as_str).collect();
    let more = m.classes.len().saturating_sub(shown.len());
    let more = if more > 0 {
        format!(" and {more} more")
    } else {
        String::new()
    };
    eprintln!("  classes: {}{more}", shown.join(", "));
    eprintln!(
        "  use it in a spec as \"dataset\": {{\"name\": \"{}\"}}",
        m.name
    );
}
