//! The conv2d weight and bias gradients on the CPU: per image, im2col of the input times the
//! output gradient, `dW[co, (ci,ky,kx)] += Σ_p dY[co, p] · col[(ci,ky,kx), p]` and
//! `db[co] += Σ_p dY[co, p]`. Each rayon task takes a contiguous slice of the batch with its
//! own im2col buffer and partial sums (single-threaded GEMMs inside); the partials are added at
//! the end. burn's generic weight backward instead runs one convolution whose "batch" is c_in,
//! which is a single task for a first layer.

use burn::backend::flex::FlexTensor;
use burn::backend::ops::ConvOptions;
use rayon::prelude::*;

use super::flex::{contiguous, sum, tensor_of, values};

/// Shapes of one weight-gradient problem.
#[derive(Debug, Clone, Copy)]
struct Dims {
    batch: usize,
    c_in: usize,
    h: usize,
    w: usize,
    c_out: usize,
    oh: usize,
    ow: usize,
    kh: usize,
    kw: usize,
}

impl Dims {
    /// Rows of the im2col matrix: one per (input channel, kernel row, kernel column).
    fn k(&self) -> usize {
        self.c_in * self.kh * self.kw
    }

    /// Columns of the im2col matrix: one per output pixel.
    fn p(&self) -> usize {
        self.oh * self.ow
    }
}

/// `(dW [c_out, c_in, kh, kw], db [c_out] when asked)` for input `x` and output gradient `dy`.
pub(super) fn weight_and_bias_grad(
    x: &FlexTensor,
    dy: &FlexTensor,
    weight_shape: [usize; 4],
    options: &ConvOptions<2>,
    want_bias: bool,
) -> (FlexTensor, Option<FlexTensor>) {
    let (x, dy) = (contiguous(x), contiguous(dy));
    let [batch, c_in, h, w] = x.layout().shape().dims();
    let [_, c_out, oh, ow] = dy.layout().shape().dims();
    let [_, _, kh, kw] = weight_shape;
    let d = Dims {
        batch,
        c_in,
        h,
        w,
        c_out,
        oh,
        ow,
        kh,
        kw,
    };
    let (dw, db) = batch_parallel_sums(values(&x), values(&dy), d, options, want_bias);
    let db = want_bias.then(|| tensor_of(db, [c_out]));
    (tensor_of(dw, weight_shape), db)
}

/// Splits the batch into one contiguous slice per rayon thread and adds up their partials.
fn batch_parallel_sums(
    xs: &[f32],
    dys: &[f32],
    d: Dims,
    options: &ConvOptions<2>,
    want_bias: bool,
) -> (Vec<f32>, Vec<f32>) {
    let slice = d.batch.div_ceil(rayon::current_num_threads().max(1)).max(1);
    let bias_len = if want_bias { d.c_out } else { 0 };
    let partials: Vec<(Vec<f32>, Vec<f32>)> = (0..d.batch)
        .step_by(slice)
        .collect::<Vec<_>>()
        .into_par_iter()
        .map(|start| {
            let images = start..(start + slice).min(d.batch);
            slice_sums(xs, dys, d, options, images, bias_len)
        })
        .collect();
    let mut dw = vec![0f32; d.c_out * d.k()];
    let mut db = vec![0f32; bias_len];
    for (pw, pb) in partials {
        dw.iter_mut().zip(&pw).for_each(|(a, b)| *a += b);
        db.iter_mut().zip(&pb).for_each(|(a, b)| *a += b);
    }
    (dw, db)
}

/// The partial dW and db of the images in `images`, in one thread.
fn slice_sums(
    xs: &[f32],
    dys: &[f32],
    d: Dims,
    options: &ConvOptions<2>,
    images: std::ops::Range<usize>,
    bias_len: usize,
) -> (Vec<f32>, Vec<f32>) {
    let (k, p) = (d.k(), d.p());
    let (x_len, dy_len) = (d.c_in * d.h * d.w, d.c_out * p);
    let mut dw = vec![0f32; d.c_out * k];
    let mut db = vec![0f32; bias_len];
    let mut col = vec![0f32; k * p];
    for image in images {
        im2col(&xs[image * x_len..][..x_len], &mut col, d, options);
        let dy = &dys[image * dy_len..][..dy_len];
        accumulate_product(&mut dw, dy, &col, d);
        for (acc, row) in db.iter_mut().zip(dy.chunks_exact(p)) {
            *acc += sum(row);
        }
    }
    (dw, db)
}

