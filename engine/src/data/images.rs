//! Images in memory: raw `u8` pixels in CHW order plus labels, and a train/test split.

/// A set of same-sized images with integer labels.
#[derive(Debug, Clone)]
pub struct ImageSet {
    /// Pixels, `len × channels × height × width`, row-major.
    pub pixels: Vec<u8>,
    /// One label per image, in `0..classes`.
    pub labels: Vec<u16>,
    /// Colour channels (1 or 3).
    pub channels: usize,
    /// Image height.
    pub height: usize,
    /// Image width.
    pub width: usize,
}

impl ImageSet {
    /// Number of images.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// Whether the set holds no image.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// Values per image.
    pub fn image_len(&self) -> usize {
        self.channels * self.height * self.width
    }

    /// The pixels of image `index`.
    pub fn image(&self, index: usize) -> &[u8] {
        let n = self.image_len();
        &self.pixels[index * n..(index + 1) * n]
    }

    /// The first `n` images (all when `n` is larger).
    pub fn truncate(mut self, n: usize) -> ImageSet {
        if n < self.len() {
            self.pixels.truncate(n * self.image_len());
            self.labels.truncate(n);
        }
        self
    }

    /// The images at `indices`, in that order.
    pub fn select(&self, indices: &[usize]) -> ImageSet {
        let mut pixels = Vec::with_capacity(indices.len() * self.image_len());
        for &i in indices {
            pixels.extend_from_slice(self.image(i));
        }
        ImageSet {
            pixels,
            labels: indices.iter().map(|&i| self.labels[i]).collect(),
            channels: self.channels,
            height: self.height,
            width: self.width,
        }
    }

    /// Mean and standard deviation of each channel, on the `[0, 1]` scale.
    pub fn channel_stats(&self) -> Vec<(f32, f32)> {
        let plane = self.height * self.width;
        (0..self.channels)
            .map(|c| {
                let (mut sum, mut sum_sq, mut count) = (0f64, 0f64, 0f64);
                for i in 0..self.len() {
                    for &p in &self.image(i)[c * plane..(c + 1) * plane] {
                        let v = p as f64 / 255.0;
                        sum += v;
                        sum_sq += v * v;
                        count += 1.0;
                    }
                }
                let mean = sum / count.max(1.0);
                let var = (sum_sq / count.max(1.0) - mean * mean).max(1e-12);
                (mean as f32, var.sqrt() as f32)
            })
            .collect()
    }
}

/// A dataset's training and test sets.
#[derive(Debug, Clone)]
pub struct Split {
    /// Training images.
    pub train: ImageSet,
    /// Test images.
    pub test: ImageSet,
    /// Number of classes.
    pub classes: usize,
    /// The content checksum of a registered dataset (part of every run's fingerprint, so a
    /// model trained on other data under the same name is never reused); `None` when built in.
    pub checksum: Option<String>,
}
