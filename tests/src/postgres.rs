//! A throw-away PostgreSQL server for a test, from Debian's `postgresql` package: a fresh cluster
//! (`initdb`) in a temporary directory, listening only on a unix socket in that directory (no TCP
//! port, so any number can run side by side), stopped and deleted when dropped. As root, where
//! `initdb` and `pg_ctl` refuse to run, the tools run as the `postgres` user (`runuser`).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use tempfile::TempDir;

/// The port in the socket's name (`.s.PGSQL.<port>`); nothing listens on TCP.
const PORT: &str = "5432";

/// Set to `1` to let [`Postgres::require`] skip (return `None`) where PostgreSQL is missing.
const SKIP_VARIABLE: &str = "DISTILL_SKIP_POSTGRES";

/// Environment variables of libpq that would point the tools elsewhere than this cluster.
const LIBPQ_VARIABLES: [&str; 6] = [
    "PGHOST",
    "PGPORT",
    "PGDATA",
    "PGUSER",
    "PGDATABASE",
    "PGSERVICE",
];

/// A PostgreSQL server of its own for a test: a fresh cluster in a temporary directory,
/// listening only on a unix socket there; stopped and deleted on drop.
pub struct Postgres {
    /// Where `initdb`, `pg_ctl` and `createdb` are.
    bin: PathBuf,
    /// Whether the tools run as the `postgres` user (this process is root).
    as_postgres: bool,
    /// The temporary directory, as text: the socket's directory.
    socket_dir: String,
    /// `<dir>/data`: the cluster.
    data_dir: String,
    /// Holds `data/`, `log` (the server's log) and the socket; deleted last, on drop.
    dir: TempDir,
}

impl Postgres {
    /// Starts one; None (with a line on stderr saying why) when PostgreSQL is not installed,
    /// so callers can decide. Panics on any other failure with the tool's output.
    pub fn start() -> Option<Postgres> {
        let Some(bin) = find_bin() else {
            eprintln!(
                "PostgreSQL is not installed (no /usr/lib/postgresql/<major>/bin/initdb and no \
                 `initdb` on PATH): install Debian's `postgresql` package"
            );
            return None;
        };
        // Under /tmp whatever TMPDIR says: the socket's path must stay within the ~107 bytes of
        // a unix address, and the `postgres` user must be able to reach it.
        let dir = tempfile::Builder::new()
            .prefix("distill-pg-")
            .tempdir_in("/tmp")
            .expect("create a temporary directory for the cluster under /tmp");
        let as_postgres = is_root();
        if as_postgres {
            hand_to_postgres_user(dir.path());
        }
        let socket_dir = utf8(dir.path()).to_string();
        let data_dir = format!("{socket_dir}/data");
        let postgres = Postgres {
            bin,
            as_postgres,
            socket_dir,
            data_dir,
            dir,
        };
        postgres.run(
            "initdb",
            &[
                "-D",
                &postgres.data_dir,
                "-U",
                "postgres",
                "-A",
                "trust",
                "--no-sync",
                "-E",
                "UTF8",
                "--locale=C",
            ],
        );
        postgres.start_server();
        Some(postgres)
    }

    /// Like start, but panics when PostgreSQL is not installed unless DISTILL_SKIP_POSTGRES=1 is
    /// set (then None).
    pub fn require() -> Option<Postgres> {
        let postgres = Postgres::start();
        if postgres.is_none() {
            assert!(
                std::env::var(SKIP_VARIABLE).as_deref() == Ok("1"),
                "these tests need PostgreSQL (Debian's `postgresql` package); set \
                 {SKIP_VARIABLE}=1 to skip them instead"
            );
            eprintln!("skipped: PostgreSQL is not installed and {SKIP_VARIABLE}=1");
        }
        postgres
    }

    /// A new empty database in this cluster; returns its URL for sqlx, e.g.
    /// `postgres://postgres@localhost:5432/NAME?host=/tmp/xyz` (socket dir in `host`).
    pub fn database(&self, name: &str) -> String {
        assert!(
            is_plain_name(name),
            "database name {name:?} must be 1 to 63 characters of [a-z0-9_]"
        );
        self.run(
            "createdb",
            &["-h", &self.socket_dir, "-p", PORT, "-U", "postgres", name],
        );
        // sqlx-postgres 0.8: a `host` query parameter starting with '/' is a socket directory.
        format!(
            "postgres://postgres@localhost:{PORT}/{name}?host={}",
            self.socket_dir
        )
    }

    /// Stops the server at once (`pg_ctl stop -m immediate`: every connection is cut), keeps it
    /// down for `down`, and starts it again (same data, same socket): to test reconnects.
    pub fn restart(&self, down: std::time::Duration) {
        self.run("pg_ctl", &["-D", &self.data_dir, "-m", "immediate", "stop"]);
        std::thread::sleep(down);
        self.start_server();
    }

    /// The directory of the server's socket (the `host` of [`Postgres::database`]'s URLs).
    pub fn socket_dir(&self) -> &Path {
        self.dir.path()
    }

