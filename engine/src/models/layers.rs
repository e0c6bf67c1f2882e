//! Layer constructors shared by the zoo and the distillation modules, and [`ConvNorm`], the
//! conv-and-batch-norm pair MobileNetV2 and ShuffleNetV2 are built of.

use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::{BatchNorm, BatchNormConfig, PaddingConfig2d};
use burn::prelude::*;

use super::onnx::OnnxGraph;
use crate::kernels::{batch_norm, batch_norm_relu, conv2d as apply_conv};

/// A square convolution without bias (a batch norm follows it), padded to keep the spatial
/// size at stride 1.
pub fn conv_without_bias(
    input: usize,
    output: usize,
    kernel: usize,
    stride: usize,
    device: &Device,
) -> Conv2d {
    conv2d(input, output, kernel, stride, false, device)
}

/// A square convolution padded to keep the spatial size at stride 1 (`kernel / 2` on each side).
pub fn conv2d(
    input: usize,
    output: usize,
    kernel: usize,
    stride: usize,
    bias: bool,
    device: &Device,
) -> Conv2d {
    let pad = kernel / 2;
    Conv2dConfig::new([input, output], [kernel, kernel])
        .with_stride([stride, stride])
        .with_padding(PaddingConfig2d::Explicit(pad, pad, pad, pad))
        .with_bias(bias)
        .init(device)
}

/// A conv and its batch norm.
#[derive(Module, Debug)]
pub(super) struct ConvNorm {
    pub(super) conv: Conv2d,
    pub(super) norm: BatchNorm,
}

impl ConvNorm {
    pub(super) fn new(conv: Conv2d, channels: usize, device: &Device) -> ConvNorm {
        ConvNorm {
            conv,
            norm: BatchNormConfig::new(channels).init(device),
        }
    }

    /// A 3×3 depthwise conv of `channels` at `stride` (padded by 1) and its batch norm.
    pub(super) fn depthwise(channels: usize, stride: usize, device: &Device) -> ConvNorm {
        let conv = Conv2dConfig::new([channels, channels], [3, 3])
            .with_stride([stride, stride])
            .with_padding(PaddingConfig2d::Explicit(1, 1, 1, 1))
            .with_groups(channels)
            .with_bias(false)
            .init(device);
        ConvNorm::new(conv, channels, device)
    }

    /// A 1×1 conv from `input` to `output` channels and its batch norm.
    pub(super) fn pointwise(input: usize, output: usize, device: &Device) -> ConvNorm {
        ConvNorm::new(
            conv_without_bias(input, output, 1, 1, device),
            output,
            device,
        )
    }

    /// `relu(norm(conv(x)))`.
    pub(super) fn forward_relu(&self, x: Tensor<4>) -> Tensor<4> {
        batch_norm_relu(&self.norm, apply_conv(&self.conv, x))
    }

    /// `norm(conv(x))`.
    pub(super) fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        batch_norm(&self.norm, apply_conv(&self.conv, x))
    }

    /// The same in ONNX, at module path `path`, with or without the ReLU.
    pub(super) fn write_onnx(
        &self,
        graph: &mut OnnxGraph,
        x: &str,
        path: &str,
        relu: bool,
    ) -> String {
        let conv = graph.conv(&self.conv, x, &format!("{path}.conv"));
        let normed = graph.batch_norm(&self.norm, &conv, &format!("{path}.norm"));
        match relu {
            true => graph.relu(&normed),
            false => normed,
        }
    }
}
