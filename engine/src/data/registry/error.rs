//! Why a registration was refused: each error names the file or field at fault, and none
//! leaves anything behind.

use std::path::PathBuf;

/// Why a dataset could not be registered.
#[derive(Debug, thiserror::Error)]
pub enum RegisterError {
    /// A dataset of that name is already registered.
    #[error("a dataset named `{0}` is already registered; remove it first or pick another name")]
    Exists(String),
    /// The name is a built-in dataset's.
    #[error("`{0}` is the name of a built-in dataset; pick another name")]
    Reserved(String),
    /// The input is not a dataset the lab can read; `file` names the file, array or option.
    #[error("{file}: {reason}")]
    Invalid {
        /// The file (relative to the folder or archive), the array or the option at fault.
        file: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The input, or an archive while it is unpacked, passes the size cap.
    #[error("{0}")]
    TooLarge(String),
    /// The lab's data directory could not be written.
    #[error("cannot write {}: {source}", .path.display())]
    Io {
        /// The path being written.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
}

impl RegisterError {
    pub(crate) fn invalid(file: impl Into<String>, reason: impl Into<String>) -> RegisterError {
        RegisterError::Invalid {
            file: file.into(),
            reason: reason.into(),
        }
    }

    pub(crate) fn io(path: &std::path::Path) -> impl FnOnce(std::io::Error) -> RegisterError {
        let path = path.to_path_buf();
        move |source| RegisterError::Io { path, source }
    }
}
