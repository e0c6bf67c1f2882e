//! Datasets as users have them on disk, written by the tests themselves: image folders of real
//! PNG and JPEG files, `.zip` and `.tar.gz` archives of them (including hostile ones), and
//! `.npz` files of arrays.

use std::fs::File;
use std::io::{Cursor, Write};
use std::path::{Path, PathBuf};

use image::{DynamicImage, GrayImage, ImageFormat, Rgb, RgbImage};
use npyz::WriterBuilder;

/// An image whose class can be learned: a bright square whose position depends on the class,
/// on a background that varies with `index`.
pub fn class_image(
    class: usize,
    index: usize,
    (height, width): (u32, u32),
    colour: bool,
) -> DynamicImage {
    let side = (height.min(width) / 3).max(1);
    let (cx, cy) = (
        (class as u32 * 7) % (width - side + 1),
        (class as u32 * 5) % (height - side + 1),
    );
    let shade = |x: u32, y: u32| -> u8 {
        let noise = ((x * 31 + y * 17 + index as u32 * 13) % 40) as u8;
        let inside = x >= cx && x < cx + side && y >= cy && y < cy + side;
        if inside {
            200 + noise / 2
        } else {
            noise
        }
    };
    if colour {
        DynamicImage::ImageRgb8(RgbImage::from_fn(width, height, |x, y| {
            let v = shade(x, y);
            Rgb([v, v / 2, 255 - v])
        }))
    } else {
        DynamicImage::ImageLuma8(GrayImage::from_fn(width, height, |x, y| {
            image::Luma([shade(x, y)])
        }))
    }
}

/// The layout of an image folder to write.
#[derive(Debug, Clone)]
pub struct FolderSpec<'a> {
    /// Class folder names.
    pub classes: &'a [&'a str],
    /// Training images per class.
    pub train_per_class: usize,
    /// Test images per class; no `test/` folder when `None`.
    pub test_per_class: Option<usize>,
    /// Image size (height, width).
    pub size: (u32, u32),
    /// RGB or grey.
    pub colour: bool,
}

/// Writes `spec`'s image folder into `root` (PNG and JPEG files, alternating); returns `root`.
pub fn image_folder(root: &Path, spec: &FolderSpec<'_>) -> PathBuf {
    let mut splits = vec![("train", spec.train_per_class)];
    splits.extend(spec.test_per_class.map(|n| ("test", n)));
    for (split, count) in splits {
        for (class, name) in spec.classes.iter().enumerate() {
            let dir = root.join(split).join(name);
            std::fs::create_dir_all(&dir).unwrap();
            for i in 0..count {
                let image = class_image(class, i, spec.size, spec.colour);
                let (file, format) = if i % 2 == 0 {
                    (format!("{i:04}.png"), ImageFormat::Png)
                } else {
                    (format!("{i:04}.jpg"), ImageFormat::Jpeg)
                };
                image.save_with_format(dir.join(file), format).unwrap();
            }
        }
    }
    root.to_path_buf()
}

/// Zips every file under `dir` into `zip`, each path prefixed by `prefix` (e.g. `"icons/"`).
pub fn zip_folder(dir: &Path, zip: &Path, prefix: &str) {
    let mut writer = zip::ZipWriter::new(File::create(zip).unwrap());
    for (relative, bytes) in files_under(dir) {
        writer
            .start_file(
                format!("{prefix}{relative}"),
                zip::write::SimpleFileOptions::default(),
            )
            .unwrap();
        writer.write_all(&bytes).unwrap();
    }
    writer.finish().unwrap();
}

/// A zip holding exactly `entries` (name, bytes), names taken as given (`../x` included).
pub fn zip_entries(zip: &Path, entries: &[(&str, &[u8])]) {
    let mut writer = zip::ZipWriter::new(File::create(zip).unwrap());
    for (name, bytes) in entries {
        writer
            .start_file(*name, zip::write::SimpleFileOptions::default())
            .unwrap();
        writer.write_all(bytes).unwrap();
    }
    writer.finish().unwrap();
}

/// Writes every file under `dir` into a `.tar.gz`, plus the given symbolic links
/// (name, target).
pub fn tar_gz_folder(dir: &Path, archive: &Path, links: &[(&str, &str)]) {
    let gz =
        flate2::write::GzEncoder::new(File::create(archive).unwrap(), flate2::Compression::fast());
    let mut tar = tar::Builder::new(gz);
    for (relative, bytes) in files_under(dir) {
        let mut header = tar::Header::new_gnu();
        header.set_size(bytes.len() as u64);
        header.set_mode(0o644);
        tar.append_data(&mut header, relative, bytes.as_slice())
            .unwrap();
    }
    for (name, target) in links {
        let mut header = tar::Header::new_gnu();
        header.set_entry_type(tar::EntryType::Symlink);
        header.set_size(0);
        tar.append_link(&mut header, name, target).unwrap();
    }
    tar.into_inner().unwrap().finish().unwrap();
}

