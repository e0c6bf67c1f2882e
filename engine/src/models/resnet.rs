//! CIFAR-style ResNet (He et al. 2016, §4.2): a 3×3 stem, three stages of `n` basic blocks
//! with 16·w, 32·w and 64·w channels (stride 1, 2, 2), global average pooling and a linear
//! classifier; depth `6n + 2`. Shortcuts project with a 1×1 conv when the shape changes.
//! The three stages' outputs are the stage features.

use api::ResnetSpec;
use burn::nn::conv::Conv2d;
use burn::nn::{BatchNorm, BatchNormConfig, Linear, LinearConfig};
use burn::prelude::*;
use burn::tensor::activation::relu;

use super::onnx::{GraphOutputs, OnnxGraph};
use super::residual::{residual_stage_shapes, residual_stages};
use super::{
    conv_without_bias as conv, Features, InputShape, NormBeforeRelu, PreActivation, StageShape,
};
use crate::kernels::{add_relu, batch_norm, batch_norm_relu, conv2d as apply_conv};

/// 1×1 projection of the shortcut.
#[derive(Module, Debug)]
struct Projection {
    conv: Conv2d,
    norm: BatchNorm,
}

/// `conv → BN → ReLU → conv → BN`, plus the shortcut, then ReLU.
#[derive(Module, Debug)]
pub(super) struct BasicBlock {
    conv1: Conv2d,
    norm1: BatchNorm,
    conv2: Conv2d,
    norm2: BatchNorm,
    projection: Option<Projection>,
}

impl BasicBlock {
    pub(super) fn init(input: usize, output: usize, stride: usize, device: &Device) -> BasicBlock {
        let projection = (stride != 1 || input != output).then(|| Projection {
            conv: conv(input, output, 1, stride, device),
            norm: BatchNormConfig::new(output).init(device),
        });
        BasicBlock {
            conv1: conv(input, output, 3, stride, device),
            norm1: BatchNormConfig::new(output).init(device),
            conv2: conv(output, output, 3, 1, device),
            norm2: BatchNormConfig::new(output).init(device),
            projection,
        }
    }

    /// The residual branch and the shortcut, before they are added and rectified.
    fn branches(&self, x: Tensor<4>) -> (Tensor<4>, Tensor<4>) {
        let out = batch_norm_relu(&self.norm1, apply_conv(&self.conv1, x.clone()));
        let out = batch_norm(&self.norm2, apply_conv(&self.conv2, out));
        let shortcut = match &self.projection {
            Some(p) => batch_norm(&p.norm, apply_conv(&p.conv, x)),
            None => x,
        };
        (out, shortcut)
    }

    fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        let (out, shortcut) = self.branches(x);
        add_relu(out, shortcut)
    }

    /// The block written as an ONNX graph, at module path `path`.
    fn write_onnx(&self, graph: &mut OnnxGraph, x: &str, path: &str) -> String {
        let out = graph.conv(&self.conv1, x, &format!("{path}.conv1"));
        let out = graph.batch_norm(&self.norm1, &out, &format!("{path}.norm1"));
        let out = graph.relu(&out);
        let out = graph.conv(&self.conv2, &out, &format!("{path}.conv2"));
        let out = graph.batch_norm(&self.norm2, &out, &format!("{path}.norm2"));
        let shortcut = match &self.projection {
            Some(p) => {
                let projected = graph.conv(&p.conv, x, &format!("{path}.projection.conv"));
                graph.batch_norm(&p.norm, &projected, &format!("{path}.projection.norm"))
            }
            None => x.to_string(),
        };
        let sum = graph.add(&out, &shortcut);
        graph.relu(&sum)
    }

    /// The block's output before its last ReLU.
    fn forward_pre_activation(&self, x: Tensor<4>) -> Tensor<4> {
        let (out, shortcut) = self.branches(x);
        out + shortcut
    }
}

/// The residual network.
#[derive(Module, Debug)]
pub struct Resnet {
    stem: Conv2d,
    stem_norm: BatchNorm,
    stages: Vec<Vec<BasicBlock>>,
    output: Linear,
}

/// Channels of the stem conv: the spec's, else the first stage's.
fn stem_channels(spec: &ResnetSpec) -> usize {
    spec.stem.unwrap_or(stage_channels(spec.width)[0])
}

