//! What the store's SQL needs beyond what sqlx's `Any` driver gives: which database a URL
//! names, the few phrases SQLite and PostgreSQL spell differently, numbered placeholders for
//! statements built at run time, and a correctly typed NULL for optional floats.

use std::fmt::Write;

use sqlx::encode::{Encode, IsNull};
use sqlx::error::BoxDynError;
use sqlx::Database;
use sqlx::{Any, Type};

/// The database behind the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dialect {
    Sqlite,
    Postgres,
}

impl Dialect {
    /// The dialect of a database URL, if the store supports it.
    pub(crate) fn of_url(url: &str) -> Option<Dialect> {
        if url.starts_with("sqlite:") {
            Some(Dialect::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Some(Dialect::Postgres)
        } else {
            None
        }
    }

    /// `ceil(x) - 1` as an integer, for an `x` that is a positive float expression.
    pub(crate) fn ceil_minus_one(self, x: &str) -> String {
        match self {
            // SQLite has no ceil() unless built with its math functions; CAST truncates.
            Dialect::Sqlite => {
                format!("(CAST({x} AS INTEGER) + ({x} > CAST({x} AS INTEGER)) - 1)")
            }
            Dialect::Postgres => format!("(CAST(CEIL({x}) AS BIGINT) - 1)"),
        }
    }

    /// `value` clamped to `[low, high]` (two-argument min/max in SQLite, LEAST/GREATEST in
    /// PostgreSQL).
    pub(crate) fn clamp(self, value: &str, low: &str, high: &str) -> String {
        match self {
            Dialect::Sqlite => format!("min(max({value}, {low}), {high})"),
            Dialect::Postgres => format!("LEAST(GREATEST({value}, {low}), {high})"),
        }
    }

    /// What ends a SELECT that picks a row to claim: PostgreSQL locks it and skips rows other
    /// workers are claiming; SQLite has one writer at a time and needs nothing.
    pub(crate) fn lock_for_claim(self, table: &str) -> String {
        match self {
            Dialect::Sqlite => String::new(),
            Dialect::Postgres => format!(" FOR UPDATE OF {table} SKIP LOCKED"),
        }
    }
}

/// A SQLite URL whose database file is created when missing.
pub(crate) fn sqlite_url_creating(url: &str) -> String {
    if url.contains("mode=") {
        url.to_string()
    } else if url.contains('?') {
        format!("{url}&mode=rwc")
    } else {
        format!("{url}?mode=rwc")
    }
}

/// Numbered placeholders (`$1`, `$2`, …) for a statement built at run time: both databases
/// read them, where sqlx's `QueryBuilder` over `Any` writes `?`, which PostgreSQL rejects.
#[derive(Debug, Default)]
pub(crate) struct Placeholders(usize);

impl Placeholders {
    /// The next placeholder.
    pub(crate) fn next(&mut self) -> String {
        self.0 += 1;
        format!("${}", self.0)
    }

    /// `n` placeholders separated by commas, in parentheses.
    pub(crate) fn tuple(&mut self, n: usize) -> String {
        let mut out = String::from("(");
        for i in 0..n {
            if i > 0 {
                out.push_str(", ");
            }
            let _ = write!(out, "{}", self.next());
        }
        out.push(')');
        out
    }
}

/// An optional float to bind. sqlx 0.8.6's `Any` driver sends `None::<f64>` to PostgreSQL as a
/// `float4` NULL, and PostgreSQL keeps that parameter type for the cached statement, so a later
/// `Some(f64)` is refused; this sends a `float8` NULL (sqlx maps `None::<f32>`'s kind to it).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Float(pub Option<f64>);

impl Type<Any> for Float {
    fn type_info() -> sqlx::any::AnyTypeInfo {
        <f64 as Type<Any>>::type_info()
    }
}

impl<'q> Encode<'q, Any> for Float {
    fn encode_by_ref(
        &self,
        buf: &mut <Any as Database>::ArgumentBuffer<'q>,
    ) -> Result<IsNull, BoxDynError> {
        match self.0 {
            Some(value) => <f64 as Encode<'q, Any>>::encode_by_ref(&value, buf),
            None => <Option<f32> as Encode<'q, Any>>::encode_by_ref(&None, buf),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_number_from_one_across_calls() {
        let mut p = Placeholders::default();
        assert_eq!(p.next(), "$1");
        assert_eq!(p.tuple(3), "($2, $3, $4)");
    }

    #[test]
    fn a_sqlite_url_creates_its_file_unless_it_says_otherwise() {
        assert_eq!(sqlite_url_creating("sqlite:a.db"), "sqlite:a.db?mode=rwc");
        assert_eq!(
            sqlite_url_creating("sqlite:a.db?x=1"),
            "sqlite:a.db?x=1&mode=rwc"
        );
        assert_eq!(
            sqlite_url_creating("sqlite:a.db?mode=ro"),
            "sqlite:a.db?mode=ro"
        );
    }

    #[test]
    fn only_sqlite_and_postgres_urls_are_stores() {
        assert_eq!(Dialect::of_url("sqlite:x.db"), Some(Dialect::Sqlite));
        assert_eq!(Dialect::of_url("postgres://u@h/d"), Some(Dialect::Postgres));
        assert_eq!(Dialect::of_url("mysql://u@h/d"), None);
    }
}
