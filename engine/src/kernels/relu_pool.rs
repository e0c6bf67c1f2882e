//! `max_pool_2×2(relu(x))` in one pass, for the plain CNN's pooled layers: each output is the
//! largest positive value of its window (0 when there is none) and remembers which of the four
//! it took; the backward routes each output gradient to that one input. burn-flex's max pool
//! is a generic 3-D one with a division-heavy bounds check per window and 8-byte indices, and
//! the ReLU before it is a pass of its own with a mask for its backward. Plain Flex inference
//! (evaluation, a teacher's outputs) runs the same forward without recording anything.

use burn::backend::autodiff::checkpoint::base::Checkpointer;
use burn::backend::autodiff::checkpoint::strategy::NoCheckpointing;
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, Ops, OpsKind};
use burn::backend::flex::FlexTensor;
use burn::backend::tensor::FloatTensor;
use burn::backend::Flex;
use burn::nn::pool::MaxPool2d;
use burn::nn::PaddingConfig2d;
use burn::prelude::*;
use burn::tensor::activation::relu;
use rayon::prelude::*;

use super::flex::{ad_flex, contiguous, plain_flex, tensor_of, values, AdFlex, KernelPath};
use super::parallel_fill::zeroed_in_parallel;

/// The window position an output took; `NONE` when no value was positive (the output is 0).
const NONE: u8 = u8::MAX;

/// Drop-in for `pool.forward(relu(x))`.
/// // x: [batch, channels, h, w] → [batch, channels, h/2, w/2]
pub fn relu_max_pool(pool: &MaxPool2d, x: Tensor<4>) -> Tensor<4> {
    relu_max_pool_with_path(pool, x).0
}

/// [`relu_max_pool`], also saying which implementation ran.
pub fn relu_max_pool_with_path(pool: &MaxPool2d, x: Tensor<4>) -> (Tensor<4>, KernelPath) {
    let plain_2x2 = pool.kernel_size == [2, 2]
        && pool.stride == [2, 2]
        && pool.dilation == [1, 1]
        && matches!(
            pool.padding,
            PaddingConfig2d::Valid | PaddingConfig2d::Explicit(0, 0, 0, 0)
        )
        && !pool.ceil_mode;
    if !plain_2x2 {
        return (pool.forward(relu(x)), KernelPath::Stock);
    }
    if let Some(input) = ad_flex(&x) {
        return (
            Tensor::from_primitive::<AdFlex>(record(input)),
            KernelPath::Own,
        );
    }
    match plain_flex(&x) {
        Some(input) => {
            let input = contiguous(&input);
            let planes = Planes::of(input.layout().shape().dims());
            let (out, _) = forward(values(&input), planes);
            let out = tensor_of(out, planes.out_shape());
            (Tensor::from_primitive::<Flex>(out), KernelPath::Own)
        }
        None => (pool.forward(relu(x)), KernelPath::Stock),
    }
}

/// Shapes of one pooling problem (floor mode: an odd last row or column is dropped).
#[derive(Debug, Clone, Copy)]
struct Planes {
    batch: usize,
    channels: usize,
    h: usize,
    w: usize,
}

impl Planes {
    fn of([batch, channels, h, w]: [usize; 4]) -> Planes {
        Planes {
            batch,
            channels,
            h,
            w,
        }
    }

    fn out_shape(&self) -> [usize; 4] {
        let (oh, ow) = self.out();
        [self.batch, self.channels, oh, ow]
    }

    fn count(&self) -> usize {
        self.batch * self.channels
    }

    fn out(&self) -> (usize, usize) {
        (self.h / 2, self.w / 2)
    }
}

/// Runs the forward and records it on the autodiff graph.
fn record(x: FloatTensor<AdFlex>) -> FloatTensor<AdFlex> {
    let (xp, node) = x.into_parts();
    let xp = contiguous(&xp);
    let planes = Planes::of(xp.layout().shape().dims());
    let (out, taken) = forward(values(&xp), planes);
    let out = tensor_of(out, planes.out_shape());
    match ReluPoolBackward
        .prepare::<NoCheckpointing>([node])
        .compute_bound()
        .stateful()
    {
        OpsKind::Tracked(prep) => prep.finish(ReluPoolState { taken, planes }, out),
        OpsKind::UnTracked(prep) => prep.finish(out),
    }
}

