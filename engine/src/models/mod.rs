//! The model zoo: MLPs, plain CNNs, CIFAR-style ResNets, Wide ResNets and VGGs behind one [`Net`], each returning
//! its stage features with its logits so feature distillation works on any pair.

mod cnn;
mod layers;
mod mlp;
mod net;
mod presets;
mod residual;
mod resnet;
mod vgg;
mod weights;
mod wrn;

pub use cnn::Cnn;
pub use layers::{conv2d, conv_without_bias};
pub use mlp::Mlp;
pub use net::{seeded, Features, InputShape, Net, NormBeforeRelu, PreActivation, StageShape};
pub use presets::{preset, presets, resolve, Preset};
pub use resnet::Resnet;
pub use vgg::Vgg;
pub use weights::{
    burnpack_to_safetensors, export_safetensors, import_weights, Mismatch, MisshapenTensor,
    WeightsError, WeightsFormat,
};
pub use wrn::Wrn;
