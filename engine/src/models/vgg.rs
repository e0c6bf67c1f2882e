//! VGG with batch norm, as mdistiller defines it for CIFAR (`mdistiller/models/cifar/vgg.py`,
//! `vgg8_bn`, `vgg13_bn`): five blocks of `conv 3×3 (with bias) → BN → ReLU` layers, a 2×2 max
//! pool after each of the first three blocks (after the fourth too on 64-pixel-high images, as
//! the reference does), global average pooling and a linear classifier on the last block's
//! channels.
//!
//! Each block's activated output is a stage; its pre-activation is its last BN's output, and
//! that BN is the one before the stage's ReLU.

use api::VggSpec;
use burn::nn::conv::Conv2d;
use burn::nn::pool::{MaxPool2d, MaxPool2dConfig};
use burn::nn::{BatchNorm, BatchNormConfig, Linear, LinearConfig};
use burn::prelude::*;
use burn::tensor::activation::relu;

use super::onnx::{GraphOutputs, OnnxGraph};
use super::{conv2d, Features, InputShape, NormBeforeRelu, PreActivation, StageShape};
use crate::kernels::{batch_norm, batch_norm_relu, conv2d as apply_conv};

/// `conv → BN`, followed by a ReLU.
#[derive(Module, Debug)]
struct ConvNorm {
    conv: Conv2d,
    norm: BatchNorm,
}

/// The VGG network.
#[derive(Module, Debug)]
pub struct Vgg {
    blocks: Vec<Vec<ConvNorm>>,
    pool: MaxPool2d,
    output: Linear,
}

/// Whether a 2×2 max pool follows block `index` (of five) on images `height` pixels high.
fn pools_after(index: usize, height: usize) -> bool {
    index < 3 || (index == 3 && height == 64)
}

impl Vgg {
    /// Builds the network. `spec.blocks` holds five non-empty blocks (validated with the spec).
    pub fn init(spec: &VggSpec, input: InputShape, device: &Device) -> Vgg {
        let mut current = input.channels;
        let blocks = spec
            .blocks
            .iter()
            .map(|widths| {
                widths
                    .iter()
                    .map(|&width| {
                        let layer = ConvNorm {
                            conv: conv2d(current, width, 3, 1, true, device),
                            norm: BatchNormConfig::new(width).init(device),
                        };
                        current = width;
                        layer
                    })
                    .collect()
            })
            .collect();
        Vgg {
            blocks,
            pool: MaxPool2dConfig::new([2, 2]).with_strides([2, 2]).init(),
            output: LinearConfig::new(current, input.classes).init(device),
        }
    }

    pub(super) fn stage_shapes(spec: &VggSpec, input: InputShape) -> Vec<StageShape> {
        let (mut h, mut w) = (input.height, input.width);
        spec.blocks
            .iter()
            .enumerate()
            .map(|(i, widths)| {
                let shape = StageShape {
                    channels: widths.last().copied().unwrap_or(0),
                    height: h,
                    width: w,
                };
                if pools_after(i, input.height) {
                    (h, w) = (h / 2, w / 2);
                }
                shape
            })
            .collect()
    }

    pub(super) fn embedding_width(spec: &VggSpec) -> usize {
        spec.blocks
            .last()
            .and_then(|widths| widths.last())
            .copied()
            .unwrap_or(0)
    }

    pub(super) fn forward_features(&self, images: Tensor<4>, pre: PreActivation) -> Features {
        let height = images.dims()[2];
        let mut x = images;
        let mut stages = Vec::with_capacity(self.blocks.len());
        let mut pre_activation = Vec::new();
        for (i, block) in self.blocks.iter().enumerate() {
            let (last, first) = block.split_last().expect("a block has layers");
            for layer in first {
                x = batch_norm_relu(&layer.norm, apply_conv(&layer.conv, x));
            }
            let conv = apply_conv(&last.conv, x);
            x = match pre {
                PreActivation::Skip => batch_norm_relu(&last.norm, conv),
                PreActivation::Keep => {
                    let before = batch_norm(&last.norm, conv);
                    pre_activation.push(before.clone());
                    relu(before)
                }
            };
            stages.push(x.clone());
            if pools_after(i, height) {
                x = self.pool.forward(x);
            }
        }
        Features::pooled(stages, pre_activation, x, &self.output)
    }

    /// The same forward pass, on images `height` pixels high, written as an ONNX graph.
    pub(super) fn write_onnx(
        &self,
        graph: &mut OnnxGraph,
        images: &str,
        height: usize,
    ) -> GraphOutputs {
        let mut x = images.to_string();
        let mut stages = Vec::with_capacity(self.blocks.len());
        for (i, block) in self.blocks.iter().enumerate() {
            for (l, layer) in block.iter().enumerate() {
                let conv = graph.conv(&layer.conv, &x, &format!("blocks.{i}.{l}.conv"));
                let normed = graph.batch_norm(&layer.norm, &conv, &format!("blocks.{i}.{l}.norm"));
                x = graph.relu(&normed);
            }
            stages.push(x.clone());
            if pools_after(i, height) {
                x = graph.max_pool(&self.pool, &x);
            }
        }
        GraphOutputs::pooled(graph, stages, &x, &self.output)
    }

    /// Each block's last BN.
    pub(super) fn norms_before_relu(&self) -> Vec<NormBeforeRelu> {
        self.blocks
            .iter()
            .map(|block| NormBeforeRelu::of(&block.last().expect("a block has layers").norm))
            .collect()
    }
}
