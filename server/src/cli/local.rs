//! The job system of `distill serve`, started in this process for `distill run` and
//! `distill sweep`: the device chosen and printed (with why `auto` passed the GPU backends by),
//! the store opened (by default beside the checkpoints), the checkpoints and any object store
//! checked, and the worker slots started.

use std::future::Future;
use std::path::{Path, PathBuf};

use anyhow::Context;

use super::{ArtifactsArg, BackendArg, DataDirArg};
use crate::jobs::{EngineRuntime, Jobs};
use crate::store::Store;

/// Where a command's outputs go without `--out`: `runs/<spec file name>` (`fallback` for a
/// name without a stem).
pub fn default_out(spec: &Path, fallback: &str) -> PathBuf {
    let stem = spec
        .file_stem()
        .map_or(fallback.into(), |s| s.to_string_lossy().to_string());
    PathBuf::from("runs").join(stem)
}

/// What a job system in this process is made of, as the command line gave it.
pub struct LocalJobs<'a> {
    pub backend: BackendArg,
    pub data: &'a DataDirArg,
    pub artifacts: &'a ArtifactsArg,
    /// `--db`; none for `sqlite:<checkpoints>/runs.db`.
    pub database_url: Option<&'a str>,
    pub workers: u16,
    pub checkpoints: &'a Path,
}

impl LocalJobs<'_> {
    /// Starts the job system and runs `body` with it and the store's URL, on a runtime of its
    /// own.
    pub fn run<T, Body, Fut>(self, body: Body) -> anyhow::Result<T>
    where
        Body: FnOnce(Jobs, String) -> Fut,
        Fut: Future<Output = anyhow::Result<T>>,
    {
        let url = self.database_url.map_or_else(
            || format!("sqlite:{}", self.checkpoints.join("runs.db").display()),
            str::to_string,
        );
        let threads = crate::settings::threads_per_run(self.workers as usize);
        let device = engine::device::select(self.backend.into())?.with_threads(threads);
        eprintln!("backend: {} on {}", device.backend.as_str(), device.name);
        if let Some(reason) = &device.fallback_reason {
            eprintln!("  (auto passed by {reason})");
        }
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .context("starting the async runtime")?;
        runtime.block_on(async {
            let store = Store::open(&url)
                .await
                .with_context(|| format!("cannot open the store {url}"))?;
            let artifacts = self.artifacts.open(self.checkpoints.to_path_buf())?;
            artifacts.check().await?;
            let engine = EngineRuntime::new(device, self.data.dirs(), artifacts);
            let jobs = Jobs::start(store, engine, self.workers as usize).await?;
            body(jobs, url).await
        })
    }
}