/// The pooled values and, per output, the window position taken.
fn forward(x: &[f32], planes: Planes) -> (Vec<f32>, Vec<u8>) {
    let (oh, ow) = planes.out();
    let mut out = vec![0f32; planes.count() * oh * ow];
    let mut taken = vec![NONE; out.len()];
    out.par_chunks_mut(oh * ow)
        .zip(taken.par_chunks_mut(oh * ow))
        .zip(x.par_chunks(planes.h * planes.w))
        .for_each(|((out, taken), plane)| pool_plane(plane, planes.w, out, taken));
    (out, taken)
}

/// One plane: rows `2·oy, 2·oy + 1` and columns `2·ox, 2·ox + 1` make output `(oy, ox)`. A NaN
/// wins its window, as in PyTorch.
fn pool_plane(plane: &[f32], w: usize, out: &mut [f32], taken: &mut [u8]) {
    let ow = w / 2;
    for (oy, (out_row, taken_row)) in out
        .chunks_exact_mut(ow)
        .zip(taken.chunks_exact_mut(ow))
        .enumerate()
    {
        let top = &plane[2 * oy * w..][..w];
        let bottom = &plane[(2 * oy + 1) * w..][..w];
        for (ox, (o, t)) in out_row.iter_mut().zip(taken_row.iter_mut()).enumerate() {
            let window = [
                top[2 * ox],
                top[2 * ox + 1],
                bottom[2 * ox],
                bottom[2 * ox + 1],
            ];
            let (mut best, mut at) = (0f32, NONE);
            for (i, &v) in window.iter().enumerate() {
                if v > best || v.is_nan() {
                    (best, at) = (v, i as u8);
                    if v.is_nan() {
                        break;
                    }
                }
            }
            (*o, *t) = (best, at);
        }
    }
}

/// What the backward needs: the window position each output took.
#[derive(Debug, Clone)]
struct ReluPoolState {
    taken: Vec<u8>,
    planes: Planes,
}

impl ReluPoolState {
    /// `dx [batch, channels, h, w]`: each output's gradient at the input it took, 0 elsewhere.
    fn input_grad(&self, dy: &[f32]) -> Vec<f32> {
        let Planes { h, w, .. } = self.planes;
        let (oh, ow) = self.planes.out();
        let out_len = oh * ow;
        zeroed_in_parallel(self.planes.count() * h * w, h * w, |plane, dx| {
            let dy = &dy[plane * out_len..][..out_len];
            let taken = &self.taken[plane * out_len..][..out_len];
            for (o, (&g, &t)) in dy.iter().zip(taken).enumerate() {
                if t != NONE {
                    let (oy, ox) = (o / ow, o % ow);
                    let (dy_row, dx_col) = (usize::from(t / 2), usize::from(t % 2));
                    dx[(2 * oy + dy_row) * w + 2 * ox + dx_col] = g;
                }
            }
        })
    }
}

/// The autodiff node of the fused ReLU and max pool, with x as its parent.
#[derive(Debug)]
struct ReluPoolBackward;

impl Backward<Flex, 1> for ReluPoolBackward {
    type State = ReluPoolState;

    fn backward(self, ops: Ops<ReluPoolState, 1>, grads: &mut Gradients, _: &mut Checkpointer) {
        let dy: FlexTensor = contiguous(&grads.consume::<Flex>(&ops.node));
        let [node] = ops.parents;
        if let Some(node) = node {
            let p = ops.state.planes;
            let dx = ops.state.input_grad(values(&dy));
            grads.register::<Flex>(node.id, tensor_of(dx, [p.batch, p.channels, p.h, p.w]));
        }
    }
}
