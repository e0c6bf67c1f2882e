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
use super::gemm::{gemm, Operand};
use super::im2col::{im2col, Dims};
use super::scratch::with_scratch;

/// `(dW [c_out, c_in, kh, kw], db [c_out] when asked)` for input `x` and output gradient `dy`.
pub(super) fn weight_and_bias_grad(
    x: &FlexTensor,
    dy: &FlexTensor,
    weight_shape: [usize; 4],
    options: &ConvOptions<2>,
    want_bias: bool,
) -> (FlexTensor, Option<FlexTensor>) {
    let (x, dy) = (contiguous(x), contiguous(dy));
    let d = Dims::of(x.layout().shape().dims(), weight_shape, options);
    let (dw, db) = batch_parallel_sums(values(&x), values(&dy), d, options, want_bias);
    let db = want_bias.then(|| tensor_of(db, [d.c_out]));
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
    let mut dw_t = vec![0f32; d.k() * d.c_out];
    let mut db = vec![0f32; bias_len];
    for (pw, pb) in partials {
        dw_t.iter_mut().zip(&pw).for_each(|(a, b)| *a += b);
        db.iter_mut().zip(&pb).for_each(|(a, b)| *a += b);
    }
    (transpose(&dw_t, d.k(), d.c_out), db)
}

/// The `cols × rows` transpose of a row-major `rows × cols` matrix.
fn transpose(values: &[f32], rows: usize, cols: usize) -> Vec<f32> {
    let mut out = vec![0f32; values.len()];
    for (r, row) in values.chunks_exact(cols).enumerate() {
        for (c, &v) in row.iter().enumerate() {
            out[c * rows + r] = v;
        }
    }
    out
}

/// The partial dWᵀ `[K, c_out]` and db of the images in `images`, in one thread.
fn slice_sums(
    xs: &[f32],
    dys: &[f32],
    d: Dims,
    options: &ConvOptions<2>,
    images: std::ops::Range<usize>,
    bias_len: usize,
) -> (Vec<f32>, Vec<f32>) {
    let (k, p) = (d.k(), d.p());
    let mut dw_t = vec![0f32; k * d.c_out];
    let mut db = vec![0f32; bias_len];
    let pointwise = d.is_pointwise(options);
    with_scratch(d.col_len(options), |scratch| {
        for image in images {
            let x = &xs[image * d.image_len()..][..d.image_len()];
            let col: &[f32] = if pointwise {
                x
            } else {
                im2col(x, scratch, d, options);
                scratch
            };
            let dy = &dys[image * d.output_len()..][..d.output_len()];
            // dWᵀ [K × c_out] += col [K × P] · dyᵀ [P × c_out]. gemm computes a row-major
            // product as the column-major one of the transposes, dW = dy · colᵀ, and so packs
            // dy, the small operand, for its kernel rather than the whole im2col matrix (as
            // dW = dy · colᵀ asked directly would).
            let (lhs, rhs) = (Operand::rows(col, p), Operand::transposed(dy, p));
            gemm(&mut dw_t, lhs, rhs, [k, d.c_out, p], true);
            for (acc, row) in db.iter_mut().zip(dy.chunks_exact(p)) {
                *acc += sum(row);
            }
        }
    });
    (dw_t, db)
}
