//! Finding a dataset on disk and loading it.
//!
//! Directories are searched in order: an explicit `--data-dir`, `DISTILL_DATA_DIR`, the user
//! data dir (`$XDG_DATA_HOME` or `~/.local/share`, then `distill-lab/datasets/<name>`), and
//! `/usr/share/datasets/<name>` (where Debian's `dataset-fashion-mnist` installs). An explicit or
//! environment directory may be the dataset's own folder or its parent.

use std::path::{Path, PathBuf};

use api::{BuiltinDataset, DatasetName};

use super::catalog::{catalog, DatasetInfo, IDX_FILES};
use super::registry::Registry;
use super::{cifar, idx, synthetic, DataError, ImageSet, Split};

/// Where to look for datasets besides the standard places.
#[derive(Debug, Clone, Default)]
pub struct DataDirs {
    /// A directory given on the command line; searched first.
    pub explicit: Option<PathBuf>,
}

impl DataDirs {
    /// The registered datasets: folders of the explicit directory, else of `DISTILL_DATA_DIR`,
    /// else of the user data dir (`…/distill-lab/datasets`); `None` when none is known.
    pub fn registry(&self) -> Option<Registry> {
        let env = std::env::var_os("DISTILL_DATA_DIR").map(PathBuf::from);
        self.explicit
            .clone()
            .or(env)
            .or_else(user_datasets_dir)
            .map(Registry::new)
    }

    /// Search `dir` first.
    pub fn with_explicit(dir: impl Into<PathBuf>) -> DataDirs {
        DataDirs {
            explicit: Some(dir.into()),
        }
    }
}

/// The user data directory of datasets (`$XDG_DATA_HOME` or `~/.local/share`, then
/// `distill-lab/datasets`).
fn user_datasets_dir() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_DATA_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share")))?;
    Some(base.join("distill-lab/datasets"))
}

/// The user data directory of a built-in dataset, where `distill data fetch` puts it.
pub fn user_dir(name: BuiltinDataset) -> Option<PathBuf> {
    Some(user_datasets_dir()?.join(name.as_str()))
}

/// The directories searched for `name`, in order.
pub fn search_dirs(name: BuiltinDataset, dirs: &DataDirs) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let env = std::env::var_os("DISTILL_DATA_DIR").map(PathBuf::from);
    for base in dirs.explicit.iter().chain(env.iter()) {
        out.push(base.join(name.as_str()));
        out.push(base.clone());
    }
    out.extend(user_dir(name));
    out.push(Path::new("/usr/share/datasets").join(name.as_str()));
    out
}

/// The directory holding `name`'s files, without reading them (`None` for the synthetic set,
/// which needs none, and for a dataset that is not installed or registered).
pub fn locate(name: &DatasetName, dirs: &DataDirs) -> Option<PathBuf> {
    let Some(name) = name.builtin() else {
        let registry = dirs.registry()?;
        return matches!(registry.manifest(name), Ok(Some(_))).then(|| registry.dir(name));
    };
    if name == BuiltinDataset::Synthetic {
        return None;
    }
    search_dirs(name, dirs)
        .into_iter()
        .find(|dir| layout_in(name, dir).is_some())
}

/// Facts about a dataset, built in or registered, without loading its images.
pub fn describe(name: &DatasetName, dirs: &DataDirs) -> Result<DatasetInfo, DataError> {
    if let Some(builtin) = name.builtin() {
        return Ok(catalog(builtin));
    }
    registered(name, dirs, |r| r.manifest(name)).map(|m| DatasetInfo::registered(&m))
}

/// What `read` gives of registered dataset `name` in the registry of `dirs`; `NotFound`, naming
/// where it was looked for, when `read` finds nothing or there is no registry.
pub fn registered<T>(
    name: &DatasetName,
    dirs: &DataDirs,
    read: impl FnOnce(&Registry) -> Result<Option<T>, DataError>,
) -> Result<T, DataError> {
    let registry = dirs.registry();
    registry
        .as_ref()
        .map(read)
        .transpose()?
        .flatten()
        .ok_or_else(|| DataError::NotFound {
            dataset: name.to_string(),
            searched: registry.map(|r| r.dir(name)).into_iter().collect(),
        })
}

