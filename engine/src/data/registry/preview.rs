//! A look before training: a PNG grid with one row per class (label order, the first
//! [`PREVIEW_CLASSES`]), the class name at its left (8×8 bitmap letters, cut to
//! [`LABEL_CHARS`]), and up to [`PREVIEW_PER_CLASS`] training images, small images scaled up by
//! a whole factor so that a tile is at least [`MIN_TILE`] pixels.

use std::io::Cursor;

use font8x8::UnicodeFonts;
use image::{ImageFormat, Rgb, RgbImage};

use crate::data::ImageSet;

/// Images shown per class.
pub const PREVIEW_PER_CLASS: usize = 8;
/// Classes shown (the first ones, in label order).
pub const PREVIEW_CLASSES: usize = 32;
/// The smallest tile side, in pixels.
pub const MIN_TILE: usize = 32;
/// The most characters of a class name drawn.
pub const LABEL_CHARS: usize = 16;
/// Pixels of a drawn character (the font's cells).
pub const CHAR_SIDE: usize = 8;
const GAP: usize = 2;
/// The background.
pub const PAPER: Rgb<u8> = Rgb([240, 240, 240]);
/// The class names' colour.
pub const INK: Rgb<u8> = Rgb([40, 40, 40]);
const LABEL_PAD: usize = 4;

/// The width of the column of class names before the images.
pub fn label_width(names: &[String]) -> usize {
    let longest = names.iter().map(|n| n.chars().count()).max().unwrap_or(0);
    2 * LABEL_PAD + CHAR_SIDE * longest.min(LABEL_CHARS)
}

/// The grid's PNG bytes for `set`, whose classes are `names` in label order.
pub fn preview_png(set: &ImageSet, names: &[String]) -> Vec<u8> {
    let rows = names.len().clamp(1, PREVIEW_CLASSES);
    let names = &names[..rows.min(names.len())];
    let scale = MIN_TILE.div_ceil(set.height.max(set.width).max(1)).max(1);
    let (tile_h, tile_w) = (set.height * scale, set.width * scale);
    let left = label_width(names);
    let width = left + GAP + PREVIEW_PER_CLASS * (tile_w + GAP);
    let height = GAP + rows * (tile_h + GAP);
    let mut grid = RgbImage::from_pixel(width as u32, height as u32, PAPER);
    for (row, name) in names.iter().enumerate() {
        let y = GAP + row * (tile_h + GAP) + tile_h.saturating_sub(CHAR_SIDE) / 2;
        draw_text(&mut grid, name, (LABEL_PAD, y));
    }
    let mut shown = vec![0usize; rows];
    for i in 0..set.len() {
        let class = set.labels[i] as usize;
        if class >= rows || shown[class] >= PREVIEW_PER_CLASS {
            continue;
        }
        let x0 = left + GAP + shown[class] * (tile_w + GAP);
        let y0 = GAP + class * (tile_h + GAP);
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

/// Draws up to [`LABEL_CHARS`] characters of `text` in dark grey from `origin` (top left); a
/// character the font lacks is drawn as `?`.
fn draw_text(grid: &mut RgbImage, text: &str, origin: (usize, usize)) {
    for (i, c) in text.chars().take(LABEL_CHARS).enumerate() {
        let glyph = font8x8::BASIC_FONTS
            .get(c)
            .or_else(|| font8x8::LATIN_FONTS.get(c))
            .or_else(|| font8x8::BASIC_FONTS.get('?'))
            .unwrap_or_default();
        for (dy, bits) in glyph.iter().enumerate() {
            for dx in 0..CHAR_SIDE {
                if bits >> dx & 1 == 1 {
                    let (x, y) = (origin.0 + i * CHAR_SIDE + dx, origin.1 + dy);
                    if (x as u32) < grid.width() && (y as u32) < grid.height() {
                        grid.put_pixel(x as u32, y as u32, INK);
                    }
                }
            }
        }
    }
}
