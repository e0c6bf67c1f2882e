//! Reading an `.npz` of arrays: `x_train`, `y_train`, `x_test`, `y_test` and optionally
//! `classes`. Pixels are uint8 (0–255) or float (0–1), laid out N×H×W, N×H×W×C or N×C×H×W
//! (detected, and stated in the dataset's source); labels are integers in `0..classes`.

use std::fs::File;
use std::io::Read;
use std::path::Path;

use image::{DynamicImage, GrayImage, RgbImage};

use super::conform::{Decoded, Labelled};
use super::{RegisterError, MAX_CLASSES};

/// The arrays read, and how their layout was understood.
pub struct Arrays {
    /// The images, labels and classes.
    pub decoded: Decoded,
    /// The layout detected, e.g. `N×H×W×C uint8`.
    pub layout: String,
}

/// Reads the `.npz` at `path`, holding at most `cap` bytes of arrays.
pub fn read(path: &Path, cap: u64) -> Result<Arrays, RegisterError> {
    let file = File::open(path).map_err(RegisterError::io(path))?;
    let mut zip = zip::ZipArchive::new(file)
        .map_err(|e| RegisterError::invalid("npz", format!("is not a readable .npz: {e}")))?;
    let x_train = pixels(read_array(&mut zip, "x_train", cap)?, "x_train")?;
    let x_test = pixels(read_array(&mut zip, "x_test", cap)?, "x_test")?;
    let y_train = labels(read_array(&mut zip, "y_train", cap)?, "y_train")?;
    let y_test = labels(read_array(&mut zip, "y_test", cap)?, "y_test")?;
    let has_classes = zip
        .file_names()
        .any(|n| n.is_ok_and(|n| n == "classes.npy"));
    let names = match has_classes {
        true => Some(class_names(read_array(&mut zip, "classes", cap)?)?),
        false => None,
    };
    if x_train.layout != x_test.layout || x_train.image_shape() != x_test.image_shape() {
        return Err(RegisterError::invalid(
            "x_test",
            format!(
                "has images of layout {} and shape {:?}, x_train {} and {:?}",
                x_test.layout,
                x_test.image_shape(),
                x_train.layout,
                x_train.image_shape()
            ),
        ));
    }
    let classes = match names {
        Some(names) => names,
        None => {
            let top = y_train.iter().chain(&y_test).copied().max().unwrap_or(0);
            (0..=top).map(|c| c.to_string()).collect()
        }
    };
    check_classes(&classes)?;
    let train = labelled(&x_train, &y_train, "train", classes.len())?;
    let test = labelled(&x_test, &y_test, "test", classes.len())?;
    Ok(Arrays {
        layout: format!("{} {}", x_train.layout, x_train.kind),
        decoded: Decoded {
            classes,
            train,
            test: Some(test),
        },
    })
}

type Array = npyz::NpyFile<std::io::Cursor<Vec<u8>>>;

/// The array's element type without its byte order: `u1`, `f4`, `i8`, `U5`, ...
fn type_code(array: &Array) -> String {
    match array.dtype() {
        npyz::DType::Plain(type_str) => type_str.to_string().chars().skip(1).collect(),
        other => format!("{other:?}"),
    }
}

/// The array `name` of the archive, read into memory (at most `cap` bytes).
fn read_array(
    zip: &mut zip::ZipArchive<File>,
    name: &str,
    cap: u64,
) -> Result<Array, RegisterError> {
    let mut entry = zip.by_name(&format!("{name}.npy")).map_err(|_| {
        RegisterError::invalid(
            name,
            "is missing: an .npz dataset holds x_train, y_train, x_test and y_test",
        )
    })?;
    let mut bytes = Vec::new();
    (&mut entry)
        .take(cap + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| RegisterError::invalid(name, format!("cannot be read: {e}")))?;
    if bytes.len() as u64 > cap {
        return Err(RegisterError::TooLarge(format!(
            "{name} inflates to more than the {} MiB cap",
            cap >> 20
        )));
    }
    npyz::NpyFile::new(std::io::Cursor::new(bytes))
        .map_err(|e| RegisterError::invalid(name, format!("is not a readable .npy array: {e}")))
}

fn check_classes(classes: &[String]) -> Result<(), RegisterError> {
    if classes.len() < 2 || classes.len() > MAX_CLASSES {
        return Err(RegisterError::invalid(
            "y_train",
            format!(
                "the labels name {} class(es); between 2 and {MAX_CLASSES} are supported",
                classes.len()
            ),
        ));
    }
    Ok(())
}

/// An array of images, as `u8` in its own layout.
struct Pixels {
    values: Vec<u8>,
    count: usize,
    height: usize,
    width: usize,
    channels: usize,
    /// `N×H×W`, `N×H×W×C` or `N×C×H×W`.
    layout: &'static str,
    /// `uint8` or `float (0–1)`.
    kind: &'static str,
}

impl Pixels {
    fn image_shape(&self) -> (usize, usize, usize) {
        (self.channels, self.height, self.width)
    }

    /// Image `i` as a decoded image.
    fn image(&self, i: usize) -> DynamicImage {
        let (h, w, c) = (self.height, self.width, self.channels);
        let one = &self.values[i * h * w * c..(i + 1) * h * w * c];
        let interleaved: Vec<u8> = match self.layout {
            "N×C×H×W" => (0..h * w)
                .flat_map(|p| (0..c).map(move |ch| one[ch * h * w + p]))
                .collect(),
            _ => one.to_vec(),
        };
        match c {
            1 => DynamicImage::ImageLuma8(
                GrayImage::from_raw(w as u32, h as u32, interleaved).expect("sized above"),
            ),
            _ => DynamicImage::ImageRgb8(
                RgbImage::from_raw(w as u32, h as u32, interleaved).expect("sized above"),
            ),
        }
    }
}

