//! Wide ResNet (Zagoruyko & Komodakis 2016), as mdistiller defines it for CIFAR
//! (`mdistiller/models/cifar/wrn.py`): a 3×3 stem of 16 channels, three groups of `n` pre-activation
//! blocks (`BN → ReLU → conv → BN → ReLU → conv`, plus the shortcut) with 16·k, 32·k and 64·k
//! channels (stride 1, 2, 2), a last BN and ReLU, global average pooling and a linear
//! classifier; depth `6n + 4`. A block whose width changes takes its shortcut through a 1×1
//! conv of its activated input, as the reference does.
//!
//! The blocks end without a ReLU, so a group's activated output is the next BN's and ReLU's:
//! stage `i` is `relu(bn(group i's output))`, with that BN the first block's of the next group
//! (the last BN for the last group); its pre-activation is that BN's output, and the BNs are
//! mdistiller's `get_bn_before_relu`. The forward pass computes each once.

use api::WrnSpec;
use burn::nn::conv::Conv2d;
use burn::nn::{BatchNorm, BatchNormConfig, Linear, LinearConfig};
use burn::prelude::*;
use burn::tensor::activation::relu;

use super::onnx::{GraphOutputs, OnnxGraph};
use super::residual::{residual_stage_shapes, residual_stages};
use super::{
    conv_without_bias as conv, Features, InputShape, NormBeforeRelu, PreActivation, StageShape,
};
use crate::kernels::{batch_norm, batch_norm_relu, conv2d as apply_conv};

/// `BN → ReLU → conv → BN → ReLU → conv`, plus the shortcut.
#[derive(Module, Debug)]
struct WideBlock {
    norm1: BatchNorm,
    conv1: Conv2d,
    norm2: BatchNorm,
    conv2: Conv2d,
    /// A 1×1 conv of the activated input when the width changes.
    shortcut: Option<Conv2d>,
}

impl WideBlock {
    fn init(input: usize, output: usize, stride: usize, device: &Device) -> WideBlock {
        WideBlock {
            norm1: BatchNormConfig::new(input).init(device),
            conv1: conv(input, output, 3, stride, device),
            norm2: BatchNormConfig::new(output).init(device),
            conv2: conv(output, output, 3, 1, device),
            shortcut: (input != output).then(|| conv(input, output, 1, stride, device)),
        }
    }

    /// The block's output from its input `x` and `activated = relu(norm1(x))`.
    fn forward_activated(&self, x: Tensor<4>, activated: Tensor<4>) -> Tensor<4> {
        let out = batch_norm_relu(&self.norm2, apply_conv(&self.conv1, activated.clone()));
        let out = apply_conv(&self.conv2, out);
        let shortcut = match &self.shortcut {
            Some(projection) => apply_conv(projection, activated),
            None => x,
        };
        out + shortcut
    }

    /// The block written as an ONNX graph at module path `path`, from its input `x` and
    /// `activated = relu(norm1(x))`.
    fn write_onnx(&self, graph: &mut OnnxGraph, x: &str, activated: &str, path: &str) -> String {
        let out = graph.conv(&self.conv1, activated, &format!("{path}.conv1"));
        let out = graph.batch_norm(&self.norm2, &out, &format!("{path}.norm2"));
        let out = graph.relu(&out);
        let out = graph.conv(&self.conv2, &out, &format!("{path}.conv2"));
        let shortcut = match &self.shortcut {
            Some(projection) => graph.conv(projection, activated, &format!("{path}.shortcut")),
            None => x.to_string(),
        };
        graph.add(&out, &shortcut)
    }
}

/// `relu(norm(x))`, and `norm(x)` itself when the pass keeps pre-activations.
fn activate(norm: &BatchNorm, x: Tensor<4>, pre: PreActivation) -> (Tensor<4>, Option<Tensor<4>>) {
    match pre {
        PreActivation::Skip => (batch_norm_relu(norm, x), None),
        PreActivation::Keep => {
            let before = batch_norm(norm, x);
            (relu(before.clone()), Some(before))
        }
    }
}

