//! Training-mode batch norm for the model zoo: on `Autodiff<Flex>` one fused op (statistics
//! and output in two passes, backward in two, parallel over channels and images) instead of
//! burn's ~10 forward and ~15 backward tensor ops; burn's stock `batch_norm_train` elsewhere.
//! Evaluation (no autodiff, or a layer whose training flag is off) is burn's stock forward.
//! [`batch_norm_relu`] fuses the ReLU that follows most batch norms: it is applied as the
//! output is written, and its mask is recomputed in the backward from the saved input, so the
//! ReLU costs neither a pass nor a buffer of its own (burn's runs in one thread below 4M values).
//!
//! Running statistics follow PyTorch, whose figures the lab compares against: the running
//! variance is updated with the *unbiased* batch variance (`n/(n−1)` times the biased one).
//! burn's own `BatchNorm` blends in the biased variance; we do the update ourselves on both
//! paths so that CPU and wgpu runs agree. The normalisation itself uses the biased variance,
//! as in both frameworks.

use burn::backend::autodiff::checkpoint::base::Checkpointer;
use burn::backend::autodiff::checkpoint::strategy::NoCheckpointing;
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, Ops, OpsKind};
use burn::backend::flex::FlexTensor;
use burn::backend::tensor::FloatTensor;
use burn::backend::Flex;
use burn::nn::BatchNorm;
use burn::prelude::*;
use burn::tensor::activation::relu;
use burn::tensor::module::batch_norm_train;

use super::batch_norm_math::{
    channel_stats, gradient_sums, input_grad_in_place, inverse_std, Activation, Affine,
    InputGradTerms, Planes,
};
use super::flex::{ad_flex, contiguous, tensor_of, values, AdFlex, KernelPath};

/// Drop-in for `norm.forward(x)`; the module, its record and checkpoints are unchanged.
/// // x: [batch, channels, h, w] → same shape
pub fn batch_norm(norm: &BatchNorm, x: Tensor<4>) -> Tensor<4> {
    batch_norm_with_path(norm, x).0
}

/// [`batch_norm`], also saying which implementation ran (the tests check that ours did).
pub fn batch_norm_with_path(norm: &BatchNorm, x: Tensor<4>) -> (Tensor<4>, KernelPath) {
    normalize(norm, x, Activation::Identity)
}

/// `relu(norm.forward(x))`, the ReLU fused into our batch norm where it runs.
/// // x: [batch, channels, h, w] → same shape
pub fn batch_norm_relu(norm: &BatchNorm, x: Tensor<4>) -> Tensor<4> {
    batch_norm_relu_with_path(norm, x).0
}

/// [`batch_norm_relu`], also saying which implementation ran.
pub fn batch_norm_relu_with_path(norm: &BatchNorm, x: Tensor<4>) -> (Tensor<4>, KernelPath) {
    normalize(norm, x, Activation::Relu)
}

/// The batch norm, then `activation`: our fused op in training on `Autodiff<Flex>`, else
/// burn's ops.
fn normalize(norm: &BatchNorm, x: Tensor<4>, activation: Activation) -> (Tensor<4>, KernelPath) {
    // The same mode test as burn's BatchNorm: a frozen layer on the training device stays in
    // eval mode and keeps its running statistics.
    if !(x.device().is_autodiff() && norm.training.is_enabled()) {
        return (activation.apply(norm.forward(x)), KernelPath::Stock);
    }
    let [batch, _, h, w] = x.dims();
    let device = x.device();
    let (output, mean, var, path) = match own_batch_norm_train(norm, &x, activation) {
        Some((output, mean, var)) => {
            let stat = |v: Vec<f32>| {
                let len = v.len();
                Tensor::<1>::from_data(TensorData::new(v, [len]), &device)
            };
            (output, stat(mean), stat(var), KernelPath::Own)
        }
        None => {
            let r = batch_norm_train(x, norm.gamma.val(), norm.beta.val(), norm.epsilon);
            let output = activation.apply(r.output);
            (output, r.mean, r.variance, KernelPath::Stock)
        }
    };
    update_running_stats(norm, mean, var, batch * h * w, &device);
    (output, path)
}

impl Activation {
    /// The activation as burn's stock op.
    fn apply(self, x: Tensor<4>) -> Tensor<4> {
        match self {
            Activation::Identity => x,
            Activation::Relu => relu(x),
        }
    }
}

/// `running = (1 − momentum)·running + momentum·batch`, with the unbiased batch variance.
fn update_running_stats(
    norm: &BatchNorm,
    mean: Tensor<1>,
    biased_var: Tensor<1>,
    count: usize,
    device: &Device,
) {
    let unbiased = if count > 1 {
        count as f64 / (count - 1) as f64
    } else {
        1.0 // one value per channel has no unbiased variance; PyTorch refuses this case
    };
    let m = norm.momentum;
    let running_mean = norm.running_mean.value_sync().to_device(device);
    let running_var = norm.running_var.value_sync().to_device(device);
    let running_mean = running_mean
        .mul_scalar(1.0 - m)
        .add(mean.detach().mul_scalar(m));
    let running_var = running_var
        .mul_scalar(1.0 - m)
        .add(biased_var.detach().mul_scalar(m * unbiased));
    norm.running_mean.update(running_mean.detach());
    norm.running_var.update(running_var.detach());
}

