//! Rows into structs, column by column: what `#[derive(sqlx::FromRow)]` would write. sqlx's
//! derive lives in its proc-macro crate, which makes a first build compile sqlx a second time,
//! for the compiler — both database drivers (SQLite's bundled C included), tokio and their
//! dependencies: 110 compile units, a minute of CPU (docs/first-run.md). This macro costs
//! nothing to build.

/// `from_row!(Row { column, … })`, or `from_row!(Row { flatten inner; column, … })`:
/// `sqlx::FromRow` for the store's `Any` rows, each field read from the column of its name
/// (`inner` from the same row as a whole). The struct literal it builds makes the compiler
/// check the list against the struct's fields.
macro_rules! from_row {
    ($row:ident { flatten $inner:ident; $($column:ident),* $(,)? }) => {
        from_row!(@impl $row [$inner] $($column),*);
    };
    ($row:ident { $($column:ident),* $(,)? }) => {
        from_row!(@impl $row [] $($column),*);
    };
    (@impl $row:ident [$($inner:ident)?] $($column:ident),*) => {
        impl<'r> sqlx::FromRow<'r, sqlx::any::AnyRow> for $row {
            fn from_row(row: &'r sqlx::any::AnyRow) -> Result<Self, sqlx::Error> {
                use sqlx::Row as _;
                Ok(Self {
                    $($inner: sqlx::FromRow::from_row(row)?,)?
                    $($column: row.try_get(stringify!($column))?,)*
                })
            }
        }
    };
}
pub(crate) use from_row;
