//! The arithmetic of the fused training batch norm on plain `[batch, channels, spatial]`
//! buffers: per-channel statistics and gradient sums (parallel over channels; `f32` lanes
//! within a row, `f64` across rows), then one elementwise pass (parallel over images).

use rayon::prelude::*;

use super::flex::{sum, sum_zip};
use super::simd::vectorized;
use super::zeroed::zeroed_in_parallel;

/// Layout of a batch-norm input: `batch` images of `channels` rows of `spatial` values.
#[derive(Debug, Clone, Copy)]
pub(super) struct Planes {
    pub batch: usize,
    pub channels: usize,
    pub spatial: usize,
}

impl Planes {
    /// Values per channel across the batch: the statistics' sample size.
    pub fn count(&self) -> usize {
        self.batch * self.spatial
    }

    /// The rows of channel `c`, one per image.
    fn rows<'a>(&self, values: &'a [f32], c: usize) -> impl Iterator<Item = &'a [f32]> + 'a {
        let (channels, spatial) = (self.channels, self.spatial);
        (0..self.batch).map(move |b| &values[(b * channels + c) * spatial..][..spatial])
    }
}

/// Batch mean and biased (population) variance of each channel, in two passes over the
/// channel (mean first, then squared deviations) so large means do not cancel.
pub(super) fn channel_stats(x: &[f32], p: Planes) -> (Vec<f32>, Vec<f32>) {
    let n = p.count() as f64;
    (0..p.channels)
        .into_par_iter()
        .map(|c| {
            vectorized(|| {
                let mean = p.rows(x, c).map(|r| sum(r) as f64).sum::<f64>() / n;
                let m = mean as f32;
                let squares: f64 = p
                    .rows(x, c)
                    .map(|r| sum_zip(r, r, |u, _| (u - m) * (u - m)) as f64)
                    .sum();
                (mean as f32, (squares / n) as f32)
            })
        })
        .unzip()
}

/// `1 / sqrt(var + eps)` per channel, computed in `f64`.
pub(super) fn inverse_std(var: &[f32], epsilon: f64) -> Vec<f32> {
    var.iter()
        .map(|&v| (1.0 / (v as f64 + epsilon).sqrt()) as f32)
        .collect()
}

/// What follows the normalisation in the fused op.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Activation {
    Identity,
    Relu,
}

/// The per-channel affine map a batch norm applies, `x · scale[c] + shift[c]`.
#[derive(Debug, Clone)]
pub(super) struct Affine {
    pub scale: Vec<f32>,
    pub shift: Vec<f32>,
}

/// One row of an image for [`Affine`]: values to write, the input row, and its channel's map.
struct ChannelRow<'a> {
    out: &'a mut [f32],
    x: &'a [f32],
    scale: f32,
    shift: f32,
}

impl Affine {
    /// `out[b, c, s] = activation(x[b, c, s] · scale[c] + shift[c])`, parallel over images.
    pub fn apply(&self, x: &[f32], p: Planes, activation: Activation) -> Vec<f32> {
        let image = p.channels * p.spatial;
        let relu = activation == Activation::Relu;
        zeroed_in_parallel(x.len(), image, |i, o| {
            vectorized(|| {
                let xi = &x[i * image..][..image];
                for row in self.rows(o, xi, p) {
                    let (a, b) = (row.scale, row.shift);
                    let values = row.out.iter_mut().zip(row.x);
                    if relu {
                        values.for_each(|(o, &v)| *o = (v * a + b).max(0.0));
                    } else {
                        values.for_each(|(o, &v)| *o = v * a + b);
                    }
                }
            })
        })
    }

    /// The backward of a fused ReLU: zeros `dy` wherever `x · scale + shift` was not positive
    /// (where the ReLU passed nothing), parallel over images.
    pub fn relu_mask_in_place(&self, x: &[f32], dy: &mut [f32], p: Planes) {
        let image = (p.channels * p.spatial).max(1);
        dy.par_chunks_mut(image)
            .zip(x.par_chunks(image))
            .for_each(|(gi, xi)| {
                vectorized(|| {
                    for row in self.rows(gi, xi, p) {
                        for (g, &v) in row.out.iter_mut().zip(row.x) {
                            if v * row.scale + row.shift <= 0.0 {
                                *g = 0.0;
                            }
                        }
                    }
                })
            });
    }

    /// One image's rows of `out` and `x`, each with its channel's scale and shift.
    fn rows<'a>(
        &'a self,
        out: &'a mut [f32],
        x: &'a [f32],
        p: Planes,
    ) -> impl Iterator<Item = ChannelRow<'a>> {
        let rows = out
            .chunks_exact_mut(p.spatial)
            .zip(x.chunks_exact(p.spatial));
        rows.zip(self.scale.iter().zip(&self.shift))
            .map(|((out, x), (&scale, &shift))| ChannelRow {
                out,
                x,
                scale,
                shift,
            })
    }
}

/// Per channel `(Σ dy · x̂, Σ dy)`: the gradients of γ and β.
pub(super) fn gradient_sums(
    x: &[f32],
    dy: &[f32],
    mean: &[f32],
    inv_std: &[f32],
    p: Planes,
) -> (Vec<f32>, Vec<f32>) {
    (0..p.channels)
        .into_par_iter()
        .map(|c| {
            vectorized(|| {
                let m = mean[c];
                let (mut dy_xc, mut dy_sum) = (0f64, 0f64);
                for (xr, gr) in p.rows(x, c).zip(p.rows(dy, c)) {
                    dy_xc += sum_zip(gr, xr, |g, v| g * (v - m)) as f64;
                    dy_sum += sum(gr) as f64;
                }
                ((dy_xc * inv_std[c] as f64) as f32, dy_sum as f32)
            })
        })
        .unzip()
}

/// What the input gradient needs per channel besides x and dy.
pub(super) struct InputGradTerms<'a> {
    pub gamma: &'a [f32],
    pub mean: &'a [f32],
    pub inv_std: &'a [f32],
    pub grad_gamma: &'a [f32],
    pub grad_beta: &'a [f32],
}

/// `dx = γ·inv_std·(dy − Σdy/n − x̂·Σ(dy·x̂)/n)` with `x̂ = (x − mean)·inv_std`, written over
/// `dy` (saving a buffer the size of the activation), parallel over images.
pub(super) fn input_grad_in_place(x: &[f32], dy: &mut [f32], t: &InputGradTerms<'_>, p: Planes) {
    let n = p.count() as f32;
    let per_channel: Vec<[f32; 4]> = (0..p.channels)
        .map(|c| {
            let is = t.inv_std[c];
            let k = t.gamma[c] * is;
            [k, t.grad_beta[c] / n, t.grad_gamma[c] / n * is, t.mean[c]]
        })
        .collect();
    let image = (p.channels * p.spatial).max(1);
    dy.par_chunks_mut(image)
        .zip(x.par_chunks(image))
        .for_each(|(gi, xi)| {
            vectorized(|| {
                let rows = gi
                    .chunks_exact_mut(p.spatial)
                    .zip(xi.chunks_exact(p.spatial));
                for ((gr, xr), &[k, a, b, m]) in rows.zip(&per_channel) {
                    for (g, &v) in gr.iter_mut().zip(xr) {
                        *g = k * (*g - a - (v - m) * b);
                    }
                }
            })
        });
}