/// Our fused op when x, γ and β are `f32` `Autodiff<Flex>` tensors: `(output, batch mean,
/// biased batch variance)`; `None` means "use burn's op".
fn own_batch_norm_train(
    norm: &BatchNorm,
    x: &Tensor<4>,
    activation: Activation,
) -> Option<(Tensor<4>, Vec<f32>, Vec<f32>)> {
    let input = ad_flex(x)?;
    let gamma = ad_flex(&norm.gamma.val())?;
    let beta = ad_flex(&norm.beta.val())?;
    if gamma.primitive().layout().shape().num_elements() != x.dims()[1] {
        return None; // burn's op reports the shape mismatch
    }
    let (out, mean, var) = record_batch_norm(input, gamma, beta, norm.epsilon, activation);
    Some((Tensor::from_primitive::<AdFlex>(out), mean, var))
}

/// Runs the fused forward and records it on the autodiff graph.
fn record_batch_norm(
    x: FloatTensor<AdFlex>,
    gamma: FloatTensor<AdFlex>,
    beta: FloatTensor<AdFlex>,
    epsilon: f64,
    activation: Activation,
) -> (FloatTensor<AdFlex>, Vec<f32>, Vec<f32>) {
    let (xp, x_node) = x.into_parts();
    let (gp, g_node) = gamma.into_parts();
    let (bp, b_node) = beta.into_parts();
    let (xp, gp, bp) = (contiguous(&xp), contiguous(&gp), contiguous(&bp));
    let [batch, channels, h, w] = xp.layout().shape().dims();
    let planes = Planes {
        batch,
        channels,
        spatial: h * w,
    };
    let (mean, var) = channel_stats(values(&xp), planes);
    let inv_std = inverse_std(&var, epsilon);
    let gamma = values(&gp).to_vec();
    let scale: Vec<f32> = gamma.iter().zip(&inv_std).map(|(g, s)| g * s).collect();
    let shift: Vec<f32> = values(&bp)
        .iter()
        .zip(mean.iter().zip(&scale))
        .map(|(b, (m, a))| b - m * a)
        .collect();
    let affine = Affine { scale, shift };
    let out = tensor_of(
        affine.apply(values(&xp), planes, activation),
        [batch, channels, h, w],
    );
    let prep = BatchNormBackward.prepare::<NoCheckpointing>([x_node, g_node, b_node]);
    let out = match prep.compute_bound().stateful() {
        OpsKind::Tracked(prep) => {
            let state = BatchNormState {
                x: xp,
                planes,
                gamma,
                mean: mean.clone(),
                inv_std,
                relu_of: (activation == Activation::Relu).then_some(affine),
            };
            prep.finish(state, out)
        }
        OpsKind::UnTracked(prep) => prep.finish(out),
    };
    (out, mean, var)
}

/// What the backward needs: the (contiguous) input and the per-channel constants.
#[derive(Debug, Clone)]
struct BatchNormState {
    x: FlexTensor,
    planes: Planes,
    gamma: Vec<f32>,
    mean: Vec<f32>,
    inv_std: Vec<f32>,
    /// With a fused ReLU, the affine map whose positive outputs it passed.
    relu_of: Option<Affine>,
}

/// The autodiff node of the fused batch norm, with x, γ and β as parents.
#[derive(Debug)]
struct BatchNormBackward;

impl Backward<Flex, 3> for BatchNormBackward {
    type State = BatchNormState;

    fn backward(self, ops: Ops<BatchNormState, 3>, grads: &mut Gradients, _: &mut Checkpointer) {
        let [node_x, node_gamma, node_beta] = ops.parents;
        // The consumed gradient is dropped at the end of this statement, so `dy` is usually
        // its buffer's only owner and takes the input gradient in place (`storage_mut` copies
        // a buffer that is still shared, e.g. with the other branch of a residual add).
        let mut dy = contiguous(&grads.consume::<Flex>(&ops.node));
        let s = ops.state;
        let x = values(&s.x);
        let (grad_gamma, grad_beta) = gradient_sums(
            x,
            dy.storage_mut::<f32>(),
            &s.mean,
            &s.inv_std,
            s.relu_of.as_ref(),
            s.planes,
        );
        if let Some(node) = node_x {
            let terms = InputGradTerms {
                gamma: &s.gamma,
                mean: &s.mean,
                inv_std: &s.inv_std,
                grad_gamma: &grad_gamma,
                grad_beta: &grad_beta,
            };
            let mut dx = dy;
            input_grad_in_place(x, dx.storage_mut::<f32>(), &terms, s.planes);
            grads.register::<Flex>(node.id, dx);
        }
        let channels = s.planes.channels;
        if let Some(node) = node_gamma {
            grads.register::<Flex>(node.id, tensor_of(grad_gamma, [channels]));
        }
        if let Some(node) = node_beta {
            grads.register::<Flex>(node.id, tensor_of(grad_beta, [channels]));
        }
    }
}
