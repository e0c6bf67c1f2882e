//! MobileNetV2 as mdistiller defines it for CIFAR (`mdistiller/models/cifar/mobilenetv2.py`;
//! Sandler et al. 2018): a 3×3 stride-2 stem conv, seven groups of inverted residual blocks
//! (a 1×1 conv expanding the channels `t` times, a 3×3 depthwise conv, a 1×1 conv projecting
//! them back, each with batch norm, ReLU after the first two; the input added back when the
//! shape is kept), a 1×1 conv to 1280 channels (1280·w when w > 1), global average pooling and
//! a linear classifier. Channel counts are the reference's, floored after the width multiplier.
//!
//! Its stages are mdistiller's features: the outputs of groups 2, 3, 5 and 7. A block ends in
//! a batch norm without a ReLU, so each stage is its own pre-activation, and that batch norm is
//! the one mdistiller's `get_bn_before_relu` names.

use api::MobilenetV2Spec;
use burn::nn::conv::Conv2dConfig;
use burn::nn::{Linear, LinearConfig, PaddingConfig2d};
use burn::prelude::*;

use super::layers::ConvNorm;
use super::onnx::{GraphOutputs, OnnxGraph};
use super::{Features, InputShape, NormBeforeRelu, PreActivation, StageShape};

/// `(expansion, channels, blocks, stride)` of each group; `None` is the spec's expansion.
const GROUPS: [(Option<usize>, usize, usize, usize); 7] = [
    (Some(1), 16, 1, 1),
    (None, 24, 2, 1),
    (None, 32, 3, 2),
    (None, 64, 4, 2),
    (None, 96, 3, 1),
    (None, 160, 3, 2),
    (None, 320, 1, 1),
];

/// The groups whose outputs are the stages (mdistiller's `f1` to `f4`).
const STAGE_GROUPS: [usize; 4] = [1, 2, 4, 6];

/// Expand, filter depthwise, project; plus the input when the shape is kept.
#[derive(Module, Debug)]
struct InvertedResidual {
    expand: ConvNorm,
    depthwise: ConvNorm,
    project: ConvNorm,
}

impl InvertedResidual {
    fn init(
        input: usize,
        output: usize,
        stride: usize,
        expansion: usize,
        device: &Device,
    ) -> InvertedResidual {
        let hidden = input * expansion;
        InvertedResidual {
            expand: ConvNorm::pointwise(input, hidden, device),
            depthwise: ConvNorm::depthwise(hidden, stride, device),
            project: ConvNorm::pointwise(hidden, output, device),
        }
    }

    /// Whether the input is added back: stride 1 and as many channels out as in.
    fn keeps_shape(&self) -> bool {
        let input = self.expand.conv.weight.dims()[1];
        let output = self.project.conv.weight.dims()[0];
        self.depthwise.conv.stride == [1, 1] && input == output
    }

    fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        let out = self.expand.forward_relu(x.clone());
        let out = self.depthwise.forward_relu(out);
        let out = self.project.forward(out);
        match self.keeps_shape() {
            true => out + x,
            false => out,
        }
    }

    fn write_onnx(&self, graph: &mut OnnxGraph, x: &str, path: &str) -> String {
        let out = self
            .expand
            .write_onnx(graph, x, &format!("{path}.expand"), true);
        let out = self
            .depthwise
            .write_onnx(graph, &out, &format!("{path}.depthwise"), true);
        let out = self
            .project
            .write_onnx(graph, &out, &format!("{path}.project"), false);
        match self.keeps_shape() {
            true => graph.add(&out, x),
            false => out,
        }
    }
}

/// The MobileNetV2.
#[derive(Module, Debug)]
pub struct MobilenetV2 {
    stem: ConvNorm,
    groups: Vec<Vec<InvertedResidual>>,
    head: ConvNorm,
    output: Linear,
}

/// `int(c · w)` as the reference computes it.
fn scaled(channels: usize, width: f64) -> usize {
    ((channels as f64 * width).floor() as usize).max(1)
}

