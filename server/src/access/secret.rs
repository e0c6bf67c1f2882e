//! The owner's secret: from `DISTILL_TOKEN`, from `--token-file`, or generated at the first
//! start (256 random bits) and kept in the data directory, readable by its owner only.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;
use subtle::ConstantTimeEq;

use super::credentials::hash_secret;

/// Fewest characters an owner secret may have (a generated one has 64 hex digits).
const MIN_LENGTH: usize = 32;

/// The owner's secret, kept only as its SHA-256 digest.
#[derive(Clone)]
pub struct OwnerSecret {
    digest: [u8; 32],
    /// Where it came from, for the start-up message.
    pub source: SecretSource,
    /// The secret itself, when this start generated or read it from a file (printed in the
    /// login URL); `None` when it came from the environment.
    pub printable: Option<String>,
}

impl std::fmt::Debug for OwnerSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OwnerSecret")
            .field("source", &self.source)
            .finish_non_exhaustive()
    }
}

/// Where the owner's secret came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretSource {
    /// `DISTILL_TOKEN`.
    Environment,
    /// A file: `--token-file`, or the one kept in the data directory.
    File(PathBuf),
    /// Generated now and written to this file.
    Generated(PathBuf),
}

impl OwnerSecret {
    fn new(secret: &str, source: SecretSource, printable: bool) -> OwnerSecret {
        OwnerSecret {
            digest: hash_secret(secret),
            source,
            printable: printable.then(|| secret.to_string()),
        }
    }

    /// Whether `candidate` is the secret, in constant time.
    pub fn matches(&self, candidate: &str) -> bool {
        self.digest.ct_eq(&hash_secret(candidate)).into()
    }
}

fn checked(secret: &str, from: &str) -> anyhow::Result<String> {
    let secret = secret.trim();
    if secret.len() < MIN_LENGTH {
        anyhow::bail!(
            "the owner token from {from} has {} characters; use at least {MIN_LENGTH} (e.g. `openssl rand -hex 32`)",
            secret.len()
        );
    }
    Ok(secret.to_string())
}

/// The owner's secret: `environment` (`DISTILL_TOKEN`) first, then `file` (`--token-file`),
/// else `<data_home>/owner-token`, created with a new random secret (mode 0600) when missing.
pub fn load_owner_secret(
    environment: Option<&str>,
    file: Option<&Path>,
    data_home: &Path,
) -> anyhow::Result<OwnerSecret> {
    if let Some(secret) = environment.filter(|s| !s.is_empty()) {
        let secret = checked(secret, "DISTILL_TOKEN")?;
        return Ok(OwnerSecret::new(&secret, SecretSource::Environment, false));
    }
    if let Some(path) = file {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("reading the owner token file {}", path.display()))?;
        let secret = checked(&text, &path.display().to_string())?;
        return Ok(OwnerSecret::new(
            &secret,
            SecretSource::File(path.to_path_buf()),
            true,
        ));
    }
    let path = data_home.join("owner-token");
    match std::fs::read_to_string(&path) {
        Ok(text) => {
            let secret = checked(&text, &path.display().to_string())?;
            Ok(OwnerSecret::new(&secret, SecretSource::File(path), true))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let secret = crate::ids::new_secret();
            write_private(&path, &secret)?;
            Ok(OwnerSecret::new(
                &secret,
                SecretSource::Generated(path),
                true,
            ))
        }
        Err(e) => Err(e).with_context(|| format!("reading {}", path.display())),
    }
}

/// Writes `secret` to a new file only its owner can read.
fn write_private(path: &Path, secret: &str) -> anyhow::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options
        .open(path)
        .with_context(|| format!("creating the owner token file {}", path.display()))?;
    writeln!(file, "{secret}").with_context(|| format!("writing {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_generated_secret_is_kept_private_and_found_again() {
        let dir = tempfile::tempdir().unwrap();
        let first = load_owner_secret(None, None, dir.path()).unwrap();
        let path = dir.path().join("owner-token");
        assert_eq!(first.source, SecretSource::Generated(path.clone()));
        let secret = first.printable.clone().unwrap();
        assert!(secret.len() >= 64 && first.matches(&secret));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let again = load_owner_secret(None, None, dir.path()).unwrap();
        assert_eq!(again.source, SecretSource::File(path));
        assert!(again.matches(&secret) && !again.matches("not the secret"));
    }

    #[test]
    fn the_environment_wins_and_a_short_secret_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let long = "x".repeat(40);
        let secret = load_owner_secret(Some(&long), None, dir.path()).unwrap();
        assert_eq!(secret.source, SecretSource::Environment);
        assert!(secret.printable.is_none() && secret.matches(&long));
        assert!(load_owner_secret(Some("short"), None, dir.path()).is_err());
        assert!(!dir.path().join("owner-token").exists());
    }
}
