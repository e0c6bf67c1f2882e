//! The conv2d forward and input gradient on the CPU, one image per task: im2col and one GEMM,
//! `Y[co, p] = Σ_k W[co, k] · col[k, p] (+ b[co])`, and its adjoint, one GEMM and col2im,
//! `dcol[k, p] = Σ_co W[co, k] · dY[co, p]`, `dX = col2im(dcol)`. Each rayon task writes its
//! own images, so nothing is summed across threads. burn-flex's conv2d instead converts the
//! whole batch to channels-last in one thread and gathers im2col values one at a time; its
//! input gradient scatters one value at a time.

use std::mem::MaybeUninit;

use burn::backend::flex::FlexTensor;
use burn::backend::ops::ConvOptions;

use super::flex::{contiguous, tensor_of, values};
use super::gemm::{gemm, gemm_into, Operand};
use super::im2col::{col2im, im2col, Dims};
use super::parallel_fill::{assume_written, written_in_parallel, zeroed_in_parallel};
use super::scratch::with_scratch;

/// `conv2d(x, w) + b` as `[batch, c_out, oh, ow]`.
pub(super) fn forward(
    x: &FlexTensor,
    weight: &FlexTensor,
    bias: Option<&FlexTensor>,
    options: &ConvOptions<2>,
) -> FlexTensor {
    let (x, weight) = (contiguous(x), contiguous(weight));
    let bias = bias.map(contiguous);
    let d = Dims::of(
        x.layout().shape().dims(),
        weight.layout().shape().dims(),
        options,
    );
    let (xs, ws, bs) = (values(&x), values(&weight), bias.as_ref().map(values));
    let (x_len, y_len) = (d.image_len(), d.output_len());
    let each = |i: usize, y: &mut [MaybeUninit<f32>]| {
        let x = &xs[i * x_len..][..x_len];
        with_scratch(d.col_len(options), |col| {
            forward_image(x, ws, bs, y, col, d, options)
        })
    };
    // SAFETY: `forward_image` writes every value of its output image.
    let out = unsafe { written_in_parallel(d.batch * y_len, y_len, each) };
    tensor_of(out, [d.batch, d.c_out, d.oh, d.ow])
}

/// One image's output `y [c_out, oh·ow]`, every value written; `col` is this thread's im2col
/// buffer (`Dims::col_len`).
fn forward_image(
    x: &[f32],
    weight: &[f32],
    bias: Option<&[f32]>,
    y: &mut [MaybeUninit<f32>],
    col: &mut [f32],
    d: Dims,
    options: &ConvOptions<2>,
) {
    let col: &[f32] = if d.is_pointwise(options) {
        x
    } else {
        im2col(x, col, d, options);
        col
    };
    let (lhs, rhs) = (Operand::rows(weight, d.k()), Operand::rows(col, d.p()));
    let dims = [d.c_out, d.p(), d.k()];
    match bias {
        Some(bias) => {
            for (row, &b) in y.chunks_exact_mut(d.p()).zip(bias) {
                row.fill(MaybeUninit::new(b));
            }
            // SAFETY: the rows, c_out of them, cover y and were each just filled.
            gemm(unsafe { assume_written(y) }, lhs, rhs, dims, true);
        }
        None => gemm_into(y, lhs, rhs, dims),
    }
}

/// `dX [batch, c_in, h, w]` of a conv2d with input shape `x_shape`, weight `weight` and output
/// gradient `dy`.
pub(super) fn input_grad(
    x_shape: [usize; 4],
    weight: &FlexTensor,
    dy: &FlexTensor,
    options: &ConvOptions<2>,
) -> FlexTensor {
    let (weight, dy) = (contiguous(weight), contiguous(dy));
    let d = Dims::of(x_shape, weight.layout().shape().dims(), options);
    let (ws, dys) = (values(&weight), values(&dy));
    let (x_len, y_len) = (d.image_len(), d.output_len());
    let dx = zeroed_in_parallel(d.batch * x_len, x_len, |i, dx| {
        let dy = &dys[i * y_len..][..y_len];
        with_scratch(d.col_len(options), |dcol| {
            input_grad_image(ws, dy, dx, dcol, d, options)
        })
    });
    tensor_of(dx, x_shape)
}

/// One image's input gradient `dx [c_in, h, w]` (zeroed on entry); `dcol` is this thread's
/// im2col-sized buffer (`Dims::col_len`).
fn input_grad_image(
    weight: &[f32],
    dy: &[f32],
    dx: &mut [f32],
    dcol: &mut [f32],
    d: Dims,
    options: &ConvOptions<2>,
) {
    // dcol [K × P] = Wᵀ [K × c_out] · dy [c_out × P]
    let (lhs, rhs) = (Operand::transposed(weight, d.k()), Operand::rows(dy, d.p()));
    let dims = [d.k(), d.p(), d.c_out];
    if d.is_pointwise(options) {
        gemm(dx, lhs, rhs, dims, false);
        return;
    }
    gemm(dcol, lhs, rhs, dims, false);
    col2im(dcol, dx, d, options);
}
