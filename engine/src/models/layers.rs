//! Layer constructors shared by the zoo and the distillation modules.

use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::PaddingConfig2d;
use burn::prelude::*;

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
