//! `relu(a + b)` in one parallel pass, for the residual join of a ResNet block. burn-flex runs
//! the add and the ReLU as two passes in one thread each (its elementwise ops use threads from
//! 4M values; a ResNet-8 activation at batch 128 has 1.6M), plus a third for the ReLU's
//! backward mask. Here the forward writes the sum's positive part, keeps the output, and the
//! backward passes the output gradient where the output is positive to both inputs. Anything
//! else (broadcast shapes, plain inference, wgpu) runs burn's ops.

use std::mem::MaybeUninit;

use burn::backend::autodiff::checkpoint::base::Checkpointer;
use burn::backend::autodiff::checkpoint::strategy::NoCheckpointing;
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, Ops, OpsKind};
use burn::backend::flex::FlexTensor;
use burn::backend::tensor::FloatTensor;
use burn::backend::Flex;
use burn::prelude::*;
use burn::tensor::activation::relu;
use rayon::prelude::*;

use super::flex::{ad_flex, contiguous, tensor_of, values, AdFlex, KernelPath};
use super::parallel_fill::written_in_parallel;
use super::simd::vectorized;

/// Values each rayon task takes: large enough to amortise a task, small enough to split an
/// activation over the cores.
const PIECE: usize = 1 << 15;

/// Drop-in for `relu(a + b)`.
/// // a, b: [batch, channels, h, w] (the same shape) → the same shape
pub fn add_relu(a: Tensor<4>, b: Tensor<4>) -> Tensor<4> {
    add_relu_with_path(a, b).0
}

/// [`add_relu`], also saying which implementation ran.
pub fn add_relu_with_path(a: Tensor<4>, b: Tensor<4>) -> (Tensor<4>, KernelPath) {
    if a.dims() == b.dims() {
        if let (Some(ap), Some(bp)) = (ad_flex(&a), ad_flex(&b)) {
            let out = record(ap, bp);
            return (Tensor::from_primitive::<AdFlex>(out), KernelPath::Own);
        }
    }
    (relu(a + b), KernelPath::Stock)
}

/// Runs the forward and records it on the autodiff graph.
fn record(a: FloatTensor<AdFlex>, b: FloatTensor<AdFlex>) -> FloatTensor<AdFlex> {
    let (ap, a_node) = a.into_parts();
    let (bp, b_node) = b.into_parts();
    let (ap, bp) = (contiguous(&ap), contiguous(&bp));
    let shape = ap.layout().shape().clone();
    let out = tensor_of(forward(values(&ap), values(&bp)), shape);
    match AddReluBackward
        .prepare::<NoCheckpointing>([a_node, b_node])
        .compute_bound()
        .stateful()
    {
        OpsKind::Tracked(prep) => prep.finish(out.clone(), out),
        OpsKind::UnTracked(prep) => prep.finish(out),
    }
}

/// `max(a + b, 0)`, in parallel pieces.
fn forward(a: &[f32], b: &[f32]) -> Vec<f32> {
    let each = |i: usize, out: &mut [MaybeUninit<f32>]| {
        let (a, b) = (&a[i * PIECE..][..out.len()], &b[i * PIECE..][..out.len()]);
        add_relu_piece(a, b, out)
    };
    // SAFETY: `add_relu_piece` writes every value of its piece (a and b are as long).
    unsafe { written_in_parallel(a.len(), PIECE, each) }
}

/// `dy` where `out` is positive, 0 elsewhere, in place and in parallel pieces.
fn mask_in_place(dy: &mut [f32], out: &[f32]) {
    dy.par_chunks_mut(PIECE)
        .zip(out.par_chunks(PIECE))
        .for_each(|(dy, out)| mask_piece(dy, out));
}

vectorized! {
    /// One piece of [`forward`].
    fn add_relu_piece(a: &[f32], b: &[f32], out: &mut [MaybeUninit<f32>]) {
        for ((o, &x), &y) in out.iter_mut().zip(a).zip(b) {
            o.write((x + y).max(0.0));
        }
    }

    /// One piece of [`mask_in_place`].
    fn mask_piece(dy: &mut [f32], out: &[f32]) {
        for (g, &o) in dy.iter_mut().zip(out) {
            if o <= 0.0 {
                *g = 0.0;
            }
        }
    }
}

/// The autodiff node of the fused add and ReLU, with a and b as parents; its state is the
/// output.
#[derive(Debug)]
struct AddReluBackward;

impl Backward<Flex, 2> for AddReluBackward {
    type State = FlexTensor;

    fn backward(self, ops: Ops<FlexTensor, 2>, grads: &mut Gradients, _: &mut Checkpointer) {
        let mut dy = contiguous(&grads.consume::<Flex>(&ops.node));
        let out = values(&ops.state);
        let g = dy.storage_mut::<f32>();
        assert_eq!(
            g.len(),
            out.len(),
            "add_relu: gradient and output sizes differ"
        );
        mask_in_place(g, out);
        let [node_a, node_b] = ops.parents;
        // Both inputs get the same gradient: the buffer is shared, and a consumer that writes
        // into its gradient (our batch norm) copies a shared one first.
        if let Some(node) = node_a {
            grads.register::<Flex>(node.id, dy.clone());
        }
        if let Some(node) = node_b {
            grads.register::<Flex>(node.id, dy);
        }
    }
}
