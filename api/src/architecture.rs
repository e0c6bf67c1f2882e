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
    /// mdistiller's CIFAR ShuffleNetV2.
    Shufflenetv2(ShufflenetV2Spec),
    /// A frozen teacher imported from an ONNX file (`POST /api/models`): it teaches and is
    /// evaluated, but is never trained, so a spec names it only through `chain[0].from_run`.
    Onnx(OnnxSpec),
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

/// A frozen ONNX teacher, as its import resolved it: which outputs are its logits and its
/// stage features (with their shapes), and how its input is prepared.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct OnnxSpec {
    /// The output holding the class scores, `[batch, classes]`.
    pub logits: String,
    /// The outputs that serve as stage features for the feature methods, input side first.
    #[serde(default)]
    pub features: Vec<OnnxFeature>,
    /// How the lab's images are turned into the graph's input.
    #[serde(default)]
    pub preprocess: OnnxPreprocess,
    /// Elements of the graph's weights (its float initializers).
    pub params: usize,
}

impl OnnxSpec {
    /// `onnx (features: stage1, stage2)`, or `onnx (logits only)`.
    pub fn label(&self) -> String {
        let features: Vec<&str> = self.features.iter().map(|f| f.output.as_str()).collect();
        match features.is_empty() {
            true => "onnx (logits only)".into(),
            false => format!("onnx (features: {})", features.join(", ")),
        }
    }
}

/// An output of an ONNX graph used as a stage's features, and its shape for one image.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct OnnxFeature {
    /// The output's name in the graph.
    pub output: String,
    /// Channels.
    pub channels: usize,
    /// Height (1 for a vector output).
    pub height: usize,
    /// Width (1 for a vector output).
    pub width: usize,
}

/// The preprocessing an imported ONNX model expects, applied for that model only. Without
/// `mean` and `std` it reads the images as the lab's own models do (normalised with the
/// training set's per-channel statistics); with them it reads pixels in `[0, 1]` normalised by
/// these values.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct OnnxPreprocess {
    /// `[height, width]` the images are resized to (bilinear) [default: the dataset's].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<[usize; 2]>,
    /// Per-channel mean of pixels in `[0, 1]` (one value per input channel of the graph).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mean: Option<Vec<f32>>,
    /// Per-channel standard deviation, as `mean`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub std: Option<Vec<f32>>,
    /// Repeat a grey image's one channel three times, for a graph that takes RGB.
    #[serde(default)]
    pub grey_to_rgb: bool,
}

/// The size of mdistiller's CIFAR ShuffleNetV2 (`net_size` of its `configs`; its `ShuffleV2`
/// is 1): stage widths 40/80/160 at 0.2 and 0.3, 48/96/192 at 0.5, 116/232/464 at 1,
/// 176/352/704 at 1.5, 224/488/976 at 2.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ShufflenetV2Spec {
    /// One of 0.2, 0.3, 0.5, 1, 1.5 and 2.
    #[serde(default = "one")]
    pub size: f64,
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
    /// ShuffleNetV2.
    Shufflenetv2,
}
