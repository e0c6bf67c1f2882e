//! Plain CNN of the TAKD "plane-N" family: `conv3×3 → batch norm → ReLU` layers, each followed
//! by a 2×2 max pool while the image stays at least 3 pixels wide, then `fc → ReLU → fc`.
//! Every conv layer is a stage.

use api::CnnSpec;
use burn::nn::conv::Conv2d;
use burn::nn::pool::{MaxPool2d, MaxPool2dConfig};
use burn::nn::{BatchNorm, BatchNormConfig, Linear, LinearConfig};
use burn::prelude::*;
use burn::tensor::activation::relu;

use super::onnx::{GraphOutputs, OnnxGraph};
use super::{conv2d, Features, InputShape, NormBeforeRelu, PreActivation, StageShape};
use crate::kernels::{batch_norm, batch_norm_relu, conv2d as apply_conv, relu_max_pool};

/// One `conv → BN → ReLU (→ max pool)` layer.
#[derive(Module, Debug)]
struct ConvLayer {
    conv: Conv2d,
    norm: BatchNorm,
    pool: Option<MaxPool2d>,
}

/// The plain CNN.
#[derive(Module, Debug)]
pub struct Cnn {
    layers: Vec<ConvLayer>,
    fc: Linear,
    output: Linear,
}

/// Whether a layer at this spatial size pools: only while the result stays ≥ 3 pixels.
fn pools(height: usize, width: usize) -> bool {
    height / 2 >= 3 && width / 2 >= 3
}

impl Cnn {
    /// Builds the layers.
    pub fn init(spec: &CnnSpec, input: InputShape, device: &Device) -> Cnn {
        let shapes = Self::stage_shapes(spec, input);
        let mut previous = StageShape {
            channels: input.channels,
            height: input.height,
            width: input.width,
        };
        let mut layers = Vec::with_capacity(shapes.len());
        for &shape in &shapes {
            let pool = shape.height != previous.height;
            layers.push(ConvLayer {
                conv: conv2d(previous.channels, shape.channels, 3, 1, false, device),
                norm: BatchNormConfig::new(shape.channels).init(device),
                pool: pool.then(|| MaxPool2dConfig::new([2, 2]).with_strides([2, 2]).init()),
            });
            previous = shape;
        }
        let flat = previous.channels * previous.height * previous.width;
        Cnn {
            layers,
            fc: LinearConfig::new(flat, spec.fc).init(device),
            output: LinearConfig::new(spec.fc, input.classes).init(device),
        }
    }

    pub(super) fn stage_shapes(spec: &CnnSpec, input: InputShape) -> Vec<StageShape> {
        let (mut h, mut w) = (input.height, input.width);
        spec.channels
            .iter()
            .map(|&channels| {
                if pools(h, w) {
                    (h, w) = (h / 2, w / 2);
                }
                StageShape {
                    channels,
                    height: h,
                    width: w,
                }
            })
            .collect()
    }

    pub(super) fn forward_features(&self, images: Tensor<4>, pre: PreActivation) -> Features {
        let mut x = images;
        let mut stages = Vec::with_capacity(self.layers.len());
        let mut pre_activation = Vec::new();
        for layer in &self.layers {
            let conv = apply_conv(&layer.conv, x); // [batch, out, h, w]
            x = match (pre, &layer.pool) {
                (PreActivation::Keep, pool) => {
                    let normed = batch_norm(&layer.norm, conv);
                    // Max pooling and ReLU commute, so the pooled map is the one before the ReLU.
                    let before = match pool {
                        Some(pool) => pool.forward(normed),
                        None => normed,
                    };
                    pre_activation.push(before.clone());
                    relu(before)
                }
                (PreActivation::Skip, Some(pool)) => {
                    relu_max_pool(pool, batch_norm(&layer.norm, conv)) // [batch, out, h/2, w/2]
                }
                (PreActivation::Skip, None) => batch_norm_relu(&layer.norm, conv),
            };
            stages.push(x.clone());
        }
        let hidden = relu(self.fc.forward(x.flatten::<2>(1, 3))); // [batch, fc]
        Features {
            stages,
            pre_activation,
            logits: self.output.forward(hidden.clone()),
            embedding: hidden,
        }
    }

    /// The same forward pass written as an ONNX graph.
    pub(super) fn write_onnx(&self, graph: &mut OnnxGraph, images: &str) -> GraphOutputs {
        let mut x = images.to_string();
        let mut stages = Vec::with_capacity(self.layers.len());
        for (i, layer) in self.layers.iter().enumerate() {
            let conv = graph.conv(&layer.conv, &x, &format!("layers.{i}.conv"));
            let normed = graph.batch_norm(&layer.norm, &conv, &format!("layers.{i}.norm"));
            x = graph.relu(&normed);
            if let Some(pool) = &layer.pool {
                x = graph.max_pool(pool, &x);
            }
            stages.push(x.clone());
        }
        let flat = graph.flatten(&x);
        let hidden = graph.linear(&self.fc, &flat, "fc");
        let hidden = graph.relu(&hidden);
        let logits = graph.linear(&self.output, &hidden, "output");
        GraphOutputs { stages, logits }
    }

    pub(super) fn norms_before_relu(&self) -> Vec<NormBeforeRelu> {
        self.layers
            .iter()
            .map(|layer| NormBeforeRelu::of(&layer.norm))
            .collect()
    }
}
