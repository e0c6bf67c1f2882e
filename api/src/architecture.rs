//! Model architectures: a named preset or explicit sizes of one of the zoo's families.

use serde::{Deserialize, Serialize};

/// A model of the zoo. Presets are resolved into explicit sizes when a spec is validated, so a
/// stored spec always says exactly what was trained.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Architecture {
    /// A named preset such as `cnn-l` or `resnet20` (see `distill presets`).
    Preset {
        /// The preset's name.
        name: String,
    },
    /// A multi-layer perceptron on the flattened image.
    Mlp(MlpSpec),
    /// A plain convolutional network (the TAKD "plane-N" family).
    Cnn(CnnSpec),
    /// A CIFAR-style residual network.
    Resnet(ResnetSpec),
    /// A wide residual network (pre-activation blocks).
    Wrn(WrnSpec),
    /// A VGG network with batch norm.
    Vgg(VggSpec),
    /// torchvision's ResNet of basic blocks (`resnet18`, `resnet34`), with its ImageNet stem.
    ImagenetResnet(ImagenetResnetSpec),
    /// mdistiller's CIFAR MobileNetV2.
    Mobilenetv2(MobilenetV2Spec),
}

/// Sizes of a multi-layer perceptron.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct MlpSpec {
    /// Width of each hidden layer, input side first.
    pub hidden: Vec<usize>,
}

/// Sizes of a plain CNN: 3×3 conv + batch norm + ReLU layers, a 2×2 max pool after every
/// second layer, then one hidden fully connected layer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CnnSpec {
    /// Output channels of each conv layer.
    pub channels: Vec<usize>,
    /// Width of the hidden fully connected layer.
    pub fc: usize,
}

/// Sizes of a CIFAR-style ResNet (He et al. 2016, §4.2): depth `6n+2`, three stages of `n`
/// basic blocks with 16·w, 32·w and 64·w channels.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ResnetSpec {
    /// Total depth: 8, 14, 20, 32, 56, ... (`6n + 2`).
    pub depth: usize,
    /// Width multiplier of the channel counts.
    #[serde(default = "one")]
    pub width: f64,
    /// Channels of the stem conv; 16·width when absent (mdistiller's ×4 ResNets have 32, half
    /// their first stage's 64).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stem: Option<usize>,
}

/// Sizes of a Wide ResNet (Zagoruyko & Komodakis 2016; mdistiller's `wrn_16_2`, `wrn_40_2`):
/// depth `6n+4`, three groups of `n` pre-activation blocks with 16·k, 32·k and 64·k channels.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct WrnSpec {
    /// Total depth: 10, 16, 22, 28, 40, ... (`6n + 4`).
    pub depth: usize,
    /// The widening factor k.
    pub widen: usize,
}

/// Sizes of a VGG network with batch norm (mdistiller's `vgg8_bn`, `vgg13_bn`): five blocks of
/// 3×3 conv layers, a max pool after each of the first three.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct VggSpec {
    /// The output channels of each block's conv layers: five blocks, input side first.
    pub blocks: Vec<Vec<usize>>,
}

/// Sizes of torchvision's ResNet of basic blocks (`torchvision.models.resnet18`, `resnet34`):
/// a 7×7 stride-2 stem and a 3×3 max pool, four stages with 64·w, 128·w, 256·w and 512·w
/// channels.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ImagenetResnetSpec {
    /// 10, 18 or 34: one, two, or (3, 4, 6, 3) basic blocks per stage.
    pub depth: usize,
    /// Width multiplier of the channel counts.
    #[serde(default = "one")]
    pub width: f64,
}

/// Sizes of mdistiller's CIFAR MobileNetV2 (`mobilenetv2_T_w`; its `MobileNetV2` is expansion
/// 6 at half width): seven groups of inverted residual blocks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct MobilenetV2Spec {
    /// How many times a block widens its input before the depthwise conv (t).
    #[serde(default = "six")]
    pub expansion: usize,
    /// Width multiplier of the channel counts (w).
    #[serde(default = "one")]
    pub width: f64,
}

fn six() -> usize {
    6
}

fn one() -> f64 {
    1.0
}

/// The family of an architecture, for listings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ArchitectureKind {
    /// Multi-layer perceptron.
    Mlp,
    /// Plain CNN.
    Cnn,
    /// CIFAR-style ResNet.
    Resnet,
    /// Wide ResNet.
    Wrn,
    /// VGG.
    Vgg,
    /// torchvision's ResNet.
    ImagenetResnet,
    /// MobileNetV2.
    Mobilenetv2,
}
