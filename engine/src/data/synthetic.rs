//! A procedurally generated 28×28 grey image set with ten shape classes, for instant demos and
//! fast tests without files.
//!
//! Each image holds one shape (filled or hollow square, disk, ring, plus, cross, horizontal or
//! vertical stripes, triangle, checkerboard) at a random position, size and intensity, over
//! noise and a few distracting strokes. Position varies, so a convolutional network (translation
//! equivariant) clearly beats a small MLP of similar size.

use super::{ImageSet, Split};
use crate::rng::{purpose, Rng};

const SIDE: usize = 28;
const CLASSES: usize = 10;

/// Generates `train` training and `test` test images; always the same images for the same sizes.
pub fn generate(train: usize, test: usize) -> Split {
    Split {
        train: generate_set(train, 0),
        test: generate_set(test, 1),
        classes: CLASSES,
        checksum: None,
    }
}

fn generate_set(len: usize, split: u64) -> ImageSet {
    let mut pixels = Vec::with_capacity(len * SIDE * SIDE);
    let mut labels = Vec::with_capacity(len);
    for index in 0..len {
        let class = index % CLASSES;
        let mut rng = Rng::derive(0x5EED, &[purpose::SYNTHETIC, split, index as u64]);
        pixels.extend(render(class, &mut rng));
        labels.push(class as u16);
    }
    ImageSet {
        pixels,
        labels,
        channels: 1,
        height: SIDE,
        width: SIDE,
    }
}

fn render(class: usize, rng: &mut Rng) -> Vec<u8> {
    let radius = rng.range_f32(4.5, 9.0);
    let cx = rng.range_f32(radius + 1.0, SIDE as f32 - radius - 1.0);
    let cy = rng.range_f32(radius + 1.0, SIDE as f32 - radius - 1.0);
    let intensity = rng.range_f32(0.55, 1.0);
    let noise = rng.range_f32(0.05, 0.3);
    let strokes: Vec<[f32; 4]> = (0..rng.below(3))
        .map(|_| {
            let x = rng.range_f32(0.0, SIDE as f32);
            let y = rng.range_f32(0.0, SIDE as f32);
            [
                x,
                y,
                x + rng.range_f32(-6.0, 6.0),
                y + rng.range_f32(-6.0, 6.0),
            ]
        })
        .collect();
    let mut image = Vec::with_capacity(SIDE * SIDE);
    for y in 0..SIDE {
        for x in 0..SIDE {
            let (dx, dy) = (x as f32 + 0.5 - cx, y as f32 + 0.5 - cy);
            let mut v = if inside(class, dx, dy, radius, x, y) {
                intensity
            } else {
                0.0
            };
            if strokes
                .iter()
                .any(|s| distance_to_segment(x as f32, y as f32, s) < 0.7)
            {
                v = v.max(0.6 * intensity);
            }
            v += noise * rng.next_f32();
            image.push((v.clamp(0.0, 1.0) * 255.0).round() as u8);
        }
    }
    image
}

fn inside(class: usize, dx: f32, dy: f32, r: f32, x: usize, y: usize) -> bool {
    let in_square = dx.abs() < r && dy.abs() < r;
    let d = (dx * dx + dy * dy).sqrt();
    match class {
        0 => in_square,
        1 => in_square && dx.abs().max(dy.abs()) > r - 2.0,
        2 => d < r,
        3 => d < r && d > r - 2.0,
        4 => (dx.abs() < 1.5 && dy.abs() < r) || (dy.abs() < 1.5 && dx.abs() < r),
        5 => in_square && ((dx - dy).abs() < 1.6 || (dx + dy).abs() < 1.6),
        6 => in_square && (y / 2).is_multiple_of(2),
        7 => in_square && (x / 2).is_multiple_of(2),
        8 => dy.abs() < r && dx.abs() < (dy + r) / 2.0,
        _ => in_square && ((x / 3) + (y / 3)).is_multiple_of(2),
    }
}

fn distance_to_segment(px: f32, py: f32, [x0, y0, x1, y1]: &[f32; 4]) -> f32 {
    let (vx, vy) = (x1 - x0, y1 - y0);
    let len_sq = (vx * vx + vy * vy).max(1e-6);
    let t = (((px - x0) * vx + (py - y0) * vy) / len_sq).clamp(0.0, 1.0);
    let (qx, qy) = (x0 + t * vx - px, y0 + t * vy - py);
    (qx * qx + qy * qy).sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_synthetic_set_is_balanced_and_reproducible() {
        let a = generate(200, 50);
        let b = generate(200, 50);
        assert_eq!(a.train.pixels, b.train.pixels);
        assert_eq!(a.train.len(), 200);
        assert_eq!(a.test.len(), 50);
        for class in 0..CLASSES as u16 {
            assert_eq!(a.train.labels.iter().filter(|&&l| l == class).count(), 20);
        }
        assert_ne!(
            a.train.image(0),
            a.train.image(10),
            "same class, different draws"
        );
    }
}
