//! Datasets an owner registers: an image folder (a directory, or a `.zip`/`.tar`/`.tar.gz` of
//! one) or an `.npz` of arrays, converted once into the lab's compact form (`stored`) inside the
//! data directory. Registration works in a hidden folder that is renamed into place when
//! complete, so a refused or interrupted registration leaves nothing in the catalogue.

mod archive;
mod arrays;
mod conform;
mod error;
mod folder;
mod preview;
mod source;
mod split;
mod stored;
mod workdir;

use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use api::{DatasetManifest, DatasetName};

pub use archive::ArchiveFormat;
pub use conform::Colour;
pub use error::RegisterError;
pub use folder::IMAGE_EXTENSIONS;
pub use preview::{label_width, preview_png, INK, PAPER, PREVIEW_CLASSES, PREVIEW_PER_CLASS};
pub use stored::STORED_FILES;

use super::{DataError, Split};
use source::decode_source;
use split::{conform_split, per_class};
use workdir::{unique, WorkDir};

/// The most classes a registered dataset may have.
pub const MAX_CLASSES: usize = 1000;
/// The share of training images held out as the test split when the source has none.
pub const DEFAULT_TEST_FRACTION: f64 = 0.2;
/// The largest side `resize` accepts.
pub const MAX_SIDE: usize = 1024;
/// How old a hidden leftover of an interrupted registration, upload or removal must be before
/// the next registration removes it (younger ones may belong to one still under way).
pub const ABANDONED_AFTER: std::time::Duration = std::time::Duration::from_secs(24 * 3600);

/// What to register, and how.
#[derive(Debug, Clone)]
pub struct Registration {
    /// The name it will have.
    pub name: DatasetName,
    /// A folder, an archive of one, or an `.npz`.
    pub source: PathBuf,
    /// How the source is named in the manifest (its file name as uploaded, or its path).
    pub source_label: String,
    /// Resize every image to (height, width).
    pub resize: Option<(usize, usize)>,
    /// Force grey or RGB.
    pub colour: Option<Colour>,
    /// Share of training images held out as test when the source has no test split.
    pub test_fraction: Option<f64>,
    /// The most bytes an archive may unpack to.
    pub max_bytes: u64,
}

/// The registered datasets under one data directory.
#[derive(Debug, Clone)]
pub struct Registry {
    root: PathBuf,
}

impl Registry {
    /// The registry whose datasets are folders of `root`.
    pub fn new(root: impl Into<PathBuf>) -> Registry {
        Registry { root: root.into() }
    }

    /// Its data directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The folder of dataset `name`.
    pub fn dir(&self, name: &DatasetName) -> PathBuf {
        self.root.join(name.as_str())
    }

    /// Every registered dataset, by name (folders without a readable manifest are not ones).
    pub fn list(&self) -> Vec<DatasetManifest> {
        let Ok(entries) = std::fs::read_dir(&self.root) else {
            return Vec::new();
        };
        let mut found: Vec<DatasetManifest> = entries
            .flatten()
            .filter(|e| !e.file_name().to_string_lossy().starts_with('.'))
            .filter_map(|e| stored::read_manifest(&e.path()).ok())
            .collect();
        found.sort_by(|a, b| a.name.cmp(&b.name));
        found
    }

    /// The manifest of `name`, `None` when no such dataset is registered.
    pub fn manifest(&self, name: &DatasetName) -> Result<Option<DatasetManifest>, DataError> {
        let dir = self.dir(name);
        if !dir.join(stored::MANIFEST).is_file() {
            return Ok(None);
        }
        stored::read_manifest(&dir).map(Some)
    }

    /// Loads the train and test images of `name`.
    pub fn load(&self, name: &DatasetName) -> Result<Option<Split>, DataError> {
        let Some(manifest) = self.manifest(name)? else {
            return Ok(None);
        };
        stored::read_split(&self.dir(name), &manifest).map(Some)
    }

    /// The preview grid of `name` as PNG bytes, `None` when no such dataset is registered.
    pub fn preview(&self, name: &DatasetName) -> Result<Option<Vec<u8>>, DataError> {
        let Some(manifest) = self.manifest(name)? else {
            return Ok(None);
        };
        let split = stored::read_split(&self.dir(name), &manifest)?;
        Ok(Some(preview::preview_png(&split.train, &manifest.classes)))
    }

    /// Removes `name`; false when there was no such dataset. The folder is first renamed out
    /// of the catalogue, so a removal never leaves a half-deleted dataset listed.
    pub fn remove(&self, name: &DatasetName) -> std::io::Result<bool> {
        let dir = self.dir(name);
        if !dir.join(stored::MANIFEST).is_file() {
            return Ok(false);
        }
        let doomed = self.root.join(format!(".removing-{name}-{}", unique()));
        std::fs::rename(&dir, &doomed)?;
        std::fs::remove_dir_all(&doomed)?;
        Ok(true)
    }

