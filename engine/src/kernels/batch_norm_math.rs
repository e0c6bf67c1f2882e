//! The arithmetic of the fused training batch norm on plain `[batch, channels, spatial]`
//! buffers: per-channel statistics (parallel over channels) and gradient sums (parallel over
//! images, the ReLU's mask applied as they are taken), with `f32` lanes within a row and `f64`
//! across rows; then one elementwise pass (parallel over images).

use std::mem::MaybeUninit;

use rayon::prelude::*;

use super::flex::{sum, sum_zip};
use super::parallel_fill::written_in_parallel;
use super::simd::vectorized;

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

    /// Image `b`'s row of channel `c`.
    #[inline(always)]
    fn row<'a>(&self, values: &'a [f32], b: usize, c: usize) -> &'a [f32] {
        &values[(b * self.channels + c) * self.spatial..][..self.spatial]
    }
}

/// Batch mean and biased (population) variance of each channel, in two passes over the
/// channel (mean first, then squared deviations) so large means do not cancel.
pub(super) fn channel_stats(x: &[f32], p: Planes) -> (Vec<f32>, Vec<f32>) {
    (0..p.channels)
        .into_par_iter()
        .map(|c| mean_and_variance(x, p, c))
        .unzip()
}

vectorized! {
    /// Channel `c`'s mean and biased variance (the body of [`channel_stats`]).
    fn mean_and_variance(x: &[f32], p: Planes, c: usize) -> (f32, f32) {
        let n = p.count() as f64;
        let mut total = 0f64;
        for b in 0..p.batch {
            total += sum(p.row(x, b, c)) as f64;
        }
        let mean = total / n;
        let m = mean as f32;
        let mut squares = 0f64;
        for b in 0..p.batch {
            let row = p.row(x, b, c);
            squares += sum_zip(row, row, |u, _| (u - m) * (u - m)) as f64;
        }
        (m, (squares / n) as f32)
    }
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

impl Affine {
    /// `out[b, c, s] = activation(x[b, c, s] · scale[c] + shift[c])`, parallel over images.
    pub fn apply(&self, x: &[f32], p: Planes, activation: Activation) -> Vec<f32> {
        let image = p.channels * p.spatial;
        let (scale, shift) = (&self.scale[..], &self.shift[..]);
        let each = |i: usize, out: &mut [MaybeUninit<f32>]| {
            let x = &x[i * image..][..image];
            match activation {
                Activation::Identity => affine_image::<false>(x, out, scale, shift, p),
                Activation::Relu => affine_image::<true>(x, out, scale, shift, p),
            }
        };
        // SAFETY: `affine_image` writes every value of its image.
        unsafe { written_in_parallel(x.len(), image, each) }
    }
}

vectorized! {
    /// One image of [`Affine::apply`], with the ReLU when `RELU`.
    fn affine_image<const RELU: bool>(
        x: &[f32],
        out: &mut [MaybeUninit<f32>],
        scale: &[f32],
        shift: &[f32],
        p: Planes,
    ) {
        let rows = out.chunks_exact_mut(p.spatial).zip(x.chunks_exact(p.spatial));
        for ((out, x), (&a, &b)) in rows.zip(scale.iter().zip(shift)) {
            for (o, &v) in out.iter_mut().zip(x) {
                o.write(if RELU { (v * a + b).max(0.0) } else { v * a + b });
            }
        }
    }
}

/// Per channel `(Σ dy · x̂, Σ dy)`, the gradients of γ and β, after zeroing `dy` in place
/// wherever the fused ReLU `relu_of` (when there is one) passed nothing: one pass over x and
/// dy, parallel over images. Each channel's total adds the images' sums in image order, so it
/// does not depend on how the images were split between threads.
pub(super) fn gradient_sums(
    x: &[f32],
    dy: &mut [f32],
    mean: &[f32],
    inv_std: &[f32],
    relu_of: Option<&Affine>,
    p: Planes,
) -> (Vec<f32>, Vec<f32>) {
    let image = (p.channels * p.spatial).max(1);
    let per_image: Vec<Vec<[f64; 2]>> = dy
        .par_chunks_mut(image)
        .zip(x.par_chunks(image))
        .map(|(dy, x)| {
            let mut sums = vec![[0f64; 2]; p.channels];
            image_gradient_sums(x, dy, mean, relu_of, &mut sums, p);
            sums
        })
        .collect();
    (0..p.channels)
        .map(|c| {
            let (dy_xc, dy_sum) = per_image
                .iter()
                .fold((0f64, 0f64), |(a, b), s| (a + s[c][0], b + s[c][1]));
            ((dy_xc * inv_std[c] as f64) as f32, dy_sum as f32)
        })
        .unzip()
}

vectorized! {
    /// One image of [`gradient_sums`]: each channel's `[Σ dy · (x − mean), Σ dy]` into `sums`,
    /// after zeroing `dy` where the ReLU's input `x · scale + shift` was not positive.
    fn image_gradient_sums(
        x: &[f32],
        dy: &mut [f32],
        mean: &[f32],
        relu_of: Option<&Affine>,
        sums: &mut [[f64; 2]],
        p: Planes,
    ) {
        let rows = dy.chunks_exact_mut(p.spatial).zip(x.chunks_exact(p.spatial));
        for (c, (dy, x)) in rows.enumerate() {
            if let Some(relu_of) = relu_of {
                let (a, b) = (relu_of.scale[c], relu_of.shift[c]);
                for (g, &v) in dy.iter_mut().zip(x) {
                    if v * a + b <= 0.0 {
                        *g = 0.0;
                    }
                }
            }
            let m = mean[c];
            sums[c] = [sum_zip(dy, x, |g, v| g * (v - m)) as f64, sum(dy) as f64];
        }
    }
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
        .for_each(|(dy, x)| input_grad_image(x, dy, &per_channel, p));
}

vectorized! {
    /// One image of [`input_grad_in_place`], with each channel's `[k, a, b, m]`:
    /// `dx = k·(dy − a − (x − m)·b)`.
    fn input_grad_image(x: &[f32], dy: &mut [f32], per_channel: &[[f32; 4]], p: Planes) {
        let rows = dy.chunks_exact_mut(p.spatial).zip(x.chunks_exact(p.spatial));
        for ((dy, x), &[k, a, b, m]) in rows.zip(per_channel) {
            for (g, &v) in dy.iter_mut().zip(x) {
                *g = k * (*g - a - (v - m) * b);
            }
        }
    }
}
