//! ShuffleNetV2 as mdistiller defines it for CIFAR (`mdistiller/models/cifar/ShuffleNetv2.py`;
//! Ma et al. 2018): a 1×1 stem conv to 24 channels, three stages, a 1×1 conv to the head
//! width, global average pooling and a linear classifier. A stage opens with a down-sampling
//! unit (two branches, each through a 3×3 stride-2 depthwise conv, concatenated) and goes on
//! with basic units (half the channels pass through, the other half go through a 1×1 conv, a
//! 3×3 depthwise conv and a 1×1 conv, then the halves are concatenated); every unit ends by
//! shuffling the channels of its two halves together. The sizes are mdistiller's `configs`
//! (`net_size` 0.2 to 2; its `ShuffleV2` is 1).
//!
//! Its stages are mdistiller's `f1`–`f3`, the three stages' outputs. The pre-activation of a
//! stage is its last unit's concatenation before the ReLU, shuffled like the output (mdistiller
//! keeps it unshuffled; the two differ by a fixed permutation of the channels), so that every
//! stage is still its pre-activation's ReLU. Like mdistiller, the lab has no batch norm before a
//! stage's ReLU to give OFD: it is refused as OFD's teacher. On images other than 32×32 the
//! final 4×4 average pool is a global one.

use api::ShufflenetV2Spec;
use burn::nn::{Linear, LinearConfig};
use burn::prelude::*;

use super::layers::ConvNorm;
use super::onnx::{GraphOutputs, OnnxGraph};
use super::{Features, InputShape, PreActivation, StageShape};

/// `(net_size, stage channels, head channels, basic units per stage)`, mdistiller's `configs`.
pub const SIZES: [(f64, [usize; 3], usize, [usize; 3]); 6] = [
    (0.2, [40, 80, 160], 512, [3, 3, 3]),
    (0.3, [40, 80, 160], 512, [3, 7, 3]),
    (0.5, [48, 96, 192], 1024, [3, 7, 3]),
    (1.0, [116, 232, 464], 1024, [3, 7, 3]),
    (1.5, [176, 352, 704], 1024, [3, 7, 3]),
    (2.0, [224, 488, 976], 2048, [3, 7, 3]),
];

/// The stem's channels.
const STEM: usize = 24;

/// The row of [`SIZES`] for a spec's size (validation admits only those).
fn config(spec: &ShufflenetV2Spec) -> (f64, [usize; 3], usize, [usize; 3]) {
    *SIZES
        .iter()
        .find(|(size, ..)| *size == spec.size)
        .unwrap_or_else(|| panic!("ShuffleNetV2 has no size {} (validation checks)", spec.size))
}

/// `[n, c, h, w]`: the channels of two halves interleaved (`[n, 2, c/2, h, w]` transposed).
fn shuffle(x: Tensor<4>) -> Tensor<4> {
    let [n, c, h, w] = x.dims();
    x.reshape([n, 2, c / 2, h, w])
        .swap_dims(1, 2)
        .reshape([n, c, h, w])
}

/// Halves the image on two branches and doubles the channels: mdistiller's `DownBlock`.
#[derive(Module, Debug)]
struct DownUnit {
    /// `conv1`/`bn1`: 3×3 stride-2 depthwise, no ReLU.
    left_depthwise: ConvNorm,
    /// `conv2`/`bn2`: 1×1 to half the output, ReLU.
    left_project: ConvNorm,
    /// `conv3`/`bn3`: 1×1 to half the output, ReLU.
    right_squeeze: ConvNorm,
    /// `conv4`/`bn4`: 3×3 stride-2 depthwise, no ReLU.
    right_depthwise: ConvNorm,
    /// `conv5`/`bn5`: 1×1, ReLU.
    right_project: ConvNorm,
}

impl DownUnit {
    fn init(input: usize, output: usize, device: &Device) -> DownUnit {
        let half = output / 2;
        DownUnit {
            left_depthwise: ConvNorm::depthwise(input, 2, device),
            left_project: ConvNorm::pointwise(input, half, device),
            right_squeeze: ConvNorm::pointwise(input, half, device),
            right_depthwise: ConvNorm::depthwise(half, 2, device),
            right_project: ConvNorm::pointwise(half, half, device),
        }
    }

    fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        let left = self.left_depthwise.forward(x.clone());
        let left = self.left_project.forward_relu(left);
        let right = self.right_squeeze.forward_relu(x);
        let right = self.right_depthwise.forward(right);
        let right = self.right_project.forward_relu(right);
        shuffle(Tensor::cat(vec![left, right], 1))
    }

    /// Its output channels.
    fn channels(&self) -> usize {
        2 * self.right_project.conv.weight.dims()[0]
    }

    fn write_onnx(&self, graph: &mut OnnxGraph, x: &str, path: &str, shape: [usize; 3]) -> String {
        let at = |module: &str| format!("{path}.{module}");
        let left = self
            .left_depthwise
            .write_onnx(graph, x, &at("left_depthwise"), false);
        let left = self
            .left_project
            .write_onnx(graph, &left, &at("left_project"), true);
        let right = self
            .right_squeeze
            .write_onnx(graph, x, &at("right_squeeze"), true);
        let right = self
            .right_depthwise
            .write_onnx(graph, &right, &at("right_depthwise"), false);
        let right = self
            .right_project
            .write_onnx(graph, &right, &at("right_project"), true);
        let joined = graph.concat(&[&left, &right]);
        graph.channel_shuffle(&joined, shape)
    }
}

