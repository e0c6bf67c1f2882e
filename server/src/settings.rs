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
    /// The runs' checkpoint directories, and the object store they cache, if any.
    pub artifacts: crate::artifacts::Artifacts,
    /// The dashboard's bundle.
    pub dashboard: PathBuf,
    /// The largest dataset upload, in MiB (and what an archive may unpack to).
    pub max_upload_mb: u64,
    /// Who may do what.
    pub access: AccessSettings,
}

/// How the server authenticates and which hosts it answers for.
#[derive(Debug, Clone)]
pub struct AccessSettings {
    /// `DISTILL_TOKEN`.
    pub token: Option<String>,
    /// `--token-file`.
    pub token_file: Option<PathBuf>,
    /// `--no-auth` (loopback addresses only).
    pub no_auth: bool,
    /// `--public-url`: the address users reach the lab at (behind a proxy, say).
    pub public_url: Option<String>,
    /// `--allowed-hosts`: more names the lab answers for.
    pub allowed_hosts: Vec<String>,
    /// `--max-failed-logins`: failed logins per client and minute before 429.
    pub max_failed_logins: usize,
    /// `--trusted-proxy`: proxies whose `X-Forwarded-For` names the client.
    pub trusted_proxies: Vec<String>,
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

/// CPU threads each run gets on this machine by default: one. Measured on 2 cores (see the
/// README's speed section): two runs with one thread each finish an experiment sooner than one
/// run at a time with both, since a run's small tensors use two threads poorly.
pub const THREADS_PER_RUN: usize = 1;

/// Worker slots by default: as many runs at once as the cores give [`THREADS_PER_RUN`] each.
pub fn default_workers() -> u16 {
    (engine::device::cores() / THREADS_PER_RUN).clamp(1, 64) as u16
}

/// Threads each of `workers` runs may use: the cores shared out, at least one.
pub fn threads_per_run(workers: usize) -> usize {
    (engine::device::cores() / workers.max(1)).max(1)
}
