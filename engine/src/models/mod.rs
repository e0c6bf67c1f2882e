//! The model zoo: MLPs, plain CNNs, CIFAR-style ResNets, Wide ResNets, VGGs, MobileNetV2s,
//! ShuffleNetV2s and torchvision's ResNets behind one
//! [`Net`], each returning its stage features with its logits so feature distillation works on
//! any pair; their weights in and out in PyTorch's names ([`weights`]) and as ONNX ([`onnx`]);
//! and [`Model`], a trained run's model: a [`Net`] or a frozen ONNX teacher.

mod cnn;
mod imagenet_resnet;
mod layers;
mod mlp;
mod mobilenetv2;
mod model;
mod net;
mod onnx;
mod presets;
mod residual;
mod resnet;
mod shufflenetv2;
mod vgg;
mod weights;
mod wrn;

pub use cnn::Cnn;
pub use imagenet_resnet::{blocks_per_stage, ImagenetResnet};
pub use layers::{conv2d, conv_without_bias};
pub use mlp::Mlp;
pub use mobilenetv2::MobilenetV2;
pub use model::{Classifier, Model};
pub use net::{seeded, Features, InputShape, Net, NormBeforeRelu, PreActivation, StageShape};
pub use onnx::{
    burnpack_to_onnx, export_onnx, OnnxChoice, OnnxError, OnnxOutput, OnnxRunner, OnnxTeacher,
    IMAGES, LOGITS,
};
pub use presets::{preset, presets, resolve, resolve_zoo, Preset};
pub use resnet::Resnet;
pub use shufflenetv2::{ShufflenetV2, SIZES as SHUFFLENET_SIZES};
pub use vgg::Vgg;
pub use weights::{
    burnpack_to_safetensors, export_safetensors, import_weights, Mismatch, MisshapenTensor,
    WeightsError, WeightsFormat,
};
pub use wrn::Wrn;
