//! Reading an image folder: `train/<class>/*.{png,jpg,jpeg,bmp,webp}` and optionally
//! `test/<class>/…`. Class names are the folder names, sorted; images are decoded in parallel
//! and in a fixed order, so the same folder always gives the same dataset.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use rayon::prelude::*;

use super::conform::{Decoded, Labelled};
use super::{RegisterError, MAX_CLASSES};

/// File extensions read as images (case-insensitive).
pub const IMAGE_EXTENSIONS: [&str; 5] = ["png", "jpg", "jpeg", "bmp", "webp"];

/// Reads the image folder at (or just inside) `dir`; `progress` hears (decoded, total).
pub fn read(
    dir: &Path,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Result<Decoded, RegisterError> {
    let root = find_root(dir)?;
    let train_dir = root.join("train");
    let classes = class_folders(&train_dir, &root)?;
    let names: Vec<String> = classes.iter().map(|(name, _)| name.clone()).collect();
    if names.len() < 2 {
        return Err(RegisterError::invalid(
            "train/",
            format!(
                "holds {} class folder(s); distillation needs at least 2 classes",
                names.len()
            ),
        ));
    }
    if names.len() > MAX_CLASSES {
        return Err(RegisterError::invalid(
            "train/",
            format!(
                "holds {} class folders; at most {MAX_CLASSES} are supported",
                names.len()
            ),
        ));
    }
    let train_files = files_by_class(&classes, &root)?;
    let test_dir = root.join("test");
    let test_files = if test_dir.is_dir() {
        let test_classes = class_folders(&test_dir, &root)?;
        for (name, path) in &test_classes {
            if !names.contains(name) {
                return Err(RegisterError::invalid(
                    relative(path, &root),
                    "is a test class with no training folder of the same name",
                ));
            }
        }
        let labelled: Vec<(String, PathBuf)> = test_classes;
        Some(files_by_class_named(&labelled, &names, &root)?)
    } else {
        None
    };
    let total = train_files.len() + test_files.as_ref().map_or(0, Vec::len);
    let done = AtomicUsize::new(0);
    let decode = |files: &[(PathBuf, u16)]| -> Result<Vec<Labelled>, RegisterError> {
        files
            .par_iter()
            .map(|(path, label)| {
                let image = decode_one(path, &root)?;
                progress(done.fetch_add(1, Ordering::Relaxed) + 1, total);
                Ok(Labelled {
                    image,
                    label: *label,
                    file: relative(path, &root),
                })
            })
            .collect()
    };
    let train = decode(&train_files)?;
    let test = test_files.as_deref().map(decode).transpose()?;
    Ok(Decoded {
        classes: names,
        train,
        test,
    })
}

/// The folder holding `train/`: `dir` itself, or its only sub-folder (archives often wrap their
/// content in one).
fn find_root(dir: &Path) -> Result<PathBuf, RegisterError> {
    if dir.join("train").is_dir() {
        return Ok(dir.to_path_buf());
    }
    let subfolders: Vec<PathBuf> = visible_entries(dir, dir)?
        .into_iter()
        .filter(|p| p.is_dir() && p.file_name().is_some_and(|n| n != "__MACOSX"))
        .collect();
    match subfolders.as_slice() {
        [only] if only.join("train").is_dir() => Ok(only.clone()),
        _ => Err(RegisterError::invalid(
            "train/",
            "not found: an image folder holds train/<class>/<images> (and optionally test/<class>/<images>)",
        )),
    }
}

/// Entries of `dir` that are not hidden, sorted; a link is refused.
fn visible_entries(dir: &Path, root: &Path) -> Result<Vec<PathBuf>, RegisterError> {
    let entries = std::fs::read_dir(dir)
        .map_err(|e| RegisterError::invalid(relative(dir, root), format!("cannot be read: {e}")))?;
    let mut out = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| {
            RegisterError::invalid(relative(dir, root), format!("cannot be read: {e}"))
        })?;
        if entry.file_name().to_string_lossy().starts_with('.') {
            continue;
        }
        let path = entry.path();
        if entry.file_type().is_ok_and(|t| t.is_symlink()) {
            return Err(RegisterError::invalid(
                relative(&path, root),
                "is a symbolic link; image folders must hold plain files only",
            ));
        }
        out.push(path);
    }
    out.sort();
    Ok(out)
}

/// The class folders in `dir`, sorted by name; an image lying outside a class folder is refused.
fn class_folders(dir: &Path, root: &Path) -> Result<Vec<(String, PathBuf)>, RegisterError> {
    let mut classes = Vec::new();
    for path in visible_entries(dir, root)? {
        if path.is_dir() {
            let name = path
                .file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned();
            classes.push((name, path));
        } else if is_image(&path) {
            return Err(RegisterError::invalid(
                relative(&path, root),
                "lies outside a class folder: put each image in train/<class>/ or test/<class>/",
            ));
        }
    }
    Ok(classes)
}

fn files_by_class(
    classes: &[(String, PathBuf)],
    root: &Path,
) -> Result<Vec<(PathBuf, u16)>, RegisterError> {
    let names: Vec<String> = classes.iter().map(|(n, _)| n.clone()).collect();
    files_by_class_named(classes, &names, root)
}

/// The image files of each class folder, labelled by the folder's position in `names`.
fn files_by_class_named(
    classes: &[(String, PathBuf)],
    names: &[String],
    root: &Path,
) -> Result<Vec<(PathBuf, u16)>, RegisterError> {
    let mut out = Vec::new();
    for (name, folder) in classes {
        let label = names.iter().position(|n| n == name).unwrap_or_default() as u16;
        let images: Vec<PathBuf> = visible_entries(folder, root)?
            .into_iter()
            .filter(|p| p.is_file() && is_image(p))
            .collect();
        if images.is_empty() {
            return Err(RegisterError::invalid(
                format!("{}/", relative(folder, root)),
                format!(
                    "is an empty class folder (no .{} file)",
                    IMAGE_EXTENSIONS.join(", .")
                ),
            ));
        }
        out.extend(images.into_iter().map(|p| (p, label)));
    }
    Ok(out)
}

fn is_image(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| IMAGE_EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()))
}

fn decode_one(path: &Path, root: &Path) -> Result<image::DynamicImage, RegisterError> {
    let undecodable = |e: &dyn std::fmt::Display| {
        RegisterError::invalid(
            relative(path, root),
            format!("does not decode as an image: {e}"),
        )
    };
    image::ImageReader::open(path)
        .map_err(|e| undecodable(&e))?
        .with_guessed_format()
        .map_err(|e| undecodable(&e))?
        .decode()
        .map_err(|e| undecodable(&e))
}

/// `path` relative to the folder's root, with `/` separators, for messages.
fn relative(path: &Path, root: &Path) -> String {
    path.strip_prefix(root)
        .unwrap_or(path)
        .to_string_lossy()
        .replace('\\', "/")
}
