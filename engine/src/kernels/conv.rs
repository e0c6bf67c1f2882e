//! A conv2d for the model zoo on `Autodiff<Flex>`: forward, input gradient, weight and bias
//! gradients are all ours (`conv_gemm`, `conv_weight_grad`: batch-parallel im2col × GEMM),
//! because burn-flex's forward and input gradient gather and scatter one value at a time and
//! it has no weight backward (burn's generic one runs nearly serially).

use burn::backend::autodiff::checkpoint::base::Checkpointer;
use burn::backend::autodiff::checkpoint::strategy::NoCheckpointing;
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, Ops, OpsKind};
use burn::backend::autodiff::NodeId;
use burn::backend::flex::FlexTensor;
use burn::backend::ops::ConvOptions;
use burn::backend::tensor::FloatTensor;
use burn::backend::Flex;
use burn::nn::conv::Conv2d;
use burn::nn::PaddingConfig2d;
use burn::prelude::*;

use super::conv_gemm::{forward, input_grad};
use super::conv_weight_grad::weight_and_bias_grad;
use super::flex::{ad_flex, plain_flex, AdFlex, KernelPath};

/// Drop-in for `conv.forward(x)`; the module, its record and checkpoints are unchanged.
/// // x: [batch, c_in, h, w] → [batch, c_out, h_out, w_out]
pub fn conv2d(conv: &Conv2d, x: Tensor<4>) -> Tensor<4> {
    conv2d_with_path(conv, x).0
}

/// [`conv2d`], also saying which implementation ran (the tests check that ours did).
pub fn conv2d_with_path(conv: &Conv2d, x: Tensor<4>) -> (Tensor<4>, KernelPath) {
    match own_conv2d(conv, &x) {
        Some(out) => (out, KernelPath::Own),
        None => (conv.forward(x), KernelPath::Stock),
    }
}

/// Our op when every input is an `f32` `Autodiff<Flex>` tensor, or a plain `Flex` tensor of at
/// least [`min_inference_batch`] images, and the layer is an ungrouped convolution with explicit
/// or no padding; `None` means "use the stock module". `Same` padding is left to burn because
/// its padding calculation is private to burn-nn.
fn own_conv2d(conv: &Conv2d, x: &Tensor<4>) -> Option<Tensor<4>> {
    let padding = match conv.padding {
        PaddingConfig2d::Explicit(top, left, bottom, right) => [(top, bottom), (left, right)],
        PaddingConfig2d::Valid => [(0, 0), (0, 0)],
        PaddingConfig2d::Same => return None,
    };
    if conv.groups != 1 {
        return None;
    }
    let options = ConvOptions::new_with_padding(conv.stride, padding, conv.dilation, 1);
    if let Some(input) = ad_flex(x) {
        let weight = ad_flex(&conv.weight.val())?;
        let bias = match &conv.bias {
            Some(b) => Some(ad_flex(&b.val())?),
            None => None,
        };
        return Some(Tensor::from_primitive::<AdFlex>(record_conv(
            input, weight, bias, options,
        )));
    }
    if x.dims()[0] < min_inference_batch() {
        return None;
    }
    let input = plain_flex(x)?;
    let weight = plain_flex(&conv.weight.val())?;
    let bias = match &conv.bias {
        Some(b) => Some(plain_flex(&b.val())?),
        None => None,
    };
    let out = forward(&input, &weight, bias.as_ref(), &options);
    Some(Tensor::from_primitive::<Flex>(out))
}

/// The smallest inference batch our forward takes: one image per thread at least. Below it
/// (latency at batch 1) burn-flex's forward, which splits one image's pixels across threads,
/// is the faster one.
pub fn min_inference_batch() -> usize {
    rayon::current_num_threads().max(2)
}

/// Runs the forward on Flex and records the op on the autodiff graph. Nothing is saved when no
/// input needs a gradient.
fn record_conv(
    x: FloatTensor<AdFlex>,
    w: FloatTensor<AdFlex>,
    b: Option<FloatTensor<AdFlex>>,
    options: ConvOptions<2>,
) -> FloatTensor<AdFlex> {
    let (xp, x_node) = x.into_parts();
    let (wp, w_node) = w.into_parts();
    let forward = |b: Option<FlexTensor>| forward(&xp, &wp, b.as_ref(), &options);
    match b {
        None => match ConvBackward
            .prepare::<NoCheckpointing>([x_node, w_node])
            .compute_bound()
            .stateful()
        {
            OpsKind::Tracked(prep) => {
                let out = forward(None);
                prep.finish(ConvState::new(xp, wp, options), out)
            }
            OpsKind::UnTracked(prep) => prep.finish(forward(None)),
        },
        Some(b) => {
            let (bp, b_node) = b.into_parts();
            let prep = ConvBackward.prepare::<NoCheckpointing>([x_node, w_node, b_node]);
            match prep.compute_bound().stateful() {
                OpsKind::Tracked(prep) => {
                    let out = forward(Some(bp));
                    prep.finish(ConvState::new(xp, wp, options), out)
                }
                OpsKind::UnTracked(prep) => prep.finish(forward(Some(bp))),
            }
        }
    }
}

/// What the backward needs: the forward's input and weight (reference-counted, not copied).
#[derive(Debug, Clone)]
struct ConvState {
    x: FlexTensor,
    weight: FlexTensor,
    options: ConvOptions<2>,
}

impl ConvState {
    fn new(x: FlexTensor, weight: FlexTensor, options: ConvOptions<2>) -> ConvState {
        ConvState { x, weight, options }
    }

    /// Registers the gradients of whichever of x, weight and bias track one.
    fn backward(
        self,
        dy: FlexTensor,
        grads: &mut Gradients,
        [node_x, node_w, node_b]: [Option<NodeId>; 3],
    ) {
        let weight_shape: [usize; 4] = self.weight.layout().shape().dims();
        if node_w.is_some() || node_b.is_some() {
            let (dw, db) =
                weight_and_bias_grad(&self.x, &dy, weight_shape, &self.options, node_b.is_some());
            if let Some(id) = node_w {
                grads.register::<Flex>(id, dw);
            }
            if let (Some(id), Some(db)) = (node_b, db) {
                grads.register::<Flex>(id, db);
            }
        }
        if let Some(id) = node_x {
            let x_shape = self.x.layout().shape().dims();
            let dx = input_grad(x_shape, &self.weight, &dy, &self.options);
            grads.register::<Flex>(id, dx);
        }
    }
}

/// The autodiff node of our conv2d, with (x, weight) or (x, weight, bias) as parents.
#[derive(Debug)]
struct ConvBackward;

impl Backward<Flex, 2> for ConvBackward {
    type State = ConvState;

    fn backward(self, ops: Ops<ConvState, 2>, grads: &mut Gradients, _: &mut Checkpointer) {
        let dy = grads.consume::<Flex>(&ops.node);
        let [x, w] = ops.parents.map(|p| p.map(|n| n.id));
        ops.state.backward(dy, grads, [x, w, None]);
    }
}

impl Backward<Flex, 3> for ConvBackward {
    type State = ConvState;

    fn backward(self, ops: Ops<ConvState, 3>, grads: &mut Gradients, _: &mut Checkpointer) {
        let dy = grads.consume::<Flex>(&ops.node);
        let ids = ops.parents.map(|p| p.map(|n| n.id));
        ops.state.backward(dy, grads, ids);
    }
}