/// The head's channels: 1280, or 1280·w for w > 1.
fn head_channels(width: f64) -> usize {
    if width > 1.0 {
        scaled(1280, width)
    } else {
        1280
    }
}

impl MobilenetV2 {
    /// Builds the network.
    pub fn init(spec: &MobilenetV2Spec, input: InputShape, device: &Device) -> MobilenetV2 {
        let mut current = scaled(32, spec.width);
        let stem = Conv2dConfig::new([input.channels, current], [3, 3])
            .with_stride([2, 2])
            .with_padding(PaddingConfig2d::Explicit(1, 1, 1, 1))
            .with_bias(false)
            .init(device);
        let stem = ConvNorm::new(stem, current, device);
        let groups = GROUPS
            .iter()
            .map(|&(expansion, channels, blocks, stride)| {
                let output = scaled(channels, spec.width);
                let expansion = expansion.unwrap_or(spec.expansion);
                (0..blocks)
                    .map(|b| {
                        let stride = if b == 0 { stride } else { 1 };
                        let block =
                            InvertedResidual::init(current, output, stride, expansion, device);
                        current = output;
                        block
                    })
                    .collect()
            })
            .collect();
        let head = head_channels(spec.width);
        MobilenetV2 {
            stem,
            groups,
            head: ConvNorm::pointwise(current, head, device),
            output: LinearConfig::new(head, input.classes).init(device),
        }
    }

    pub(super) fn stage_shapes(spec: &MobilenetV2Spec, input: InputShape) -> Vec<StageShape> {
        let (mut h, mut w) = (input.height.div_ceil(2), input.width.div_ceil(2));
        let mut shapes = Vec::new();
        for (g, &(_, channels, _, stride)) in GROUPS.iter().enumerate() {
            if stride == 2 {
                (h, w) = (h.div_ceil(2), w.div_ceil(2));
            }
            if STAGE_GROUPS.contains(&g) {
                shapes.push(StageShape {
                    channels: scaled(channels, spec.width),
                    height: h,
                    width: w,
                });
            }
        }
        shapes
    }

    pub(super) fn embedding_width(spec: &MobilenetV2Spec) -> usize {
        head_channels(spec.width)
    }

    pub(super) fn forward_features(&self, images: Tensor<4>, pre: PreActivation) -> Features {
        let mut x = self.stem.forward_relu(images);
        let mut stages = Vec::with_capacity(STAGE_GROUPS.len());
        for (g, group) in self.groups.iter().enumerate() {
            for block in group {
                x = block.forward(x);
            }
            if STAGE_GROUPS.contains(&g) {
                stages.push(x.clone());
            }
        }
        let pre_activation = match pre {
            PreActivation::Keep => stages.clone(),
            PreActivation::Skip => Vec::new(),
        };
        let head = self.head.forward_relu(x);
        Features::pooled(stages, pre_activation, head, &self.output)
    }

    /// The same forward pass written as an ONNX graph.
    pub(super) fn write_onnx(&self, graph: &mut OnnxGraph, images: &str) -> GraphOutputs {
        let mut x = self.stem.write_onnx(graph, images, "stem", true);
        let mut stages = Vec::with_capacity(STAGE_GROUPS.len());
        for (g, group) in self.groups.iter().enumerate() {
            for (b, block) in group.iter().enumerate() {
                x = block.write_onnx(graph, &x, &format!("groups.{g}.{b}"));
            }
            if STAGE_GROUPS.contains(&g) {
                stages.push(x.clone());
            }
        }
        let head = self.head.write_onnx(graph, &x, "head", true);
        GraphOutputs::pooled(graph, stages, &head, &self.output)
    }

    /// The last batch norm of each stage's last block.
    pub(super) fn norms_before_relu(&self) -> Vec<NormBeforeRelu> {
        STAGE_GROUPS
            .iter()
            .map(|&g| {
                let block = self.groups[g].last().expect("a group has blocks");
                NormBeforeRelu::of(&block.project.norm)
            })
            .collect()
    }
}
