//! The model zoo: MLPs, plain CNNs and CIFAR-style ResNets behind one [`Net`], each returning
//! its stage features with its logits so feature distillation works on any pair.

mod cnn;
mod layers;
mod mlp;
mod net;
mod presets;
mod resnet;

pub use cnn::Cnn;
pub use layers::conv2d;
pub use mlp::Mlp;
pub use net::{seeded, Features, InputShape, Net, NormBeforeRelu, PreActivation, StageShape};
pub use presets::{preset, presets, resolve, Preset};
pub use resnet::Resnet;