/// Loads a dataset's train and test sets.
pub fn load(name: &DatasetName, dirs: &DataDirs) -> Result<Split, DataError> {
    let Some(name) = name.builtin() else {
        return registered(name, dirs, |r| r.load(name));
    };
    let info = catalog(name);
    if name == BuiltinDataset::Synthetic {
        return Ok(synthetic::generate(
            super::catalog::SYNTHETIC_TRAIN,
            super::catalog::SYNTHETIC_TEST,
        ));
    }
    let searched = search_dirs(name, dirs);
    let found = searched.iter().find_map(|dir| layout_in(name, dir));
    let Some(files) = found else {
        return Err(DataError::NotFound {
            dataset: name.to_string(),
            searched,
        });
    };
    let (train, test) = match files {
        Layout::Idx(paths) => {
            let train = idx::read_images_and_labels(&paths[0], &paths[1], info.classes)?;
            let test = idx::read_images_and_labels(&paths[2], &paths[3], info.classes)?;
            check_shape(&train, &info, &paths[0])?;
            check_shape(&test, &info, &paths[2])?;
            (train, test)
        }
        Layout::Cifar { train, test } => {
            let label_bytes = if name == BuiltinDataset::Cifar100 {
                2
            } else {
                1
            };
            let train_refs: Vec<&Path> = train.iter().map(PathBuf::as_path).collect();
            (
                cifar::read_batches(&train_refs, label_bytes, info.classes)?,
                cifar::read_batches(&[test.as_path()], label_bytes, info.classes)?,
            )
        }
    };
    Ok(Split {
        train,
        test,
        classes: info.classes,
        checksum: None,
    })
}

fn check_shape(set: &ImageSet, info: &super::DatasetInfo, path: &Path) -> Result<(), DataError> {
    if set.channels != info.channels || set.height != info.height || set.width != info.width {
        return Err(DataError::corrupt(
            path,
            format!(
                "images are {}×{}×{}, {} has {}×{}×{}",
                set.channels,
                set.height,
                set.width,
                info.name,
                info.channels,
                info.height,
                info.width
            ),
        ));
    }
    Ok(())
}

enum Layout {
    Idx([PathBuf; 4]),
    Cifar { train: Vec<PathBuf>, test: PathBuf },
}

/// The dataset's files in `dir`, when they are all there.
fn layout_in(name: BuiltinDataset, dir: &Path) -> Option<Layout> {
    match name {
        BuiltinDataset::FashionMnist | BuiltinDataset::Mnist => {
            let find = |stem: &str| {
                [dir.join(stem), dir.join(format!("{stem}.gz"))]
                    .into_iter()
                    .find(|p| p.is_file())
            };
            let [a, b, c, d] = IDX_FILES.map(find);
            Some(Layout::Idx([a?, b?, c?, d?]))
        }
        BuiltinDataset::Cifar10 => {
            let root = [dir.join("cifar-10-batches-bin"), dir.to_path_buf()]
                .into_iter()
                .find(|d| d.join("data_batch_1.bin").is_file())?;
            let train: Vec<PathBuf> = (1..=5)
                .map(|i| root.join(format!("data_batch_{i}.bin")))
                .collect();
            let test = root.join("test_batch.bin");
            (train.iter().all(|p| p.is_file()) && test.is_file())
                .then_some(Layout::Cifar { train, test })
        }
        BuiltinDataset::Cifar100 => {
            let root = [dir.join("cifar-100-binary"), dir.to_path_buf()]
                .into_iter()
                .find(|d| d.join("train.bin").is_file())?;
            let test = root.join("test.bin");
            test.is_file().then(|| Layout::Cifar {
                train: vec![root.join("train.bin")],
                test,
            })
        }
        BuiltinDataset::Synthetic => None,
    }
}