/// (path relative to `dir` with `/`, contents) of every file under `dir`, sorted.
fn files_under(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(next) = pending.pop() {
        for entry in std::fs::read_dir(&next).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                pending.push(path);
            } else {
                let relative = path
                    .strip_prefix(dir)
                    .unwrap()
                    .to_string_lossy()
                    .replace('\\', "/");
                out.push((relative, std::fs::read(&path).unwrap()));
            }
        }
    }
    out.sort();
    out
}

/// One array of an `.npz`.
#[derive(Debug, Clone)]
pub enum Array {
    /// uint8 values of a shape.
    U8(Vec<u64>, Vec<u8>),
    /// float32 values of a shape.
    F32(Vec<u64>, Vec<f32>),
    /// int64 labels.
    I64(Vec<i64>),
    /// Unicode strings (numpy dtype `<U`).
    Strings(Vec<String>),
}

/// Writes an `.npz` holding `arrays` (name without `.npy`, array).
pub fn npz(path: &Path, arrays: &[(&str, Array)]) {
    let mut writer = zip::ZipWriter::new(File::create(path).unwrap());
    for (name, array) in arrays {
        writer
            .start_file(
                format!("{name}.npy"),
                zip::write::SimpleFileOptions::default(),
            )
            .unwrap();
        writer.write_all(&npy_bytes(array)).unwrap();
    }
    writer.finish().unwrap();
}

fn npy_bytes(array: &Array) -> Vec<u8> {
    let mut buf = Cursor::new(Vec::new());
    match array {
        Array::U8(shape, values) => write_numbers(&mut buf, shape, values),
        Array::F32(shape, values) => write_numbers(&mut buf, shape, values),
        Array::I64(values) => write_numbers(&mut buf, &[values.len() as u64], values),
        Array::Strings(values) => {
            let longest = values
                .iter()
                .map(|s| s.chars().count())
                .max()
                .unwrap_or(1)
                .max(1);
            let dtype = npyz::DType::Plain(format!("<U{longest}").parse().unwrap());
            let shape = [values.len() as u64];
            let mut w = npyz::WriteOptions::<str>::new()
                .dtype(dtype)
                .shape(&shape)
                .writer(&mut buf)
                .begin_nd()
                .unwrap();
            for value in values {
                w.push(value.as_str()).unwrap();
            }
            w.finish().unwrap();
        }
    }
    buf.into_inner()
}

/// Writes `values` as a numeric `.npy` array of `shape`, in numpy's default dtype for `T`.
fn write_numbers<T: npyz::AutoSerialize + Copy>(
    buf: &mut Cursor<Vec<u8>>,
    shape: &[u64],
    values: &[T],
) {
    let mut w = npyz::WriteOptions::new()
        .default_dtype()
        .shape(shape)
        .writer(buf)
        .begin_nd()
        .unwrap();
    w.extend(values.iter().copied()).unwrap();
    w.finish().unwrap();
}

/// An `.npz` of `per_class` learnable images per class for train and half as many for test,
/// uint8 N×H×W×C (or N×H×W when grey), with class names.
pub fn class_arrays(
    path: &Path,
    classes: &[&str],
    per_class: usize,
    size: (u32, u32),
    colour: bool,
) {
    let channels: u64 = if colour { 3 } else { 1 };
    let split = |count: usize, offset: usize| {
        let mut pixels = Vec::new();
        let mut labels = Vec::new();
        for i in 0..count * classes.len() {
            let class = i % classes.len();
            let image = class_image(class, i + offset, size, colour);
            pixels.extend(if colour {
                image.to_rgb8().into_raw()
            } else {
                image.to_luma8().into_raw()
            });
            labels.push(class as i64);
        }
        let n = labels.len() as u64;
        let mut shape = vec![n, size.0 as u64, size.1 as u64];
        if colour {
            shape.push(channels);
        }
        (Array::U8(shape, pixels), Array::I64(labels))
    };
    let (x_train, y_train) = split(per_class, 0);
    let (x_test, y_test) = split(per_class.div_ceil(2), 10_000);
    npz(
        path,
        &[
            ("x_train", x_train),
            ("y_train", y_train),
            ("x_test", x_test),
            ("y_test", y_test),
            (
                "classes",
                Array::Strings(classes.iter().map(|c| c.to_string()).collect()),
            ),
        ],
    );
}