    /// What the server logged so far.
    pub fn logs(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("log")).unwrap_or_default()
    }

    /// `pg_ctl start`, waiting until the server accepts connections on its socket only.
    fn start_server(&self) {
        let options = format!(
            "-k {} -c listen_addresses='' -c port={PORT} -c fsync=off -c max_connections=200",
            self.socket_dir
        );
        let log = format!("{}/log", self.socket_dir);
        let args = [
            "-D",
            &self.data_dir,
            "-l",
            &log,
            "-w",
            "-t",
            "60",
            "-o",
            &options,
            "start",
        ];
        let output = self.command("pg_ctl", &args);
        if !output.status.success() {
            panic!(
                "{}\nthe server's log:\n{}",
                failure("pg_ctl", &args, &output),
                self.logs()
            );
        }
    }

    /// Runs one of PostgreSQL's tools; panics with its output unless it succeeds.
    fn run(&self, tool: &str, args: &[&str]) {
        let output = self.command(tool, args);
        assert!(output.status.success(), "{}", failure(tool, args, &output));
    }

    /// Runs one of PostgreSQL's tools (as `postgres` when this process is root), in the
    /// temporary directory, without the caller's libpq variables; returns what it did.
    fn command(&self, tool: &str, args: &[&str]) -> Output {
        let path = tool_path(&self.bin, tool);
        let mut command = if self.as_postgres {
            let mut command = Command::new("runuser");
            command.args(["-u", "postgres", "--"]).arg(&path);
            command
        } else {
            Command::new(&path)
        };
        command.args(args).current_dir(self.dir.path());
        for variable in LIBPQ_VARIABLES {
            command.env_remove(variable);
        }
        command.output().unwrap_or_else(|error| {
            let runner = if self.as_postgres { "runuser" } else { "it" };
            panic!("{} does not start ({runner}: {error})", path.display())
        })
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        // Best effort: a failed stop leaves at most a server whose directory is gone.
        let _ = self.command("pg_ctl", &["-D", &self.data_dir, "-m", "immediate", "stop"]);
    }
}

/// The directory of PostgreSQL's tools: the highest major version's under
/// `/usr/lib/postgresql/`, else the one of `initdb` found on PATH.
fn find_bin() -> Option<PathBuf> {
    highest_debian_bin().or_else(bin_of_initdb_on_path)
}

/// `/usr/lib/postgresql/<major>/bin` of the highest major version that has an `initdb`.
fn highest_debian_bin() -> Option<PathBuf> {
    std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .flatten()
        .filter_map(|entry| {
            let version = version_key(entry.file_name().to_str()?)?;
            let bin = entry.path().join("bin");
            bin.join("initdb").is_file().then_some((version, bin))
        })
        .max()
        .map(|(_, bin)| bin)
}

/// `"15"` → `[15]`, `"9.6"` → `[9, 6]`: ordered as versions; None for other names.
fn version_key(name: &str) -> Option<Vec<u32>> {
    name.split('.').map(|part| part.parse().ok()).collect()
}

/// The directory of `initdb` found on PATH, links resolved (so its `pg_ctl` sits beside it).
fn bin_of_initdb_on_path() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    let initdb = std::env::split_paths(&path)
        .map(|dir| dir.join("initdb"))
        .find(|candidate| candidate.is_file())?;
    let initdb = std::fs::canonicalize(&initdb).unwrap_or(initdb);
    initdb.parent().map(Path::to_path_buf)
}

/// `bin/tool` when it is there, else the bare name (looked up on PATH).
fn tool_path(bin: &Path, tool: &str) -> PathBuf {
    let path = bin.join(tool);
    if path.is_file() {
        path
    } else {
        PathBuf::from(tool)
    }
}

/// Whether this process runs as root (`id -u` says 0); false when `id` cannot tell.
fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|output| String::from_utf8_lossy(&output.stdout).trim() == "0")
        .unwrap_or(false)
}

/// Gives `dir` to the `postgres` user (who runs the tools when this process is root) and opens
/// it to others (mode 0755), so that both can reach the socket.
fn hand_to_postgres_user(dir: &Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755))
        .unwrap_or_else(|error| panic!("chmod 0755 {}: {error}", dir.display()));
    let args = ["-R", "postgres", utf8(dir)];
    let output = Command::new("chown")
        .args(args)
        .output()
        .unwrap_or_else(|error| panic!("chown does not start: {error}"));
    assert!(
        output.status.success(),
        "{}\n(as root, the tools run as the `postgres` user that Debian's `postgresql` package \
         creates)",
        failure("chown", &args, &output)
    );
}

/// Whether `name` is a database name that needs no quoting anywhere: 1 to 63 of [a-z0-9_].
fn is_plain_name(name: &str) -> bool {
    (1..=63).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

/// A path as text (the tools take their arguments as text).
fn utf8(path: &Path) -> &str {
    path.to_str()
        .unwrap_or_else(|| panic!("{} is not UTF-8", path.display()))
}

/// What a failed command was and said.
fn failure(tool: &str, args: &[&str], output: &Output) -> String {
    format!(
        "`{tool} {}` failed ({}):\n{}{}",
        args.join(" "),
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}
