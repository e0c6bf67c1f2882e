//! The binary versions of CIFAR-10 and CIFAR-100 (Krizhevsky 2009).
//!
//! CIFAR-10 records are `label, 3072 pixels`; CIFAR-100 records are `coarse, fine, 3072
//! pixels`; pixels are the red, green and blue 32×32 planes.

use std::path::Path;

use super::{idx::read_maybe_gzip, DataError, ImageSet};

const PIXELS: usize = 3 * 32 * 32;

/// Reads and concatenates CIFAR binary files. `label_bytes` is 1 (CIFAR-10) or 2 (CIFAR-100,
/// whose fine label is the second byte).
pub(crate) fn read_batches(
    files: &[&Path],
    label_bytes: usize,
    classes: usize,
) -> Result<ImageSet, DataError> {
    let record = label_bytes + PIXELS;
    let mut set = ImageSet {
        pixels: Vec::new(),
        labels: Vec::new(),
        channels: 3,
        height: 32,
        width: 32,
    };
    for &path in files {
        let bytes = read_maybe_gzip(path)?;
        if bytes.is_empty() || bytes.len() % record != 0 {
            return Err(DataError::corrupt(
                path,
                format!(
                    "size {} is not a whole number of {record}-byte records",
                    bytes.len()
                ),
            ));
        }
        for chunk in bytes.chunks_exact(record) {
            let label = chunk[label_bytes - 1] as usize;
            if label >= classes {
                return Err(DataError::corrupt(
                    path,
                    format!("label {label} is outside 0..{classes}"),
                ));
            }
            set.labels.push(label as u16);
            set.pixels.extend_from_slice(&chunk[label_bytes..]);
        }
    }
    Ok(set)
}
