//! Building and running the server: open the store (migrations), pick the device, recover
//! interrupted runs, start the workers, bind, serve until a signal, then shut down gracefully
//! (running runs checkpoint and go back to the queue).

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use anyhow::Context;
use axum::Router;
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::access::{
    load_owner_secret, Access, AllowedHosts, FailedLogins, SecretSource, TrustedProxies,
    FAILURE_WINDOW,
};
use crate::artifacts::Artifacts;
use crate::dashboard::Dashboard;
use crate::http::{router, AppState};
use crate::jobs::{EngineRuntime, Jobs};
use crate::settings::{data_home, threads_per_run, AccessSettings, Settings};
use crate::store::Store;
use crate::sweeps::Sweeps;

/// How long running runs get to reach the end of their batch at shutdown.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(60);

/// A server ready to serve.
pub struct Application {
    listener: TcpListener,
    router: Router,
    jobs: Jobs,
    shutdown: watch::Sender<bool>,
    login_hint: String,
}

impl Application {
    /// Opens the store, selects the device, starts the workers and binds the address.
    pub async fn build(settings: Settings) -> anyhow::Result<Application> {
        let store = open_store(&settings.database_url).await?;
        let runtime = engine_runtime(
            settings.backend,
            settings.workers,
            settings.data_dirs.clone(),
            settings.artifacts.clone(),
        )
        .await?;
        let jobs = Jobs::start(store, runtime, settings.workers).await?;
        let sweeps = Sweeps::start(jobs.clone()).await?;
        let dashboard = load_dashboard(&settings.dashboard)?;
        let listener = TcpListener::bind(settings.addr)
            .await
            .with_context(|| format!("listening on {}", settings.addr))?;
        let bound = listener.local_addr()?;
        let access = access(&settings.access, bound)?;
        let login_hint = login_hint(&access, &settings.access, bound);
        let (shutdown, shutdown_rx) = watch::channel(false);
        let router = router(AppState::new(
            jobs.clone(),
            sweeps,
            shutdown_rx,
            dashboard,
            access,
            settings.max_upload_mb << 20,
        ));
        Ok(Application {
            listener,
            router,
            jobs,
            shutdown,
            login_hint,
        })
    }

    /// How to log in: the URL with the owner token, or where the token is.
    pub fn login_hint(&self) -> &str {
        &self.login_hint
    }

    /// The address it listens on (the real port when 0 was asked for).
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Serves until `signal` completes, then stops the workers (their runs resume at the next
    /// start), ends event streams and finishes open requests.
    pub async fn run_until(
        self,
        signal: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let Application {
            listener,
            router,
            jobs,
            shutdown,
            ..
        } = self;
        // Connection info gives the failed-login limit each client's address.
        let service = router.into_make_service_with_connect_info::<SocketAddr>();
        axum::serve(listener, service)
            .with_graceful_shutdown(async move {
                signal.await;
                tracing::info!("shutting down: checkpointing running runs");
                let _ = shutdown.send(true);
                jobs.shutdown(SHUTDOWN_GRACE).await;
            })
            .await
            .context("serving HTTP")
    }
}

/// Opens the store at `url` (creating a SQLite file's directory), applying its migrations.
pub async fn open_store(url: &str) -> anyhow::Result<Store> {
    if let Some(path) = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
    {
        let path = path.split('?').next().unwrap_or(path);
        if let Some(dir) = std::path::Path::new(path)
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
        {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        }
    }
    Store::open(url)
        .await
        .with_context(|| format!("opening the database {}", without_password(url)))
}

/// A database URL fit for messages: its password, if any, replaced by `***`.
fn without_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    match authority.rsplit_once('@') {
        Some((user, host)) if user.contains(':') => {
            let name = user.split(':').next().unwrap_or_default();
            format!("{scheme}://{name}:***@{host}{path}")
        }
        _ => url.to_string(),
    }
}

/// The device (`backend`, its threads shared out over `slots` runs), data and checkpoints that
/// this process's runs train with.
pub async fn engine_runtime(
    backend: api::Backend,
    slots: usize,
    data_dirs: engine::data::DataDirs,
    artifacts: Artifacts,
) -> anyhow::Result<EngineRuntime> {
    let device = tokio::task::spawn_blocking(move || engine::device::select(backend))
        .await?
        .context("selecting the compute device")?
        .with_threads(threads_per_run(slots));
    if let Some(reason) = &device.fallback_reason {
        tracing::warn!(%reason, "auto passed GPU backends by");
    }
    tracing::info!(backend = device.backend.as_str(), device = %device.name, "compute device");
    let root = artifacts.root();
    std::fs::create_dir_all(root).with_context(|| format!("creating {}", root.display()))?;
    artifacts.check().await?;
    tracing::info!(artifacts = %artifacts.location(), "checkpoints and models");
    Ok(EngineRuntime::new(device, data_dirs, artifacts))
}

