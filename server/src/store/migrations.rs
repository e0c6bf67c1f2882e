//! The schema migrations, embedded in the binary: the files of `migrations/sqlite/` and
//! `migrations/postgres/`, handed to sqlx's migrator exactly as sqlx reads a directory of them.
//! (sqlx's `migrate!` macro does this too, but only with its proc-macro crate — see
//! [`super::from_row`] for what that crate costs a first build.) A test holds each list to its
//! directory, so a new file that is not listed fails the tests.

use std::borrow::Cow;
use std::future::Future;
use std::pin::Pin;

use sqlx::error::BoxDynError;
use sqlx::migrate::{Migration, MigrationSource, MigrationType};

/// `(file name, SQL)` of `migrations/<database>/<file>` for each file given.
macro_rules! files {
    ($database:literal: $($file:literal),+ $(,)?) => {
        Embedded(&[$((
            $file,
            include_str!(concat!("../../../migrations/", $database, "/", $file)),
        )),+])
    };
}

/// SQLite's schema, `migrations/sqlite/`.
pub const SQLITE: Embedded = files!("sqlite":
    "20261128000001_initial.sql",
    "20261202000001_stage_budgets_and_validation.sql",
    "20261202000002_access.sql",
    "20261203000001_workers_and_leases.sql",
    "20261206000001_sweeps.sql",
    "20261206000002_sweep_shares.sql",
    "20261206000003_experiment_notes.sql",
);

/// PostgreSQL's schema, `migrations/postgres/`.
pub const POSTGRES: Embedded = files!("postgres":
    "20261203000001_initial.sql",
    "20261206000001_sweeps.sql",
    "20261206000002_sweep_shares.sql",
    "20261206000003_experiment_notes.sql",
);

/// A directory of migrations, embedded: `(file name, SQL)`, in any order.
#[derive(Debug, Clone, Copy)]
pub struct Embedded(pub &'static [(&'static str, &'static str)]);

impl Embedded {
    /// The migrations as sqlx reads a directory of them: `<version>_<description>.sql`, the
    /// description's `_` read as spaces, the checksum of the text, and `-- no-transaction` on
    /// the first line to run outside a transaction; sorted by version. Identical migrations
    /// keep a database migrated by an earlier build (which embedded them with `migrate!`)
    /// valid.
    pub fn migrations(self) -> Result<Vec<Migration>, String> {
        let mut migrations = self
            .0
            .iter()
            .map(|&(file, sql)| {
                let (version, rest) = file.split_once('_').ok_or_else(|| {
                    format!("migration {file:?}: not <version>_<description>.sql")
                })?;
                let version = version
                    .parse()
                    .map_err(|_| format!("migration {file:?}: the version is not an integer"))?;
                let kind = MigrationType::from_filename(rest);
                let description = rest.trim_end_matches(kind.suffix()).replace('_', " ");
                let no_tx = sql.starts_with("-- no-transaction");
                Ok(Migration::new(
                    version,
                    Cow::Owned(description),
                    kind,
                    Cow::Borrowed(sql),
                    no_tx,
                ))
            })
            .collect::<Result<Vec<_>, String>>()?;
        migrations.sort_by_key(|m| m.version);
        Ok(migrations)
    }
}

impl MigrationSource<'static> for Embedded {
    fn resolve(
        self,
    ) -> Pin<Box<dyn Future<Output = Result<Vec<Migration>, BoxDynError>> + Send + 'static>> {
        Box::pin(async move { self.migrations().map_err(BoxDynError::from) })
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use sqlx::migrate::Migrator;

    use super::*;

    /// What identifies a migration to sqlx's bookkeeping table and its runner.
    fn identity(m: &Migration) -> (i64, String, Vec<u8>, bool, bool) {
        (
            m.version,
            m.description.to_string(),
            m.checksum.to_vec(),
            m.no_tx,
            m.migration_type.is_up_migration(),
        )
    }

    async fn assert_same_as_directory(embedded: Embedded, database: &str) {
        // The crate's directory when the test runs (cargo sets it), not when it was compiled:
        // checkouts at different paths share one target directory.
        let crate_dir = std::env::var_os("CARGO_MANIFEST_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")));
        let dir = crate_dir.join("../migrations").join(database);
        let read = Migrator::new(dir.as_path())
            .await
            .expect("sqlx reads the directory");
        let embedded = Migrator::new(embedded)
            .await
            .expect("the embedded files resolve");
        let read: Vec<_> = read.iter().map(identity).collect();
        let embedded: Vec<_> = embedded.iter().map(identity).collect();
        assert_eq!(
            embedded, read,
            "migrations/{database}/ and its embedded list differ: list every file in store/migrations.rs"
        );
    }

    #[tokio::test]
    async fn the_embedded_sqlite_migrations_are_the_directory_as_sqlx_reads_it() {
        assert_same_as_directory(SQLITE, "sqlite").await;
    }

    #[tokio::test]
    async fn the_embedded_postgres_migrations_are_the_directory_as_sqlx_reads_it() {
        assert_same_as_directory(POSTGRES, "postgres").await;
    }
}
