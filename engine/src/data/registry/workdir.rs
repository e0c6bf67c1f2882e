//! A registration's hidden working folder in the data directory, renamed into place when the
//! dataset is complete and removed otherwise.

use std::path::{Path, PathBuf};

use api::DatasetName;

use super::{now_ms, RegisterError};

/// A name no other registration of this process or another will pick.
pub(super) fn unique() -> String {
    format!("{}-{}", std::process::id(), now_ms())
        + &format!(
            "-{}",
            COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        )
}

static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// A registration's hidden working folder: removed with everything in it unless committed.
pub(super) struct WorkDir {
    pub(super) path: PathBuf,
    committed: bool,
}

impl WorkDir {
    pub(super) fn create(path: PathBuf) -> Result<WorkDir, RegisterError> {
        std::fs::create_dir_all(&path).map_err(RegisterError::io(&path))?;
        Ok(WorkDir {
            path,
            committed: false,
        })
    }

    /// Renames the folder to `target`, making the dataset visible in one step.
    pub(super) fn commit(mut self, target: &Path, name: &DatasetName) -> Result<(), RegisterError> {
        match std::fs::rename(&self.path, target) {
            Ok(()) => {
                self.committed = true;
                Ok(())
            }
            // Another registration of the same name finished first.
            Err(_) if target.exists() => Err(RegisterError::Exists(name.to_string())),
            Err(e) => Err(RegisterError::Io {
                path: target.to_path_buf(),
                source: e,
            }),
        }
    }
}

impl Drop for WorkDir {
    fn drop(&mut self) {
        if !self.committed {
            let _ = std::fs::remove_dir_all(&self.path);
        }
    }
}