/// Completes on SIGINT (Ctrl-C) or SIGTERM.
pub async fn shutdown_signal() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = interrupt => {}
        _ = terminate => {}
    }
}

/// The access rules: the owner's secret (or none with `--no-auth`, refused off loopback) and
/// the hosts this server answers for.
fn access(settings: &AccessSettings, bound: SocketAddr) -> anyhow::Result<Access> {
    let public = settings
        .public_url
        .as_deref()
        .map(|url| {
            url.parse::<axum::http::Uri>()
                .ok()
                .filter(|u| u.host().is_some())
                .with_context(|| format!("--public-url {url} is not an absolute URL"))
        })
        .transpose()?;
    let mut hosts = settings.allowed_hosts.clone();
    if let Some(authority) = public.as_ref().and_then(|u| u.authority()) {
        hosts.push(authority.to_string());
    }
    let owner = if settings.no_auth {
        if !bound.ip().is_loopback() {
            anyhow::bail!(
                "--no-auth on {bound} would let anyone who reaches this address change the lab; bind to 127.0.0.1 (the default) or drop --no-auth"
            );
        }
        tracing::warn!("serving WITHOUT authentication (--no-auth): anyone who can reach {bound} can submit, cancel and delete");
        None
    } else {
        Some(load_owner_secret(
            settings.token.as_deref(),
            settings.token_file.as_deref(),
            &data_home(),
        )?)
    };
    Ok(Access {
        owner,
        hosts: AllowedHosts::new(bound, &hosts),
        secure_cookies: public.as_ref().and_then(|u| u.scheme_str()) == Some("https"),
        failures: FailedLogins::new(settings.max_failed_logins, FAILURE_WINDOW),
        trusted_proxies: TrustedProxies::parse(&settings.trusted_proxies)
            .map_err(anyhow::Error::msg)?,
    })
}

/// The line that tells the owner how to log in.
fn login_hint(access: &Access, settings: &AccessSettings, bound: SocketAddr) -> String {
    let base = settings.public_url.clone().unwrap_or_else(|| {
        let host = if bound.ip().is_unspecified() {
            "localhost".to_string()
        } else {
            bound.ip().to_string()
        };
        format!("http://{host}:{}", bound.port())
    });
    let base = base.trim_end_matches('/');
    match &access.owner {
        None => format!("No authentication (--no-auth): open {base}/"),
        Some(owner) => match (&owner.printable, &owner.source) {
            (Some(secret), SecretSource::Generated(path) | SecretSource::File(path)) => format!(
                "Log in: {base}/?token={secret}\n  (the owner token is kept in {}; scripts send `Authorization: Bearer $(cat {})`)",
                path.display(),
                path.display()
            ),
            _ => format!("Log in: {base}/?token=$DISTILL_TOKEN (the owner token is the DISTILL_TOKEN this server was started with)"),
        },
    }
}

/// Reads the dashboard's bundle and logs its sizes, or says how to build it.
fn load_dashboard(dir: &std::path::Path) -> anyhow::Result<Dashboard> {
    let dashboard = Dashboard::load(dir)
        .with_context(|| format!("reading the dashboard in {}", dir.display()))?;
    if dashboard.is_built() {
        for (file, bytes, gzipped, brotli) in dashboard.sizes() {
            tracing::info!(file, bytes, gzipped, brotli, "dashboard");
        }
        for copy in dashboard.mismatched_copies() {
            tracing::warn!(copy = %copy.display(), "brotli copy does not decode to its file, not served: rebuild with scripts/build-dashboard.sh");
        }
    } else {
        tracing::warn!(dir = %dir.display(), "no dashboard bundle: build it with scripts/build-dashboard.sh; the API works without it");
    }
    Ok(dashboard)
}

#[cfg(test)]
mod tests {
    use super::without_password;

    #[test]
    fn a_database_url_in_a_message_hides_its_password() {
        assert_eq!(
            without_password("postgres://lab:s3cret@db.example/lab"),
            "postgres://lab:***@db.example/lab"
        );
        assert_eq!(
            without_password("postgres://lab@db/lab"),
            "postgres://lab@db/lab"
        );
        assert_eq!(without_password("sqlite:/tmp/x.db"), "sqlite:/tmp/x.db");
    }
}
