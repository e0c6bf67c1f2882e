//! Unpacking an uploaded `.zip`, `.tar` or `.tar.gz` of image folders, safely: every entry must
//! stay inside the target folder, links are refused, and inflating stops at the size cap (a zip
//! bomb ends as an error, not a full disk).

use std::fs::File;
use std::io::{self, Read};
use std::path::{Component, Path, PathBuf};

use super::RegisterError;

/// The archive formats an image folder may come in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArchiveFormat {
    /// A `.zip` file.
    Zip,
    /// A plain `.tar` file.
    Tar,
    /// A gzip-compressed tar file.
    TarGz,
}

/// Unpacks `archive` into `into`, writing at most `cap` bytes.
pub fn unpack(
    archive: &Path,
    format: ArchiveFormat,
    into: &Path,
    cap: u64,
) -> Result<(), RegisterError> {
    let file = File::open(archive).map_err(RegisterError::io(archive))?;
    let mut budget = Budget { left: cap, cap };
    match format {
        ArchiveFormat::Zip => unpack_zip(file, into, &mut budget),
        ArchiveFormat::Tar => unpack_tar(tar::Archive::new(file), into, &mut budget),
        ArchiveFormat::TarGz => unpack_tar(
            tar::Archive::new(flate2::read::GzDecoder::new(file)),
            into,
            &mut budget,
        ),
    }
}

/// Bytes the unpacked files may still take.
struct Budget {
    left: u64,
    cap: u64,
}

impl Budget {
    /// Copies `from` into a new file at `to`, stopping with an error once the cap is passed.
    fn copy(&mut self, from: &mut impl Read, to: &Path, name: &str) -> Result<(), RegisterError> {
        if let Some(parent) = to.parent() {
            std::fs::create_dir_all(parent).map_err(RegisterError::io(parent))?;
        }
        let mut out = File::create(to).map_err(RegisterError::io(to))?;
        let written = io::copy(&mut from.take(self.left + 1), &mut out)
            .map_err(|e| RegisterError::invalid(name, format!("cannot be unpacked: {e}")))?;
        if written > self.left {
            return Err(RegisterError::TooLarge(format!(
                "the archive unpacks to more than the {} MiB cap (passed it at {name}); raise --max-upload-mb or send fewer images",
                self.cap >> 20
            )));
        }
        self.left -= written;
        Ok(())
    }
}

/// `name` as a relative path that stays inside the target folder.
fn contained(name: &str) -> Result<PathBuf, RegisterError> {
    let path = Path::new(name);
    let inside = path
        .components()
        .all(|c| matches!(c, Component::Normal(_) | Component::CurDir));
    if inside && path.components().next().is_some() {
        Ok(path.to_path_buf())
    } else {
        Err(RegisterError::invalid(
            name,
            "points outside the archive's root (absolute, or through `..`); refusing to unpack it",
        ))
    }
}

fn link_refused(name: &str) -> RegisterError {
    RegisterError::invalid(
        name,
        "is a link; archives of image folders must hold plain files only",
    )
}

fn unpack_zip(file: File, into: &Path, budget: &mut Budget) -> Result<(), RegisterError> {
    let mut zip = zip::ZipArchive::new(file)
        .map_err(|e| RegisterError::invalid("archive", format!("is not a readable zip: {e}")))?;
    for i in 0..zip.len() {
        let mut entry = zip
            .by_index(i)
            .map_err(|e| RegisterError::invalid("archive", format!("entry {i}: {e}")))?;
        let name = entry
            .name()
            .map_err(|e| {
                RegisterError::invalid("archive", format!("entry {i} has no readable name: {e}"))
            })?
            .into_owned();
        let relative = contained(&name)?;
        if entry.is_symlink() {
            return Err(link_refused(&name));
        }
        let target = into.join(relative);
        if entry.is_dir() {
            std::fs::create_dir_all(&target).map_err(RegisterError::io(&target))?;
        } else {
            budget.copy(&mut entry, &target, &name)?;
        }
    }
    Ok(())
}

fn unpack_tar(
    mut archive: tar::Archive<impl Read>,
    into: &Path,
    budget: &mut Budget,
) -> Result<(), RegisterError> {
    let entries = archive
        .entries()
        .map_err(|e| RegisterError::invalid("archive", format!("is not a readable tar: {e}")))?;
    for entry in entries {
        let mut entry = entry.map_err(|e| {
            RegisterError::invalid("archive", format!("is not a readable tar: {e}"))
        })?;
        let name = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
        let relative = contained(&name)?;
        let target = into.join(relative);
        match entry.header().entry_type() {
            tar::EntryType::Directory => {
                std::fs::create_dir_all(&target).map_err(RegisterError::io(&target))?
            }
            tar::EntryType::Regular | tar::EntryType::Continuous => {
                budget.copy(&mut entry, &target, &name)?
            }
            tar::EntryType::Symlink | tar::EntryType::Link => return Err(link_refused(&name)),
            // pax and GNU headers describe the next entry; the tar crate applies them.
            tar::EntryType::XHeader | tar::EntryType::XGlobalHeader => {}
            other => {
                return Err(RegisterError::invalid(
                    name,
                    format!(
                    "is a {other:?} entry; archives of image folders must hold plain files only"
                ),
                ))
            }
        }
    }
    Ok(())
}