    /// Installs a dataset registered elsewhere from its folder's files ([`STORED_FILES`], as
    /// another machine's registry holds them), after checking them against the manifest's
    /// checksum. A dataset of that name already here is kept when its checksum is the same.
    pub fn install(&self, files: &[(&str, &[u8])]) -> Result<DatasetManifest, RegisterError> {
        let file = |name: &str| {
            files
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, bytes)| *bytes)
                .ok_or_else(|| RegisterError::invalid(name, "is missing from the dataset's files"))
        };
        let manifest: DatasetManifest = serde_json::from_slice(file(stored::MANIFEST)?)
            .map_err(|e| RegisterError::invalid(stored::MANIFEST, e.to_string()))?;
        match self.manifest(&manifest.name) {
            Ok(Some(here)) if here.checksum == manifest.checksum => return Ok(here),
            Ok(Some(_)) | Err(_) => return Err(RegisterError::Exists(manifest.name.to_string())),
            Ok(None) => {}
        }
        std::fs::create_dir_all(&self.root).map_err(RegisterError::io(&self.root))?;
        let work = WorkDir::create(self.root.join(format!(
            ".incoming-{}-{}",
            manifest.name,
            unique()
        )))?;
        for name in STORED_FILES {
            let path = work.path.join(name);
            std::fs::write(&path, file(name)?).map_err(RegisterError::io(&path))?;
        }
        let split = stored::read_split(&work.path, &manifest)
            .map_err(|e| RegisterError::invalid(stored::MANIFEST, e.to_string()))?;
        if stored::checksum(&split) != manifest.checksum {
            return Err(RegisterError::invalid(
                stored::MANIFEST,
                "the files do not match the manifest's checksum",
            ));
        }
        match work.commit(&self.dir(&manifest.name), &manifest.name) {
            // Another run of this machine installed it meanwhile: the same version will do.
            Err(RegisterError::Exists(_)) if self.holds(&manifest) => Ok(manifest),
            committed => committed.map(|()| manifest),
        }
    }

    /// Whether this registry holds `manifest`'s dataset in that version.
    fn holds(&self, manifest: &DatasetManifest) -> bool {
        matches!(self.manifest(&manifest.name), Ok(Some(here)) if here.checksum == manifest.checksum)
    }

    /// Removes what registrations, uploads and removals killed midway left (hidden entries
    /// older than [`ABANDONED_AFTER`]); the catalogue never lists them.
    fn sweep_abandoned(&self) {
        let Ok(entries) = std::fs::read_dir(&self.root) else {
            return;
        };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let ours = [".incoming-", ".removing-", ".upload-"]
                .iter()
                .any(|prefix| name.starts_with(prefix));
            let age = entry
                .metadata()
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| t.elapsed().ok());
            if ours && age.is_some_and(|age| age > ABANDONED_AFTER) {
                let path = entry.path();
                let _ = std::fs::remove_dir_all(&path).or_else(|_| std::fs::remove_file(&path));
            }
        }
    }

    /// Registers `request`'s source as a dataset; `progress` hears (images decoded, total).
    pub fn register(
        &self,
        request: &Registration,
        progress: &(dyn Fn(usize, usize) + Sync),
    ) -> Result<DatasetManifest, RegisterError> {
        let name = &request.name;
        if name.builtin().is_some() {
            return Err(RegisterError::Reserved(name.to_string()));
        }
        if self.dir(name).exists() {
            return Err(RegisterError::Exists(name.to_string()));
        }
        check_options(request)?;
        std::fs::create_dir_all(&self.root).map_err(RegisterError::io(&self.root))?;
        self.sweep_abandoned();
        let work = WorkDir::create(self.root.join(format!(".incoming-{name}-{}", unique())))?;
        let (decoded, format) = decode_source(request, &work.path, progress)?;
        let (split, shape, test_note, classes) = conform_split(decoded, request)?;
        let mut manifest = DatasetManifest {
            name: name.clone(),
            classes,
            channels: shape.channels(),
            height: shape.height,
            width: shape.width,
            train_per_class: per_class(&split.train.labels, split.classes),
            test_per_class: per_class(&split.test.labels, split.classes),
            mean: Vec::new(),
            std: Vec::new(),
            source: format!(
                "{} ({format}); {}×{} {}{}; {test_note}",
                request.source_label,
                shape.height,
                shape.width,
                match shape.colour {
                    Colour::Grey => "grey",
                    Colour::Rgb => "RGB",
                },
                if request.resize.is_some() {
                    " (resized)"
                } else {
                    ""
                },
            ),
            checksum: stored::checksum(&split),
            bytes: 0,
            registered_at: now_ms(),
        };
        (manifest.mean, manifest.std) = split.train.channel_stats().into_iter().unzip();
        let unpacked = work.path.join("unpacked");
        if unpacked.exists() {
            std::fs::remove_dir_all(&unpacked).map_err(RegisterError::io(&unpacked))?;
        }
        manifest.bytes = stored::write_split(&work.path, &split)?;
        stored::write_manifest(&work.path, &manifest)?;
        work.commit(&self.dir(name), name)?;
        Ok(manifest)
    }
}

fn check_options(request: &Registration) -> Result<(), RegisterError> {
    if let Some(f) = request.test_fraction {
        if !(f > 0.0 && f < 1.0) {
            return Err(RegisterError::invalid(
                "test_fraction",
                format!("must be between 0 and 1 (exclusive), got {f}"),
            ));
        }
    }
    if let Some((h, w)) = request.resize {
        if !(1..=MAX_SIDE).contains(&h) || !(1..=MAX_SIDE).contains(&w) {
            return Err(RegisterError::invalid(
                "resize",
                format!("sides must be 1 to {MAX_SIDE} pixels, got {h}x{w}"),
            ));
        }
    }
    Ok(())
}

pub(super) fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}
