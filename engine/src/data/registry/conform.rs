//! Giving every image of a dataset one size and one channel count: as found when the images
//! agree, else the size the owner asked for (or an error naming two files that differ); grey
//! when every image is grey, RGB otherwise, unless the owner forces one.

use image::imageops::FilterType;
use image::DynamicImage;

use super::RegisterError;
use crate::data::ImageSet;

/// Images as decoded from a folder or arrays, before they are given one shape.
pub struct Decoded {
    /// Class names, in label order.
    pub classes: Vec<String>,
    /// Training images.
    pub train: Vec<Labelled>,
    /// Test images, when the source has a test split.
    pub test: Option<Vec<Labelled>>,
}

/// One decoded image, its label and where it came from.
pub struct Labelled {
    /// The image as decoded.
    pub image: DynamicImage,
    /// Its class, in `0..classes`.
    pub label: u16,
    /// The file (or array element) it came from, for messages.
    pub file: String,
}

/// Grey or colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Colour {
    /// One channel.
    Grey,
    /// Three channels.
    Rgb,
}

/// The size and channels every image of a dataset gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shape {
    /// Image height.
    pub height: usize,
    /// Image width.
    pub width: usize,
    /// Grey or RGB.
    pub colour: Colour,
}

impl Shape {
    /// Colour channels.
    pub fn channels(&self) -> usize {
        match self.colour {
            Colour::Grey => 1,
            Colour::Rgb => 3,
        }
    }
}

/// The shape of the dataset: `resize` (height, width) when given, else the images' own size
/// when they all share it; `colour` when given, else grey only when every image is grey.
pub fn decide_shape(
    images: &[&Labelled],
    resize: Option<(usize, usize)>,
    colour: Option<Colour>,
) -> Result<Shape, RegisterError> {
    let first = images
        .first()
        .ok_or_else(|| RegisterError::invalid("train", "holds no image"))?;
    let (height, width) = match resize {
        Some(size) => size,
        None => {
            let size_of = |l: &Labelled| (l.image.height() as usize, l.image.width() as usize);
            let expected = size_of(first);
            if let Some(other) = images.iter().find(|l| size_of(l) != expected) {
                let (h, w) = size_of(other);
                return Err(RegisterError::invalid(
                    "resize",
                    format!(
                        "the images differ in size ({} is {}×{}, {} is {h}×{w}); give a size to resize them all to, e.g. --resize 32x32",
                        first.file, expected.0, expected.1, other.file
                    ),
                ));
            }
            expected
        }
    };
    let colour = colour.unwrap_or(if images.iter().any(|l| l.image.color().has_color()) {
        Colour::Rgb
    } else {
        Colour::Grey
    });
    Ok(Shape {
        height,
        width,
        colour,
    })
}

/// The images as one [`ImageSet`] of `shape`, pixels in CHW order.
pub fn to_image_set(images: &[Labelled], shape: Shape) -> ImageSet {
    let (h, w) = (shape.height, shape.width);
    let plane = h * w;
    let mut pixels = Vec::with_capacity(images.len() * plane * shape.channels());
    for item in images {
        let image = &item.image;
        let resized = |img: &DynamicImage| {
            if img.height() as usize == h && img.width() as usize == w {
                img.clone()
            } else {
                img.resize_exact(w as u32, h as u32, FilterType::Triangle)
            }
        };
        match shape.colour {
            Colour::Grey => pixels.extend_from_slice(resized(image).to_luma8().as_raw()),
            Colour::Rgb => {
                let rgb = resized(image).to_rgb8();
                let raw = rgb.as_raw();
                for c in 0..3 {
                    pixels.extend((0..plane).map(|p| raw[p * 3 + c]));
                }
            }
        }
    }
    ImageSet {
        pixels,
        labels: images.iter().map(|l| l.label).collect(),
        channels: shape.channels(),
        height: h,
        width: w,
    }
}
