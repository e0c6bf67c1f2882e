//! Errors of reading datasets: each names the file and what is wrong with it.

use std::path::PathBuf;

/// Why a dataset could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum DataError {
    /// None of the searched directories holds the dataset's files.
    #[error("dataset `{dataset}` not found; looked in: {}. {}", display_paths(.searched), install_hint(.dataset))]
    NotFound {
        /// The dataset's name.
        dataset: String,
        /// Directories searched, in order.
        searched: Vec<PathBuf>,
    },
    /// The file could not be read.
    #[error("cannot read {}: {source}", .path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The file was read but its contents are not what the format says.
    #[error("{} is corrupt: {reason}", .path.display())]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
}

impl DataError {
    pub(crate) fn corrupt(path: &std::path::Path, reason: impl Into<String>) -> DataError {
        DataError::Corrupt {
            path: path.to_path_buf(),
            reason: reason.into(),
        }
    }
}

fn install_hint(dataset: &str) -> String {
    if api::BuiltinDataset::parse(dataset).is_none() {
        return format!(
            "No dataset of that name is registered: register one with `distill data add {dataset} PATH`, POST /api/datasets, or the dashboard's System page"
        );
    }
    let debian = if dataset == "fashion-mnist" {
        "`apt-get install dataset-fashion-mnist` or "
    } else {
        ""
    };
    format!("Install it with {debian}`distill data fetch {dataset}`, or pass --data-dir")
}

fn display_paths(paths: &[PathBuf]) -> String {
    paths
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}
