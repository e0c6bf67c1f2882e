//! `distill serve`: the dashboard, REST API, job queue and store.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;

use super::{ArtifactsArg, BackendArg, DataDirArg};
use crate::settings::{
    default_checkpoints, default_dashboard, default_database_url, AccessSettings, Settings,
};
use crate::startup::{shutdown_signal, Application};

/// Options of `distill serve`.
#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// Address to listen on (port 0 picks a free port).
    #[arg(long, env = "DISTILL_ADDR", default_value = "127.0.0.1:8080")]
    addr: SocketAddr,
    /// Database URL: sqlite:PATH, or postgres://USER@HOST/DB to share the lab with
    /// `distill worker`s on other machines [default: sqlite:// file distill.db in
    /// ~/.local/share/distill-lab].
    #[arg(long = "db", env = "DATABASE_URL")]
    database_url: Option<String>,
    #[command(flatten)]
    data: DataDirArg,
    /// Runs trained at the same time in this process; 0 serves the API and dashboard without
    /// training (runs wait for `distill worker`s of the same PostgreSQL store).
    #[arg(long, env = "DISTILL_WORKERS", default_value_t = crate::settings::default_workers(), value_parser = clap::value_parser!(u16).range(0..=64))]
    workers: u16,
    /// Where runs train.
    #[arg(long, value_enum, env = "DISTILL_BACKEND", default_value = "auto")]
    backend: BackendArg,
    /// Root of the runs' checkpoint directories [default: ~/.local/share/distill-lab/checkpoints].
    #[arg(long, env = "DISTILL_CHECKPOINTS")]
    checkpoints: Option<PathBuf>,
    #[command(flatten)]
    artifacts: ArtifactsArg,
    /// The dashboard's bundle [default: `dashboard/` next to this executable].
    #[arg(long, env = "DISTILL_DASHBOARD")]
    dashboard: Option<PathBuf>,
    /// The largest dataset upload (`POST /api/datasets`) in MiB, and what its archive may
    /// unpack to.
    #[arg(long, env = "DISTILL_MAX_UPLOAD_MB", default_value_t = 2048, value_parser = clap::value_parser!(u64).range(1..=1 << 20))]
    max_upload_mb: u64,
    /// A file holding the owner's token [default: `DISTILL_TOKEN`, else
    /// ~/.local/share/distill-lab/owner-token, generated at the first start].
    #[arg(long)]
    token_file: Option<PathBuf>,
    /// Serve without authentication: anyone who reaches the port may do anything. Only on a
    /// loopback address.
    #[arg(long)]
    no_auth: bool,
    /// The URL users reach the lab at, e.g. `https://lab.example.org` behind a proxy: its host
    /// is allowed, https marks cookies `Secure`, and the login URL uses it.
    #[arg(long, env = "DISTILL_PUBLIC_URL")]
    public_url: Option<String>,
    /// More host names the lab answers for, comma separated (requests for any other `Host`
    /// are refused, against DNS rebinding).
    #[arg(long, env = "DISTILL_ALLOWED_HOSTS", value_delimiter = ',')]
    allowed_hosts: Vec<String>,
    /// Failed logins a client may make per minute; past them its failing attempts get 429
    /// until a minute after the oldest (a valid token or cookie always passes).
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..))]
    max_failed_logins: u32,
    /// Reverse proxies in front of the lab (addresses or networks like 10.0.0.0/8, comma
    /// separated) whose `X-Forwarded-For` says which client a request comes from; the failed-
    /// login limit then counts per client, not per proxy. Nobody else's header is believed.
    #[arg(long, env = "DISTILL_TRUSTED_PROXIES", value_delimiter = ',')]
    trusted_proxy: Vec<String>,
}

pub(super) fn init_tracing() {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("distill_server=info,warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

pub fn serve(args: ServeArgs) -> anyhow::Result<ExitCode> {
    init_tracing();
    let settings = Settings {
        addr: args.addr,
        database_url: args.database_url.unwrap_or_else(default_database_url),
        data_dirs: args.data.dirs(),
        workers: args.workers as usize,
        backend: args.backend.into(),
        artifacts: args
            .artifacts
            .open(args.checkpoints.unwrap_or_else(default_checkpoints))?,
        dashboard: args.dashboard.unwrap_or_else(default_dashboard),
        max_upload_mb: args.max_upload_mb,
        access: AccessSettings {
            token: std::env::var("DISTILL_TOKEN").ok(),
            token_file: args.token_file,
            no_auth: args.no_auth,
            public_url: args.public_url,
            allowed_hosts: args.allowed_hosts,
            max_failed_logins: args.max_failed_logins as usize,
            trusted_proxies: args.trusted_proxy,
        },
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(async {
        let app = Application::build(settings).await?;
        let addr = app.local_addr()?;
        // Tests and scripts read this line to find the port.
        println!("Distill Lab listening on http://{addr}");
        println!("{}", app.login_hint());
        app.run_until(shutdown_signal()).await
    })?;
    Ok(ExitCode::SUCCESS)
}
