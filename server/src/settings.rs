//! Typed settings of `distill serve`, from flags and the environment, with defaults that work
//! on a fresh machine: SQLite and checkpoints in the user data directory.

use std::net::SocketAddr;
use std::path::PathBuf;

use api::Backend;
use engine::data::DataDirs;

/// Everything the server needs to start.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Where to listen (port 0: any free port).
    pub addr: SocketAddr,
    /// `sqlite:path` (created if missing).
    pub database_url: String,
    /// Where datasets are looked for first.
    pub data_dirs: DataDirs,
    /// Worker slots: runs trained at the same time.
    pub workers: usize,
    /// Where runs train.
    pub backend: Backend,
    /// Root of the runs' checkpoint directories.
    pub checkpoints: PathBuf,
    /// The dashboard's bundle.
    pub dashboard: PathBuf,
}

/// `$XDG_DATA_HOME/distill-lab`, else `~/.local/share/distill-lab`, else `./distill-lab`.
pub fn data_home() -> PathBuf {
    std::env::var_os("XDG_DATA_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share")))
        .unwrap_or_else(|| PathBuf::from("."))
        .join("distill-lab")
}

/// The default database: a SQLite file in the user data directory.
pub fn default_database_url() -> String {
    format!("sqlite://{}", data_home().join("distill.db").display())
}

/// The default checkpoint root, next to the database.
pub fn default_checkpoints() -> PathBuf {
    data_home().join("checkpoints")
}

/// The default dashboard bundle: `dashboard/` next to the `distill` executable, where
/// `scripts/build-dashboard.sh` writes it.
pub fn default_dashboard() -> PathBuf {
    std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(|dir| dir.join("dashboard")))
        .unwrap_or_else(|| PathBuf::from("dashboard"))
}