/// `dw [c_out × K] += dy [c_out × P] · colᵀ [P × K]`, single-threaded (we already run one task
/// per thread).
fn accumulate_product(dw: &mut [f32], dy: &[f32], col: &[f32], d: Dims) {
    let (m, n, k) = (d.c_out, d.k(), d.p());
    assert!(dw.len() == m * n && dy.len() == m * k && col.len() == n * k);
    // SAFETY: the lengths were just checked against the strides below. dst is row-major
    // [m × n] (column step 1, row step n); lhs is row-major [m × k]; rhs(p, r) = col[r·k + p],
    // so its column step is k and its row step 1. gemm computes dst = 1·dst + 1·lhs·rhs.
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            dw.as_mut_ptr(),
            1,
            n as isize,
            true,
            dy.as_ptr(),
            1,
            k as isize,
            col.as_ptr(),
            k as isize,
            1,
            1.0f32,
            1.0f32,
            false,
            false,
            false,
            gemm::Parallelism::None,
        );
    }
}

/// One image `[c_in, h, w]` → `col [c_in·kh·kw, oh·ow]`: row `(c, ky, kx)` holds the input
/// pixel each output pixel sees through that kernel tap, 0 in the padding. Handles stride,
/// dilation and asymmetric padding (the end padding is implied by `oh`, `ow`).
fn im2col(x: &[f32], col: &mut [f32], d: Dims, options: &ConvOptions<2>) {
    let ([sh, sw], [dh, dw]) = (options.stride, options.dilation);
    let (top, left) = (options.padding[0].0 as isize, options.padding[1].0 as isize);
    let mut rows = col.chunks_exact_mut(d.p());
    for plane in x.chunks_exact(d.h * d.w) {
        for ky in 0..d.kh {
            let row_offset = (ky * dh) as isize - top;
            let (oy0, oy1) = valid_outputs(d.h, row_offset, sh, d.oh);
            for kx in 0..d.kw {
                let col_offset = (kx * dw) as isize - left;
                let (ox0, ox1) = valid_outputs(d.w, col_offset, sw, d.ow);
                let row = rows.next().expect("one im2col row per kernel tap");
                row.fill(0.0);
                for oy in oy0..oy1 {
                    let iy = (oy * sh) as isize + row_offset;
                    let src = &plane[iy as usize * d.w..][..d.w];
                    let dst = &mut row[oy * d.ow..][ox0..ox1];
                    let first = ((ox0 * sw) as isize + col_offset) as usize;
                    if sw == 1 {
                        dst.copy_from_slice(&src[first..first + dst.len()]);
                    } else {
                        for (i, v) in dst.iter_mut().enumerate() {
                            *v = src[first + i * sw];
                        }
                    }
                }
            }
        }
    }
}

/// The output positions `o < out` whose input position `o·stride + offset` is inside
/// `0..size`, as a half-open range.
fn valid_outputs(size: usize, offset: isize, stride: usize, out: usize) -> (usize, usize) {
    let s = stride as isize;
    let start = if offset < 0 { (-offset + s - 1) / s } else { 0 };
    let end = (size as isize - offset + s - 1)
        .div_euclid(s)
        .clamp(0, out as isize);
    let start = start.min(end);
    (start as usize, end as usize)
}

#[cfg(test)]
mod tests {
    use super::valid_outputs;

    #[test]
    fn valid_outputs_keep_exactly_the_positions_inside_the_input() {
        for size in 1..8usize {
            for offset in -3isize..3 {
                for stride in 1..4usize {
                    for out in 0..9usize {
                        let (a, b) = valid_outputs(size, offset, stride, out);
                        let inside = |o: usize| {
                            let i = (o * stride) as isize + offset;
                            i >= 0 && i < size as isize
                        };
                        let want: Vec<usize> = (0..out).filter(|&o| inside(o)).collect();
                        assert_eq!(
                            (a..b).collect::<Vec<_>>(),
                            want,
                            "{size} {offset} {stride} {out}"
                        );
                    }
                }
            }
        }
    }
}