fn pixels(array: Array, name: &str) -> Result<Pixels, RegisterError> {
    let shape: Vec<usize> = array.shape().iter().map(|&d| d as usize).collect();
    let (count, height, width, channels, layout) = match shape.as_slice() {
        [n, h, w] => (*n, *h, *w, 1, "N×H×W"),
        [n, c, h, w] if matches!(c, 1 | 3) => (*n, *h, *w, *c, "N×C×H×W"),
        [n, h, w, c] if matches!(c, 1 | 3) => (*n, *h, *w, *c, "N×H×W×C"),
        _ => {
            return Err(RegisterError::invalid(
                name,
                format!(
                    "has shape {shape:?}; expected N×H×W, N×H×W×C or N×C×H×W with 1 or 3 channels"
                ),
            ))
        }
    };
    if count == 0 || height == 0 || width == 0 {
        return Err(RegisterError::invalid(
            name,
            format!("is empty (shape {shape:?})"),
        ));
    }
    let read_error =
        |e: std::io::Error| RegisterError::invalid(name, format!("cannot be read: {e}"));
    let (values, kind) = match type_code(&array).as_str() {
        "u1" => (array.into_vec::<u8>().map_err(read_error)?, "uint8"),
        "f4" => (
            unit_floats(
                array
                    .into_vec::<f32>()
                    .map_err(read_error)?
                    .into_iter()
                    .map(f64::from),
                name,
            )?,
            "float (0–1)",
        ),
        "f8" => (
            unit_floats(array.into_vec::<f64>().map_err(read_error)?, name)?,
            "float (0–1)",
        ),
        other => {
            return Err(RegisterError::invalid(
                name,
                format!("has dtype {other}; pixels must be uint8 (0–255) or float32/float64 (0–1)"),
            ))
        }
    };
    Ok(Pixels {
        values,
        count,
        height,
        width,
        channels,
        layout,
        kind,
    })
}

/// Floats on the 0–1 scale as `u8`, refusing values outside it.
fn unit_floats(
    values: impl IntoIterator<Item = f64>,
    name: &str,
) -> Result<Vec<u8>, RegisterError> {
    values
        .into_iter()
        .map(|v| {
            if (-1e-6..=1.0 + 1e-6).contains(&v) {
                Ok((v * 255.0).round().clamp(0.0, 255.0) as u8)
            } else {
                Err(RegisterError::invalid(
                    name,
                    format!("holds the float value {v}, outside 0–1: scale floats to 0–1 or store uint8 0–255"),
                ))
            }
        })
        .collect()
}

fn labels(array: Array, name: &str) -> Result<Vec<i64>, RegisterError> {
    if array.shape().len() != 1 {
        return Err(RegisterError::invalid(
            name,
            format!(
                "has shape {:?}; labels are one integer per image",
                array.shape()
            ),
        ));
    }
    match type_code(&array).as_str() {
        "u1" => widened::<u8>(array, name),
        "i1" => widened::<i8>(array, name),
        "u2" => widened::<u16>(array, name),
        "i2" => widened::<i16>(array, name),
        "u4" => widened::<u32>(array, name),
        "i4" => widened::<i32>(array, name),
        "i8" => widened::<i64>(array, name),
        "u8" => Ok(array
            .into_vec::<u64>()
            .map_err(|e| RegisterError::invalid(name, format!("cannot be read: {e}")))?
            .into_iter()
            .map(|v| i64::try_from(v).unwrap_or(i64::MAX))
            .collect()),
        other => Err(RegisterError::invalid(
            name,
            format!("has dtype {other}; labels must be integers"),
        )),
    }
}

/// An integer array of element type `T`, widened to `i64`.
fn widened<T: npyz::Deserialize + Into<i64>>(
    array: Array,
    name: &str,
) -> Result<Vec<i64>, RegisterError> {
    let values = array
        .into_vec::<T>()
        .map_err(|e| RegisterError::invalid(name, format!("cannot be read: {e}")))?;
    Ok(values.into_iter().map(Into::into).collect())
}

fn class_names(array: Array) -> Result<Vec<String>, RegisterError> {
    array.into_vec::<String>().map_err(|e| {
        RegisterError::invalid(
            "classes",
            format!("must be an array of strings (numpy dtype U): {e}"),
        )
    })
}

/// Pairs images with labels, checking counts and ranges.
fn labelled(
    x: &Pixels,
    y: &[i64],
    split: &str,
    classes: usize,
) -> Result<Vec<Labelled>, RegisterError> {
    if x.count != y.len() {
        return Err(RegisterError::invalid(
            format!("y_{split}"),
            format!(
                "holds {} labels for {} images in x_{split}",
                y.len(),
                x.count
            ),
        ));
    }
    if let Some((i, bad)) = y
        .iter()
        .enumerate()
        .find(|(_, &l)| l < 0 || l >= classes as i64)
    {
        return Err(RegisterError::invalid(
            format!("y_{split}"),
            format!("label {bad} at index {i} is outside 0..{classes}"),
        ));
    }
    Ok(y.iter()
        .enumerate()
        .map(|(i, &label)| Labelled {
            image: x.image(i),
            label: label as u16,
            file: format!("x_{split}[{i}]"),
        })
        .collect())
}
