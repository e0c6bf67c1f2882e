//! Moving between burn's `Tensor` and Flex's plain `f32` buffers, and the checks that decide
//! whether our own kernels may run on a tensor at all.

use burn::backend::flex::FlexTensor;
use burn::backend::tensor::FloatTensor;
use burn::backend::{Autodiff, Flex, Shape};
use burn::prelude::*;
use burn::tensor::{DType, TensorData};

/// `Autodiff<Flex, NoCheckpointing>`: the only backend our kernels are written for.
pub(super) type AdFlex = Autodiff<Flex>;

/// Which implementation served a call: ours, or burn's stock op (the fallback).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KernelPath {
    /// Our own kernel on `Autodiff<Flex>` with `f32` data.
    Own,
    /// burn's stock module or op.
    Stock,
}

/// The tensor's `Autodiff<Flex>` primitive when it is an `f32` tensor of that backend, else
/// `None`. The conversion consumes a tensor, so it runs on a clone (two reference counts), and
/// the caller keeps the original for the stock op. A tensor under gradient checkpointing or on
/// wgpu fails the conversion, and that is exactly the fallback we want.
pub(super) fn ad_flex<const D: usize>(tensor: &Tensor<D>) -> Option<FloatTensor<AdFlex>> {
    if tensor.dtype() != DType::F32 {
        return None;
    }
    tensor.clone().try_into_primitive::<AdFlex>().ok()
}

/// The tensor's plain `Flex` primitive when it is an `f32` tensor of that backend (inference,
/// no autodiff), else `None`; like [`ad_flex`], it converts a clone.
pub(super) fn plain_flex<const D: usize>(tensor: &Tensor<D>) -> Option<FlexTensor> {
    if tensor.dtype() != DType::F32 {
        return None;
    }
    tensor.clone().try_into_primitive::<Flex>().ok()
}

/// A contiguous copy (no copy when it already is one): upstream gradients are often views,
/// such as the stride-0 expansion a `mean` backward produces.
pub(super) fn contiguous(tensor: &FlexTensor) -> FlexTensor {
    tensor.to_contiguous()
}

/// The values of a contiguous `f32` tensor, in row-major order.
pub(super) fn values(tensor: &FlexTensor) -> &[f32] {
    tensor
        .as_slice::<f32>()
        .expect("an f32 tensor made contiguous by `contiguous`")
}

/// A tensor that owns `values` (no copy) with the given shape.
pub(super) fn tensor_of<S: Into<Shape>>(values: Vec<f32>, shape: S) -> FlexTensor {
    FlexTensor::from_data(TensorData::new(values, shape.into()))
}

/// Sum with 16 independent accumulators: a plain `iter().sum()` of `f32` is one serial
/// dependency chain (LLVM may not reassociate floats), this one vectorises.
#[inline(always)]
pub(super) fn sum(values: &[f32]) -> f32 {
    let mut lanes = [0f32; 16];
    let mut chunks = values.chunks_exact(16);
    for chunk in &mut chunks {
        for (lane, v) in lanes.iter_mut().zip(chunk) {
            *lane += v;
        }
    }
    lanes.iter().sum::<f32>() + chunks.remainder().iter().sum::<f32>()
}

/// `Σ f(a_i, b_i)` over two equally long slices, vectorised the same way as [`sum`].
#[inline(always)]
pub(super) fn sum_zip(a: &[f32], b: &[f32], f: impl Fn(f32, f32) -> f32) -> f32 {
    let mut lanes = [0f32; 16];
    let (mut ca, mut cb) = (a.chunks_exact(16), b.chunks_exact(16));
    for (x, y) in (&mut ca).zip(&mut cb) {
        for ((lane, &u), &v) in lanes.iter_mut().zip(x).zip(y) {
            *lane += f(u, v);
        }
    }
    let tail: f32 = ca
        .remainder()
        .iter()
        .zip(cb.remainder())
        .map(|(&u, &v)| f(u, v))
        .sum();
    lanes.iter().sum::<f32>() + tail
}
