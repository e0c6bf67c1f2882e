//! A look before training: a PNG grid with one row per class (label order, the first
//! [`PREVIEW_CLASSES`]) and up to [`PREVIEW_PER_CLASS`] training images in each, small images
//! scaled up by a whole factor so that a tile is at least [`MIN_TILE`] pixels.

use std::io::Cursor;

use image::{ImageFormat, Rgb, RgbImage};

use crate::data::ImageSet;

/// Images shown per class.
pub const PREVIEW_PER_CLASS: usize = 8;
/// Classes shown (the first ones, in label order).
pub const PREVIEW_CLASSES: usize = 32;
/// The smallest tile side, in pixels.
pub const MIN_TILE: usize = 32;
const GAP: usize = 2;

/// The grid's PNG bytes for `set` with `classes` classes.
pub fn preview_png(set: &ImageSet, classes: usize) -> Vec<u8> {
    let rows = classes.clamp(1, PREVIEW_CLASSES);
    let scale = MIN_TILE.div_ceil(set.height.max(set.width).max(1)).max(1);
    let (tile_h, tile_w) = (set.height * scale, set.width * scale);
    let width = GAP + PREVIEW_PER_CLASS * (tile_w + GAP);
    let height = GAP + rows * (tile_h + GAP);
    let mut grid = RgbImage::from_pixel(width as u32, height as u32, Rgb([240, 240, 240]));
    let mut shown = vec![0usize; rows];
    for i in 0..set.len() {
        let class = set.labels[i] as usize;
        if class >= rows || shown[class] >= PREVIEW_PER_CLASS {
            continue;
        }
        let (x0, y0) = (
            GAP + shown[class] * (tile_w + GAP),
            GAP + class * (tile_h + GAP),
        );
        draw_tile(&mut grid, set, i, (x0, y0), scale);
        shown[class] += 1;
        if shown.iter().all(|&n| n >= PREVIEW_PER_CLASS) {
            break;
        }
    }
    let mut png = Cursor::new(Vec::new());
    grid.write_to(&mut png, ImageFormat::Png)
        .expect("encoding a PNG in memory cannot fail");
    png.into_inner()
}

fn draw_tile(
    grid: &mut RgbImage,
    set: &ImageSet,
    index: usize,
    origin: (usize, usize),
    scale: usize,
) {
    let image = set.image(index);
    let plane = set.height * set.width;
    for y in 0..set.height * scale {
        for x in 0..set.width * scale {
            let p = (y / scale) * set.width + x / scale;
            let channel = |c: usize| image[(c % set.channels) * plane + p];
            let colour = Rgb([channel(0), channel(1), channel(2)]);
            grid.put_pixel((origin.0 + x) as u32, (origin.1 + y) as u32, colour);
        }
    }
}
