//! The IDX format of MNIST and Fashion-MNIST (LeCun et al.), raw or gzip-compressed.
//!
//! Header: two zero bytes, a type byte (0x08 = u8), the number of dimensions, then each
//! dimension as a big-endian u32, then the data.

use std::io::Read;
use std::path::Path;

use super::DataError;

const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];
const UNSIGNED_BYTE: u8 = 0x08;

/// Reads a whole file, decompressing it when it is gzip.
pub(crate) fn read_maybe_gzip(path: &Path) -> Result<Vec<u8>, DataError> {
    let raw = std::fs::read(path).map_err(|source| DataError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    if raw.len() >= 2 && raw[..2] == GZIP_MAGIC {
        let mut out = Vec::with_capacity(raw.len() * 4);
        flate2::read::MultiGzDecoder::new(&raw[..])
            .read_to_end(&mut out)
            .map_err(|e| DataError::corrupt(path, format!("gzip stream is damaged ({e})")))?;
        Ok(out)
    } else {
        Ok(raw)
    }
}

/// Reads an IDX file of `expected_dims` dimensions; returns the dimensions and the data.
fn read_idx(path: &Path, expected_dims: usize) -> Result<(Vec<usize>, Vec<u8>), DataError> {
    let bytes = read_maybe_gzip(path)?;
    if bytes.len() < 4 {
        return Err(DataError::corrupt(path, "shorter than an IDX header"));
    }
    if bytes[0] != 0 || bytes[1] != 0 || bytes[2] != UNSIGNED_BYTE {
        return Err(DataError::corrupt(
            path,
            format!(
                "bad magic number 0x{:02x}{:02x}{:02x}{:02x} (expected 0x000008{expected_dims:02x}, unsigned-byte IDX)",
                bytes[0], bytes[1], bytes[2], bytes[3]
            ),
        ));
    }
    let dims = bytes[3] as usize;
    if dims != expected_dims {
        return Err(DataError::corrupt(
            path,
            format!("has {dims} dimensions, expected {expected_dims}"),
        ));
    }
    let header = 4 + 4 * dims;
    if bytes.len() < header {
        return Err(DataError::corrupt(path, "header is truncated"));
    }
    let shape: Vec<usize> = (0..dims)
        .map(|d| {
            let at = 4 + 4 * d;
            u32::from_be_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]]) as usize
        })
        .collect();
    let expected: usize = shape.iter().product();
    let actual = bytes.len() - header;
    if actual != expected {
        return Err(DataError::corrupt(
            path,
            format!(
                "header announces {shape:?} = {expected} bytes of data but the file holds {actual}"
            ),
        ));
    }
    Ok((shape, bytes[header..].to_vec()))
}

/// Reads an images file (`[n, rows, cols]`) and its labels file (`[n]`) into one set.
pub(crate) fn read_images_and_labels(
    images: &Path,
    labels: &Path,
    classes: usize,
) -> Result<super::ImageSet, DataError> {
    let (shape, pixels) = read_idx(images, 3)?;
    let (label_shape, raw_labels) = read_idx(labels, 1)?;
    if label_shape[0] != shape[0] {
        return Err(DataError::corrupt(
            labels,
            format!(
                "holds {} labels but {} holds {} images",
                label_shape[0],
                images.display(),
                shape[0]
            ),
        ));
    }
    if let Some(bad) = raw_labels.iter().find(|&&l| l as usize >= classes) {
        return Err(DataError::corrupt(
            labels,
            format!("label {bad} is outside 0..{classes}"),
        ));
    }
    Ok(super::ImageSet {
        pixels,
        labels: raw_labels.into_iter().map(u16::from).collect(),
        channels: 1,
        height: shape[1],
        width: shape[2],
    })
}
