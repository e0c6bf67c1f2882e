//! Turning samples into normalised tensors on a device, with CIFAR-style augmentation
//! (4-pixel zero-padded random crop and horizontal flip) when asked.

use burn::prelude::*;

use super::ImageSet;
use crate::rng::Rng;

/// A batch on a device.
#[derive(Debug, Clone)]
pub struct Batch {
    /// Normalised images. // [batch, channels, height, width]
    pub images: Tensor<4>,
    /// Class indices. // [batch]
    pub targets: Tensor<1, Int>,
    /// The same class indices on the host.
    pub labels: Vec<u16>,
}

/// Normalises with per-channel statistics of the training set.
#[derive(Debug, Clone)]
pub struct Batcher {
    stats: Vec<(f32, f32)>,
}

const CROP_PADDING: isize = 4;

impl Batcher {
    /// A batcher normalising with the statistics of `train`.
    pub fn fitted_to(train: &ImageSet) -> Batcher {
        Batcher {
            stats: train.channel_stats(),
        }
    }

    /// Normalised images back to pixels in `[0, 1]` (for a model that normalises its own
    /// way). // [batch, channels, height, width]
    pub fn pixels(&self, images: Tensor<4>) -> Tensor<4> {
        let device = images.device();
        let channels = self.stats.len();
        let column = |values: Vec<f32>| {
            Tensor::<1>::from_data(TensorData::new(values, [channels]), &device)
                .reshape([1, channels, 1, 1])
        };
        let mean = column(self.stats.iter().map(|s| s.0).collect());
        let std = column(self.stats.iter().map(|s| s.1).collect());
        images * std + mean
    }

    /// Builds the batch of `indices` from `set`; augments when `augment` holds a generator.
    pub fn batch(
        &self,
        set: &ImageSet,
        indices: &[usize],
        device: &Device,
        mut augment: Option<&mut Rng>,
    ) -> Batch {
        let (c, h, w) = (set.channels, set.height, set.width);
        let mut values = Vec::with_capacity(indices.len() * set.image_len());
        let mut labels = Vec::with_capacity(indices.len());
        for &index in indices {
            let image = set.image(index);
            let (shift_y, shift_x, flip) = match augment.as_deref_mut() {
                Some(rng) => (
                    rng.below(2 * CROP_PADDING as usize + 1) as isize - CROP_PADDING,
                    rng.below(2 * CROP_PADDING as usize + 1) as isize - CROP_PADDING,
                    rng.below(2) == 1,
                ),
                None => (0, 0, false),
            };
            for (channel, &(mean, std)) in self.stats.iter().enumerate() {
                let plane = &image[channel * h * w..(channel + 1) * h * w];
                for y in 0..h as isize {
                    for x in 0..w as isize {
                        let sx = if flip { w as isize - 1 - x } else { x } + shift_x;
                        let sy = y + shift_y;
                        let inside = (0..h as isize).contains(&sy) && (0..w as isize).contains(&sx);
                        let pixel = if inside {
                            plane[sy as usize * w + sx as usize]
                        } else {
                            0
                        };
                        values.push((pixel as f32 / 255.0 - mean) / std);
                    }
                }
            }
            labels.push(set.labels[index]);
        }
        let images =
            Tensor::<4>::from_data(TensorData::new(values, [indices.len(), c, h, w]), device);
        let targets = Tensor::<1, Int>::from_data(
            TensorData::new(
                labels.iter().map(|&l| l as i64).collect::<Vec<_>>(),
                [indices.len()],
            ),
            device,
        );
        Batch {
            images,
            targets,
            labels,
        }
    }
}
