//! The engine crate's directory, read when a test runs (cargo sets `CARGO_MANIFEST_DIR`), not
//! when it was compiled: checkouts at different paths (CI's copy of the checkout, a clone) share
//! one target directory, and a test binary compiled in one must not look in the other.

use std::path::PathBuf;

/// The directory of `engine/Cargo.toml`.
pub fn crate_dir() -> PathBuf {
    std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")))
}