/// Half the channels through, half transformed: mdistiller's `BasicBlock`.
#[derive(Module, Debug)]
struct BasicUnit {
    /// `conv1`/`bn1`: 1×1, ReLU.
    squeeze: ConvNorm,
    /// `conv2`/`bn2`: 3×3 depthwise, no ReLU.
    depthwise: ConvNorm,
    /// `conv3`/`bn3`: 1×1, ReLU after the concatenation's pre-activation is taken.
    expand: ConvNorm,
}

impl BasicUnit {
    fn init(channels: usize, device: &Device) -> BasicUnit {
        let half = channels / 2;
        BasicUnit {
            squeeze: ConvNorm::pointwise(half, half, device),
            depthwise: ConvNorm::depthwise(half, 1, device),
            expand: ConvNorm::pointwise(half, half, device),
        }
    }

    /// The unit's output and, when asked, its pre-activation (both shuffled).
    fn forward(&self, x: Tensor<4>, pre: PreActivation) -> (Tensor<4>, Option<Tensor<4>>) {
        let channels = x.dims()[1];
        let half = channels / 2;
        let passed = x.clone().narrow(1, 0, half);
        let out = self
            .squeeze
            .forward_relu(x.narrow(1, half, channels - half));
        let out = self.depthwise.forward(out);
        match pre {
            PreActivation::Skip => {
                let out = self.expand.forward_relu(out);
                (shuffle(Tensor::cat(vec![passed, out], 1)), None)
            }
            PreActivation::Keep => {
                let before = self.expand.forward(out);
                let out = burn::tensor::activation::relu(before.clone());
                let pre = shuffle(Tensor::cat(vec![passed.clone(), before], 1));
                (shuffle(Tensor::cat(vec![passed, out], 1)), Some(pre))
            }
        }
    }

    fn write_onnx(&self, graph: &mut OnnxGraph, x: &str, path: &str, shape: [usize; 3]) -> String {
        let half = shape[0] / 2;
        let passed = graph.channels(x, 0, half);
        let rest = graph.channels(x, half, shape[0]);
        let out = self
            .squeeze
            .write_onnx(graph, &rest, &format!("{path}.squeeze"), true);
        let out = self
            .depthwise
            .write_onnx(graph, &out, &format!("{path}.depthwise"), false);
        let out = self
            .expand
            .write_onnx(graph, &out, &format!("{path}.expand"), true);
        let joined = graph.concat(&[&passed, &out]);
        graph.channel_shuffle(&joined, shape)
    }
}

/// A down-sampling unit and its basic units.
#[derive(Module, Debug)]
struct Stage {
    down: DownUnit,
    units: Vec<BasicUnit>,
}

/// The ShuffleNetV2.
#[derive(Module, Debug)]
pub struct ShufflenetV2 {
    stem: ConvNorm,
    stages: Vec<Stage>,
    head: ConvNorm,
    output: Linear,
}

impl ShufflenetV2 {
    /// Builds the network.
    pub fn init(spec: &ShufflenetV2Spec, input: InputShape, device: &Device) -> ShufflenetV2 {
        let (_, channels, head, units) = config(spec);
        let mut current = STEM;
        let stages = channels
            .iter()
            .zip(units)
            .map(|(&output, units)| {
                let stage = Stage {
                    down: DownUnit::init(current, output, device),
                    units: (0..units)
                        .map(|_| BasicUnit::init(output, device))
                        .collect(),
                };
                current = output;
                stage
            })
            .collect();
        ShufflenetV2 {
            stem: ConvNorm::pointwise(input.channels, STEM, device),
            stages,
            head: ConvNorm::pointwise(current, head, device),
            output: LinearConfig::new(head, input.classes).init(device),
        }
    }

    pub(super) fn stage_shapes(spec: &ShufflenetV2Spec, input: InputShape) -> Vec<StageShape> {
        let (_, channels, ..) = config(spec);
        let (mut height, mut width) = (input.height, input.width);
        channels
            .iter()
            .map(|&channels| {
                (height, width) = (height.div_ceil(2), width.div_ceil(2));
                StageShape {
                    channels,
                    height,
                    width,
                }
            })
            .collect()
    }

    pub(super) fn embedding_width(spec: &ShufflenetV2Spec) -> usize {
        config(spec).2
    }

    pub(super) fn forward_features(&self, images: Tensor<4>, pre: PreActivation) -> Features {
        let mut x = self.stem.forward_relu(images);
        let mut stages = Vec::with_capacity(self.stages.len());
        let mut pre_activation = Vec::new();
        for stage in &self.stages {
            x = stage.down.forward(x);
            let mut last_pre = None;
            for unit in &stage.units {
                (x, last_pre) = unit.forward(x, pre);
            }
            stages.push(x.clone());
            pre_activation.extend(last_pre);
        }
        let head = self.head.forward_relu(x);
        Features::pooled(stages, pre_activation, head, &self.output)
    }

    /// The same forward pass written as an ONNX graph, for images of `input`'s size.
    pub(super) fn write_onnx(
        &self,
        graph: &mut OnnxGraph,
        images: &str,
        input: InputShape,
    ) -> GraphOutputs {
        let (mut height, mut width) = (input.height, input.width);
        let mut x = self.stem.write_onnx(graph, images, "stem", true);
        let mut stages = Vec::with_capacity(self.stages.len());
        for (s, stage) in self.stages.iter().enumerate() {
            (height, width) = (height.div_ceil(2), width.div_ceil(2));
            let shape = [stage.down.channels(), height, width];
            x = stage
                .down
                .write_onnx(graph, &x, &format!("stages.{s}.down"), shape);
            for (u, unit) in stage.units.iter().enumerate() {
                x = unit.write_onnx(graph, &x, &format!("stages.{s}.units.{u}"), shape);
            }
            stages.push(x.clone());
        }
        let head = self.head.write_onnx(graph, &x, "head", true);
        GraphOutputs::pooled(graph, stages, &head, &self.output)
    }
}
