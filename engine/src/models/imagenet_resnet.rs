//! torchvision's ResNet of basic blocks (`torchvision.models.resnet18` and `resnet34`; He et al.
//! 2016, §3.4): a 7×7 stride-2 stem conv, BN and ReLU, a 3×3 stride-2 max pool, four stages of
//! basic blocks with 64·w, 128·w, 256·w and 512·w channels (stride 1, 2, 2, 2), global average
//! pooling and a linear classifier. It takes any image size; on 32-pixel images its last stage
//! is 1×1. The blocks, and the stage features and norms they give, are the CIFAR ResNet's.

use api::ImagenetResnetSpec;
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::pool::{MaxPool2d, MaxPool2dConfig};
use burn::nn::{BatchNorm, BatchNormConfig, Linear, LinearConfig, PaddingConfig2d};
use burn::prelude::*;

use super::onnx::{GraphOutputs, OnnxGraph};
use super::residual::{residual_stage_shapes, residual_stages};
use super::resnet::{forward_stages, stage_norms, write_stages_onnx, BasicBlock};
use super::{Features, InputShape, NormBeforeRelu, PreActivation, StageShape};
use crate::kernels::{batch_norm_relu, conv2d as apply_conv};

/// The ResNet of torchvision.
#[derive(Module, Debug)]
pub struct ImagenetResnet {
    stem: Conv2d,
    stem_norm: BatchNorm,
    pool: MaxPool2d,
    stages: Vec<Vec<BasicBlock>>,
    output: Linear,
}

/// Basic blocks per stage of the depths torchvision builds with them (10 is the smallest of the
/// family, one block per stage).
pub fn blocks_per_stage(depth: usize) -> Option<[usize; 4]> {
    match depth {
        10 => Some([1, 1, 1, 1]),
        18 => Some([2, 2, 2, 2]),
        34 => Some([3, 4, 6, 3]),
        _ => None,
    }
}

/// Channel counts of the four stages for a width multiplier.
fn stage_channels(width: f64) -> [usize; 4] {
    [64.0, 128.0, 256.0, 512.0].map(|c: f64| ((c * width).round() as usize).max(1))
}

/// The image size after the stem conv and the max pool, each halving it (rounding up).
fn after_stem(input: InputShape) -> InputShape {
    let quarter = |size: usize| size.div_ceil(2).div_ceil(2);
    InputShape {
        height: quarter(input.height),
        width: quarter(input.width),
        ..input
    }
}

impl ImagenetResnet {
    /// Builds the network. `spec.depth` must be one of [`blocks_per_stage`]'s (validated with
    /// the spec).
    pub fn init(spec: &ImagenetResnetSpec, input: InputShape, device: &Device) -> ImagenetResnet {
        let blocks = blocks_per_stage(spec.depth).unwrap_or([2; 4]);
        let channels = stage_channels(spec.width);
        let stages = residual_stages(channels[0], &channels, &blocks, |input, output, stride| {
            BasicBlock::init(input, output, stride, device)
        });
        let stem = Conv2dConfig::new([input.channels, channels[0]], [7, 7])
            .with_stride([2, 2])
            .with_padding(PaddingConfig2d::Explicit(3, 3, 3, 3))
            .with_bias(false)
            .init(device);
        ImagenetResnet {
            stem,
            stem_norm: BatchNormConfig::new(channels[0]).init(device),
            pool: MaxPool2dConfig::new([3, 3])
                .with_strides([2, 2])
                .with_padding(PaddingConfig2d::Explicit(1, 1, 1, 1))
                .init(),
            stages,
            output: LinearConfig::new(channels[3], input.classes).init(device),
        }
    }

    pub(super) fn stage_shapes(spec: &ImagenetResnetSpec, input: InputShape) -> Vec<StageShape> {
        residual_stage_shapes(&stage_channels(spec.width), after_stem(input))
    }

    pub(super) fn embedding_width(spec: &ImagenetResnetSpec) -> usize {
        stage_channels(spec.width)[3]
    }

    pub(super) fn forward_features(&self, images: Tensor<4>, pre: PreActivation) -> Features {
        let x = batch_norm_relu(&self.stem_norm, apply_conv(&self.stem, images));
        let x = self.pool.forward(x); // [batch, 64w, h/4, w/4]
        let (stages, pre_activation, last) = forward_stages(&self.stages, x, pre);
        Features::pooled(stages, pre_activation, last, &self.output)
    }

    /// The same forward pass written as an ONNX graph.
    pub(super) fn write_onnx(&self, graph: &mut OnnxGraph, images: &str) -> GraphOutputs {
        let stem = graph.conv(&self.stem, images, "stem");
        let stem = graph.batch_norm(&self.stem_norm, &stem, "stem_norm");
        let stem = graph.relu(&stem);
        let pooled = graph.max_pool(&self.pool, &stem);
        let (stages, last) = write_stages_onnx(graph, &self.stages, &pooled);
        GraphOutputs::pooled(graph, stages, &last, &self.output)
    }

    /// The last block's second batch norm in each stage.
    pub(super) fn norms_before_relu(&self) -> Vec<NormBeforeRelu> {
        stage_norms(&self.stages)
    }
}
