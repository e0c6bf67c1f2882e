//! Multi-layer perceptron on the flattened image; each hidden layer is a "stage".

use api::MlpSpec;
use burn::nn::{Linear, LinearConfig};
use burn::prelude::*;
use burn::tensor::activation::relu;

use super::onnx::{GraphOutputs, OnnxGraph};
use super::{Features, InputShape, PreActivation, StageShape};

/// `Linear → ReLU` per hidden layer, then a linear classifier.
#[derive(Module, Debug)]
pub struct Mlp {
    hidden: Vec<Linear>,
    output: Linear,
}

impl Mlp {
    /// Builds the layers.
    pub fn init(spec: &MlpSpec, input: InputShape, device: &Device) -> Mlp {
        let mut width = input.channels * input.height * input.width;
        let hidden = spec
            .hidden
            .iter()
            .map(|&next| {
                let layer = LinearConfig::new(width, next).init(device);
                width = next;
                layer
            })
            .collect();
        Mlp {
            hidden,
            output: LinearConfig::new(width, input.classes).init(device),
        }
    }

    pub(super) fn stage_shapes(spec: &MlpSpec) -> Vec<StageShape> {
        spec.hidden
            .iter()
            .map(|&channels| StageShape {
                channels,
                height: 1,
                width: 1,
            })
            .collect()
    }

    pub(super) fn forward_features(&self, images: Tensor<4>, pre: PreActivation) -> Features {
        let mut x = images.flatten::<2>(1, 3); // [batch, c·h·w]
        let mut stages = Vec::with_capacity(self.hidden.len());
        let mut pre_activation = Vec::new();
        for layer in &self.hidden {
            let before = layer.forward(x); // [batch, width]
            let [batch, width] = before.dims();
            if pre == PreActivation::Keep {
                pre_activation.push(before.clone().reshape([batch, width, 1, 1]));
            }
            x = relu(before);
            stages.push(x.clone().reshape([batch, width, 1, 1]));
        }
        Features {
            stages,
            pre_activation,
            logits: self.output.forward(x.clone()),
            embedding: x,
        }
    }

    /// The same forward pass written as an ONNX graph.
    pub(super) fn write_onnx(&self, graph: &mut OnnxGraph, images: &str) -> GraphOutputs {
        let mut x = graph.flatten(images);
        let mut stages = Vec::with_capacity(self.hidden.len());
        for (i, layer) in self.hidden.iter().enumerate() {
            let before = graph.linear(layer, &x, &format!("hidden.{i}"));
            x = graph.relu(&before);
            stages.push(graph.as_map(&x, layer.weight.dims()[1]));
        }
        let logits = graph.linear(&self.output, &x, "output");
        GraphOutputs { stages, logits }
    }
}
