//! The lab's compact form of a registered dataset, in its own folder: `dataset.json` (the
//! manifest), `train-images.u8` and `test-images.u8` (pixels, N×C×H×W), `train-labels.u16` and
//! `test-labels.u16` (little-endian). Read back as fast as a built-in dataset: four plain reads.

use std::path::Path;

use api::DatasetManifest;
use sha2::{Digest, Sha256};

use super::RegisterError;
use crate::data::{DataError, ImageSet, Split};

/// The manifest's file name inside a dataset's folder.
pub const MANIFEST: &str = "dataset.json";

const FILES: [(&str, &str); 2] = [
    ("train-images.u8", "train-labels.u16"),
    ("test-images.u8", "test-labels.u16"),
];

/// Every file of a dataset's folder, the manifest first.
pub const STORED_FILES: [&str; 5] = [MANIFEST, FILES[0].0, FILES[0].1, FILES[1].0, FILES[1].1];

/// SHA-256 over the shape, pixels and labels of both splits, lowercase hex.
pub fn checksum(split: &Split) -> String {
    let mut hash = Sha256::new();
    for set in [&split.train, &split.test] {
        for dim in [set.len(), set.channels, set.height, set.width] {
            hash.update((dim as u64).to_le_bytes());
        }
        hash.update(&set.pixels);
        for label in &set.labels {
            hash.update(label.to_le_bytes());
        }
    }
    hash.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// Writes `split`'s pixels and labels into `dir`; returns the bytes written.
pub fn write_split(dir: &Path, split: &Split) -> Result<u64, RegisterError> {
    let mut bytes = 0;
    for (set, (images, labels)) in [&split.train, &split.test].into_iter().zip(FILES) {
        let label_bytes: Vec<u8> = set.labels.iter().flat_map(|l| l.to_le_bytes()).collect();
        for (name, data) in [(images, &set.pixels), (labels, &label_bytes)] {
            let path = dir.join(name);
            std::fs::write(&path, data).map_err(RegisterError::io(&path))?;
            bytes += data.len() as u64;
        }
    }
    Ok(bytes)
}

/// Writes the manifest into `dir`.
pub fn write_manifest(dir: &Path, manifest: &DatasetManifest) -> Result<(), RegisterError> {
    let path = dir.join(MANIFEST);
    let json = serde_json::to_vec_pretty(manifest).expect("a manifest serialises");
    std::fs::write(&path, json).map_err(RegisterError::io(&path))
}

/// Reads the manifest in `dir`.
pub fn read_manifest(dir: &Path) -> Result<DatasetManifest, DataError> {
    let path = dir.join(MANIFEST);
    let bytes = std::fs::read(&path).map_err(|source| DataError::Io {
        path: path.clone(),
        source,
    })?;
    serde_json::from_slice(&bytes).map_err(|e| DataError::corrupt(&path, e.to_string()))
}

/// Reads the pixels and labels in `dir`, checking them against `manifest`.
pub fn read_split(dir: &Path, manifest: &DatasetManifest) -> Result<Split, DataError> {
    let read = |name: &str| {
        let path = dir.join(name);
        std::fs::read(&path).map_err(|source| DataError::Io { path, source })
    };
    let image_len = manifest.channels * manifest.height * manifest.width;
    let mut sets = Vec::with_capacity(2);
    let counts = [manifest.train_size(), manifest.test_size()];
    for ((images_file, labels_file), count) in FILES.into_iter().zip(counts) {
        let pixels = read(images_file)?;
        let label_bytes = read(labels_file)?;
        if pixels.len() != count * image_len || label_bytes.len() != count * 2 {
            return Err(DataError::corrupt(
                &dir.join(images_file),
                format!(
                    "the manifest says {count} images of {image_len} bytes; the files disagree"
                ),
            ));
        }
        let labels: Vec<u16> = label_bytes
            .chunks_exact(2)
            .map(|b| u16::from_le_bytes([b[0], b[1]]))
            .collect();
        if let Some(bad) = labels
            .iter()
            .find(|&&l| l as usize >= manifest.classes.len())
        {
            return Err(DataError::corrupt(
                &dir.join(labels_file),
                format!("label {bad} is outside the manifest's classes"),
            ));
        }
        sets.push(ImageSet {
            pixels,
            labels,
            channels: manifest.channels,
            height: manifest.height,
            width: manifest.width,
        });
    }
    let test = sets.pop().expect("two sets");
    let train = sets.pop().expect("two sets");
    Ok(Split {
        train,
        test,
        classes: manifest.classes.len(),
        checksum: Some(manifest.checksum.clone()),
    })
}