/// The wide residual network.
#[derive(Module, Debug)]
pub struct Wrn {
    stem: Conv2d,
    groups: Vec<Vec<WideBlock>>,
    norm: BatchNorm,
    output: Linear,
}

/// Channel counts of the three groups.
fn group_channels(spec: &WrnSpec) -> [usize; 3] {
    [16, 32, 64].map(|c| c * spec.widen)
}

/// The stem's channels (mdistiller's `nChannels[0]`).
const STEM: usize = 16;

impl Wrn {
    /// Builds the network. `spec.depth` must be `6n + 4` (validated with the spec).
    pub fn init(spec: &WrnSpec, input: InputShape, device: &Device) -> Wrn {
        let blocks = (spec.depth.saturating_sub(4) / 6).max(1);
        let channels = group_channels(spec);
        let groups = residual_stages(STEM, &channels, &[blocks; 3], |input, output, stride| {
            WideBlock::init(input, output, stride, device)
        });
        Wrn {
            stem: conv(input.channels, STEM, 3, 1, device),
            groups,
            norm: BatchNormConfig::new(channels[2]).init(device),
            output: LinearConfig::new(channels[2], input.classes).init(device),
        }
    }

    pub(super) fn stage_shapes(spec: &WrnSpec, input: InputShape) -> Vec<StageShape> {
        residual_stage_shapes(&group_channels(spec), input)
    }

    pub(super) fn embedding_width(spec: &WrnSpec) -> usize {
        group_channels(spec)[2]
    }

    pub(super) fn forward_features(&self, images: Tensor<4>, pre: PreActivation) -> Features {
        let mut x = apply_conv(&self.stem, images); // [batch, 16, h, w]
        let mut stages = Vec::with_capacity(self.groups.len());
        let mut pre_activation = Vec::new();
        for (g, group) in self.groups.iter().enumerate() {
            for (b, block) in group.iter().enumerate() {
                let (activated, before) = activate(&block.norm1, x.clone(), pre);
                if g > 0 && b == 0 {
                    // The previous group's activated output.
                    stages.push(activated.clone());
                    pre_activation.extend(before);
                }
                x = block.forward_activated(x, activated);
            }
        }
        let (activated, before) = activate(&self.norm, x, pre);
        stages.push(activated.clone());
        pre_activation.extend(before);
        Features::pooled(stages, pre_activation, activated, &self.output)
    }

    /// The same forward pass written as an ONNX graph.
    pub(super) fn write_onnx(&self, graph: &mut OnnxGraph, images: &str) -> GraphOutputs {
        let mut x = graph.conv(&self.stem, images, "stem");
        let mut stages = Vec::with_capacity(self.groups.len());
        for (g, group) in self.groups.iter().enumerate() {
            for (b, block) in group.iter().enumerate() {
                let path = format!("groups.{g}.{b}");
                let normed = graph.batch_norm(&block.norm1, &x, &format!("{path}.norm1"));
                let activated = graph.relu(&normed);
                if g > 0 && b == 0 {
                    stages.push(activated.clone());
                }
                x = block.write_onnx(graph, &x, &activated, &path);
            }
        }
        let normed = graph.batch_norm(&self.norm, &x, "norm");
        let activated = graph.relu(&normed);
        stages.push(activated.clone());
        GraphOutputs::pooled(graph, stages, &activated, &self.output)
    }

    /// The BN before each stage's ReLU: the next group's first `bn1`, then the last BN.
    pub(super) fn norms_before_relu(&self) -> Vec<NormBeforeRelu> {
        let mut norms: Vec<NormBeforeRelu> = self.groups[1..]
            .iter()
            .map(|group| NormBeforeRelu::of(&group[0].norm1))
            .collect();
        norms.push(NormBeforeRelu::of(&self.norm));
        norms
    }
}