/// Channel counts of the three stages for a width multiplier.
fn stage_channels(width: f64) -> [usize; 3] {
    [16.0, 32.0, 64.0].map(|c: f64| ((c * width).round() as usize).max(1))
}

impl Resnet {
    /// Builds the network. `spec.depth` must be `6n + 2` (validated with the spec).
    pub fn init(spec: &ResnetSpec, input: InputShape, device: &Device) -> Resnet {
        let blocks = (spec.depth.saturating_sub(2) / 6).max(1);
        let channels = stage_channels(spec.width);
        let stem = stem_channels(spec);
        let stages = residual_stages(stem, &channels, &[blocks; 3], |input, output, stride| {
            BasicBlock::init(input, output, stride, device)
        });
        Resnet {
            stem: conv(input.channels, stem, 3, 1, device),
            stem_norm: BatchNormConfig::new(stem).init(device),
            stages,
            output: LinearConfig::new(channels[2], input.classes).init(device),
        }
    }

    pub(super) fn stage_shapes(spec: &ResnetSpec, input: InputShape) -> Vec<StageShape> {
        residual_stage_shapes(&stage_channels(spec.width), input)
    }

    pub(super) fn embedding_width(spec: &ResnetSpec) -> usize {
        stage_channels(spec.width)[2]
    }

    pub(super) fn forward_features(&self, images: Tensor<4>, pre: PreActivation) -> Features {
        let x = batch_norm_relu(&self.stem_norm, apply_conv(&self.stem, images)); // [batch, 16w, h, w]
        let (stages, pre_activation, last) = forward_stages(&self.stages, x, pre);
        Features::pooled(stages, pre_activation, last, &self.output)
    }

    /// The same forward pass written as an ONNX graph.
    pub(super) fn write_onnx(&self, graph: &mut OnnxGraph, images: &str) -> GraphOutputs {
        let stem = graph.conv(&self.stem, images, "stem");
        let stem = graph.batch_norm(&self.stem_norm, &stem, "stem_norm");
        let stem = graph.relu(&stem);
        let (stages, last) = write_stages_onnx(graph, &self.stages, &stem);
        GraphOutputs::pooled(graph, stages, &last, &self.output)
    }

    /// The last block's second batch norm in each stage (mdistiller's `get_bn_before_relu`).
    pub(super) fn norms_before_relu(&self) -> Vec<NormBeforeRelu> {
        stage_norms(&self.stages)
    }
}

/// The stages of basic blocks on `x`: each stage's output, their pre-activations when `pre`
/// keeps them, and the last stage's output.
pub(super) fn forward_stages(
    stages: &[Vec<BasicBlock>],
    mut x: Tensor<4>,
    pre: PreActivation,
) -> (Vec<Tensor<4>>, Vec<Tensor<4>>, Tensor<4>) {
    let mut features = Vec::with_capacity(stages.len());
    let mut pre_activation = Vec::new();
    for stage in stages {
        let (last, first) = stage.split_last().expect("a stage has blocks");
        for block in first {
            x = block.forward(x);
        }
        x = match pre {
            PreActivation::Skip => last.forward(x),
            PreActivation::Keep => {
                let before = last.forward_pre_activation(x);
                pre_activation.push(before.clone());
                relu(before)
            }
        };
        features.push(x.clone());
    }
    (features, pre_activation, x)
}

/// The stages of basic blocks written as an ONNX graph on `x` (module paths `stages.s.b`):
/// each stage's output and the last one.
pub(super) fn write_stages_onnx(
    graph: &mut OnnxGraph,
    stages: &[Vec<BasicBlock>],
    x: &str,
) -> (Vec<String>, String) {
    let mut x = x.to_string();
    let mut outputs = Vec::with_capacity(stages.len());
    for (s, stage) in stages.iter().enumerate() {
        for (b, block) in stage.iter().enumerate() {
            x = block.write_onnx(graph, &x, &format!("stages.{s}.{b}"));
        }
        outputs.push(x.clone());
    }
    (outputs, x)
}

/// The last block's second batch norm in each stage (mdistiller's `get_bn_before_relu`).
pub(super) fn stage_norms(stages: &[Vec<BasicBlock>]) -> Vec<NormBeforeRelu> {
    stages
        .iter()
        .map(|stage| NormBeforeRelu::of(&stage.last().expect("a stage has blocks").norm2))
        .collect()
}
