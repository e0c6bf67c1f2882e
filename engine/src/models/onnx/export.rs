//! [`export_onnx`]: a zoo model as an `.onnx` file any ONNX runtime (onnxruntime, TensorRT,
//! tract, OpenVINO) reads.

use burn::prelude::*;

use api::Architecture;

use super::OnnxGraph;
use crate::models::weights::reference_name;
use crate::models::{InputShape, Net, WeightsError};

/// The graph input: a batch of images. // [batch, channels, height, width]
pub const IMAGES: &str = "images";
/// The graph output of class scores. // [batch, classes]
pub const LOGITS: &str = "logits";

/// `net`, which takes images of `input`'s shape, as an ONNX model: input [`IMAGES`], outputs
/// [`LOGITS`] and `stage1`, `stage2`, … (each stage's features, as the lab's feature methods
/// read them), the batch dimension free, the weights as they are in `net` (batch norms with
/// their running statistics, as in evaluation).
pub fn export_onnx(net: &Net, input: InputShape) -> Vec<u8> {
    let mut graph = OnnxGraph::new(|path| reference_name(net, path));
    let outputs = match net {
        Net::Mlp(m) => m.write_onnx(&mut graph, IMAGES),
        Net::Cnn(m) => m.write_onnx(&mut graph, IMAGES),
        Net::Resnet(m) => m.write_onnx(&mut graph, IMAGES),
        Net::Wrn(m) => m.write_onnx(&mut graph, IMAGES),
        Net::Vgg(m) => m.write_onnx(&mut graph, IMAGES, input.height),
        Net::ImagenetResnet(m) => m.write_onnx(&mut graph, IMAGES),
        Net::Mobilenetv2(m) => m.write_onnx(&mut graph, IMAGES),
        Net::Shufflenetv2(m) => m.write_onnx(&mut graph, IMAGES, input),
    };
    let device = net
        .devices()
        .into_iter()
        .next()
        .unwrap_or_else(Device::flex);
    let image = [input.channels, input.height, input.width];
    let one = Tensor::<4>::zeros([1, image[0], image[1], image[2]], &device);
    let shapes = net
        .forward_features(one)
        .stages
        .iter()
        .map(|s| s.dims()[1..].to_vec())
        .collect::<Vec<_>>();
    graph.output(&outputs.logits, LOGITS, &[input.classes]);
    for (i, (stage, shape)) in outputs.stages.iter().zip(shapes).enumerate() {
        graph.output(stage, &format!("stage{}", i + 1), &shape);
    }
    let doc = "Exported by Distill Lab: input `images` [batch, channels, height, width] \
               normalised as the lab's dataset is; outputs `logits` and `stage1`… (features).";
    graph.encode(IMAGES, &image, doc)
}

/// The `.onnx` file of the model a burnpack file (a run's `model.bpk`) holds, built on the CPU.
pub fn burnpack_to_onnx(
    architecture: &Architecture,
    input: InputShape,
    burnpack: Vec<u8>,
) -> Result<Vec<u8>, WeightsError> {
    let net = Net::from_burnpack(architecture, input, burnpack, &Device::flex())
        .map_err(|e| WeightsError::Export(format!("the burnpack file does not load: {e}")))?;
    Ok(export_onnx(&net, input))
}
