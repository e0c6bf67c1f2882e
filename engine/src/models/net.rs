//! [`Net`]: any model of the zoo, with its stage features, parameter count and size.

use std::collections::BTreeMap;
use std::sync::Mutex;

use api::Architecture;
use burn::module::{ModuleVisitor, Param};
use burn::prelude::*;

use super::{Cnn, ImagenetResnet, Mlp, MobilenetV2, Resnet, ShufflenetV2, Vgg, Wrn};

/// Serialises seeded initialisation across threads.
static INIT_LOCK: Mutex<()> = Mutex::new(());

/// Builds a module with burn's random generator seeded with `seed`. burn may keep one generator
/// for the whole process and draws a parameter's initial values lazily, at its first use; so
/// every module is built here, and its parameters are drawn before the lock is released: no
/// other thread's draws can interleave between the seeding and the last parameter drawn.
pub fn seeded<M: Module>(device: &Device, seed: u64, init: impl FnOnce() -> M) -> M {
    struct Materialize;
    impl ModuleVisitor for Materialize {
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
            let _ = param.val();
        }
    }
    let _guard = INIT_LOCK
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    device.seed(seed);
    let module = init();
    module.visit(&mut Materialize);
    module
}

/// Parameter counts already taken, by architecture (as JSON) and input shape: counting builds
/// the model, which takes a good part of a second for a ResNet-34, and the preset list and
/// every spec's validation ask again.
static COUNTED: Mutex<BTreeMap<(String, [usize; 4]), usize>> = Mutex::new(BTreeMap::new());

/// Most counts [`COUNTED`] keeps, so that architectures sent by clients cannot grow it forever.
const MAX_COUNTED: usize = 1024;

/// What a model sees: the image shape and the number of classes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InputShape {
    /// Colour channels.
    pub channels: usize,
    /// Image height.
    pub height: usize,
    /// Image width.
    pub width: usize,
    /// Number of classes.
    pub classes: usize,
}

/// The shape of one stage's features, batch excluded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StageShape {
    /// Channels.
    pub channels: usize,
    /// Height (1 for MLP layers).
    pub height: usize,
    /// Width (1 for MLP layers).
    pub width: usize,
}

impl StageShape {
    /// Whether the features have a spatial layout (conv stages) rather than a vector (MLP).
    pub fn is_spatial(&self) -> bool {
        self.height > 1 || self.width > 1
    }
}

/// Whether a forward pass also keeps each stage's output before its last ReLU.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PreActivation {
    /// Only the stage outputs (the fused kernels' fast path).
    Skip,
    /// The outputs before the ReLU too (OFD reads them); the ReLU then runs on its own.
    Keep,
}

/// The scale and shift of the batch norm right before a stage's last ReLU. // each [channels]
#[derive(Debug, Clone, PartialEq)]
pub struct NormBeforeRelu {
    /// γ.
    pub scale: Vec<f32>,
    /// β.
    pub shift: Vec<f32>,
}

impl NormBeforeRelu {
    pub(super) fn of(norm: &burn::nn::BatchNorm) -> NormBeforeRelu {
        let host = |t: Tensor<1>| t.into_data().try_to_vec::<f32>().expect("f32 weights");
        NormBeforeRelu {
            scale: host(norm.gamma.val()),
            shift: host(norm.beta.val()),
        }
    }
}

/// A forward pass's intermediate features and output.
#[derive(Debug, Clone)]
pub struct Features {
    /// Output of each stage, input side first. // each [batch, channels, height, width]
    pub stages: Vec<Tensor<4>>,
    /// Each stage's output before its last ReLU (`stages[i] = relu(pre_activation[i])`; the
    /// stage itself where it ends without one, as MobileNetV2's blocks do), when the pass kept
    /// them ([`PreActivation::Keep`]); empty otherwise. // as `stages`
    pub pre_activation: Vec<Tensor<4>>,
    /// The vector the classifier reads (mdistiller's `pooled_feat`: the pooled last stage of a
    /// ResNet, the hidden layer of a CNN or MLP). // [batch, dim]
    pub embedding: Tensor<2>,
    /// Class scores. // [batch, classes]
    pub logits: Tensor<2>,
}

impl Features {
    /// The features of a conv network that average-pools its last stage `last` into the
    /// embedding and classifies that with `output`.
    pub(super) fn pooled(
        stages: Vec<Tensor<4>>,
        pre_activation: Vec<Tensor<4>>,
        last: Tensor<4>,
        output: &burn::nn::Linear,
    ) -> Features {
        let embedding = burn::tensor::module::adaptive_avg_pool2d(last, [1, 1]).flatten::<2>(1, 3);
        Features {
            stages,
            pre_activation,
            logits: output.forward(embedding.clone()),
            embedding,
        }
    }
}

/// Any model of the zoo.
// One per run, moved rarely; boxing the variants would only add indirection to every forward.
#[allow(clippy::large_enum_variant)]
#[derive(Module, Debug)]
pub enum Net {
    /// Multi-layer perceptron.
    Mlp(Mlp),
    /// Plain CNN.
    Cnn(Cnn),
    /// CIFAR-style ResNet.
    Resnet(Resnet),
    /// Wide ResNet.
    Wrn(Wrn),
    /// VGG with batch norm.
    Vgg(Vgg),
    /// torchvision's ResNet.
    ImagenetResnet(ImagenetResnet),
    /// MobileNetV2.
    Mobilenetv2(MobilenetV2),
    /// ShuffleNetV2.
    Shufflenetv2(ShufflenetV2),
}

impl Net {
    /// Builds the model of a resolved (non-preset) architecture.
    ///
    /// # Panics
    /// On a preset: resolve it with [`super::resolve`] first; on an ONNX graph, which is
    /// frozen (validation refuses to train one).
    pub fn init(arch: &Architecture, input: InputShape, device: &Device) -> Net {
        match arch {
            Architecture::Mlp(spec) => Net::Mlp(Mlp::init(spec, input, device)),
            Architecture::Cnn(spec) => Net::Cnn(Cnn::init(spec, input, device)),
            Architecture::Resnet(spec) => Net::Resnet(Resnet::init(spec, input, device)),
            Architecture::Wrn(spec) => Net::Wrn(Wrn::init(spec, input, device)),
            Architecture::Vgg(spec) => Net::Vgg(Vgg::init(spec, input, device)),
            Architecture::ImagenetResnet(spec) => {
                Net::ImagenetResnet(ImagenetResnet::init(spec, input, device))
            }
            Architecture::Mobilenetv2(spec) => {
                Net::Mobilenetv2(MobilenetV2::init(spec, input, device))
            }
            Architecture::Shufflenetv2(spec) => {
                Net::Shufflenetv2(ShufflenetV2::init(spec, input, device))
            }
            Architecture::Preset { name } => panic!("preset `{name}` must be resolved first"),
            Architecture::Onnx(_) => panic!("an ONNX graph is frozen: it is never built to train"),
        }
    }

    /// The shapes of the stage features a resolved architecture produces.
    pub fn stage_shapes(arch: &Architecture, input: InputShape) -> Vec<StageShape> {
        match arch {
            Architecture::Mlp(spec) => Mlp::stage_shapes(spec),
            Architecture::Cnn(spec) => Cnn::stage_shapes(spec, input),
            Architecture::Resnet(spec) => Resnet::stage_shapes(spec, input),
            Architecture::Wrn(spec) => Wrn::stage_shapes(spec, input),
            Architecture::Vgg(spec) => Vgg::stage_shapes(spec, input),
            Architecture::ImagenetResnet(spec) => ImagenetResnet::stage_shapes(spec, input),
            Architecture::Mobilenetv2(spec) => MobilenetV2::stage_shapes(spec, input),
            Architecture::Shufflenetv2(spec) => ShufflenetV2::stage_shapes(spec, input),
            Architecture::Onnx(spec) => spec
                .features
                .iter()
                .map(|f| StageShape {
                    channels: f.channels,
                    height: f.height,
                    width: f.width,
                })
                .collect(),
            Architecture::Preset { .. } => Vec::new(),
        }
    }

    /// The width of the embedding (the vector the classifier reads) of a resolved architecture.
    pub fn embedding_width(arch: &Architecture, input: InputShape) -> usize {
        match arch {
            Architecture::Mlp(spec) => spec
                .hidden
                .last()
                .copied()
                .unwrap_or(input.channels * input.height * input.width),
            Architecture::Cnn(spec) => spec.fc,
            Architecture::Resnet(spec) => Resnet::embedding_width(spec),
            Architecture::Wrn(spec) => Wrn::embedding_width(spec),
            Architecture::Vgg(spec) => Vgg::embedding_width(spec),
            Architecture::ImagenetResnet(spec) => ImagenetResnet::embedding_width(spec),
            Architecture::Mobilenetv2(spec) => MobilenetV2::embedding_width(spec),
            Architecture::Shufflenetv2(spec) => ShufflenetV2::embedding_width(spec),
            // The last chosen output, averaged over its positions (see `OnnxTeacher`).
            Architecture::Onnx(spec) => spec.features.last().map_or(0, |f| f.channels),
            Architecture::Preset { .. } => 0,
        }
    }

    /// Trainable parameters of a resolved architecture, as PyTorch counts them (batch-norm
    /// running statistics excluded), on a throwaway CPU instance.
    /// Counts are remembered (up to [`MAX_COUNTED`] of them).
    /// An ONNX graph's count is its import's.
    pub fn parameter_count(arch: &Architecture, input: InputShape) -> usize {
        if let Architecture::Onnx(spec) = arch {
            return spec.params;
        }
        let key = (
            serde_json::to_string(arch).expect("an architecture is JSON"),
            [input.channels, input.height, input.width, input.classes],
        );
        let counted = || COUNTED.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(&count) = counted().get(&key) {
            return count;
        }
        let device = Device::flex().autodiff();
        let count = seeded(&device, 0, || Net::init(arch, input, &device)).trainable_params();
        let mut counts = counted();
        if counts.len() < MAX_COUNTED {
            counts.insert(key, count);
        }
        count
    }

    /// Trainable parameters of a model whose parameters track gradients (built on an autodiff
    /// device). burn's `num_params` also counts batch-norm running statistics.
    pub fn trainable_params(&self) -> usize {
        struct Count(usize);
        impl ModuleVisitor for Count {
            fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
                if param.val().is_require_grad() {
                    self.0 += param.lazy_shape().num_elements();
                }
            }
        }
        let mut count = Count(0);
        self.visit(&mut count);
        count.0
    }

    /// Stage features and logits. // images: [batch, channels, height, width]
    pub fn forward_features(&self, images: Tensor<4>) -> Features {
        self.forward_features_with(images, PreActivation::Skip)
    }

    /// Stage features and logits, and the stages before their last ReLU when `pre` says so.
    /// // images: [batch, channels, height, width]
    pub fn forward_features_with(&self, images: Tensor<4>, pre: PreActivation) -> Features {
        match self {
            Net::Mlp(m) => m.forward_features(images, pre),
            Net::Cnn(m) => m.forward_features(images, pre),
            Net::Resnet(m) => m.forward_features(images, pre),
            Net::Wrn(m) => m.forward_features(images, pre),
            Net::Vgg(m) => m.forward_features(images, pre),
            Net::ImagenetResnet(m) => m.forward_features(images, pre),
            Net::Mobilenetv2(m) => m.forward_features(images, pre),
            Net::Shufflenetv2(m) => m.forward_features(images, pre),
        }
    }

    /// The batch norm before each stage's last ReLU, input side first (none for an MLP, which
    /// has no batch norm).
    pub fn norms_before_relu(&self) -> Vec<NormBeforeRelu> {
        match self {
            Net::Mlp(_) => Vec::new(),
            Net::Cnn(m) => m.norms_before_relu(),
            Net::Resnet(m) => m.norms_before_relu(),
            Net::Wrn(m) => m.norms_before_relu(),
            Net::Vgg(m) => m.norms_before_relu(),
            Net::ImagenetResnet(m) => m.norms_before_relu(),
            Net::Mobilenetv2(m) => m.norms_before_relu(),
            // A stage ends in a concatenation whose first half passed through unnormalised.
            Net::Shufflenetv2(_) => Vec::new(),
        }
    }

    /// Logits only. // [batch, classes]
    pub fn forward(&self, images: Tensor<4>) -> Tensor<2> {
        self.forward_features(images).logits
    }

    /// The model of a resolved architecture with the weights of a burnpack file's bytes (a
    /// run's `model.bpk`).
    pub fn from_burnpack(
        arch: &Architecture,
        input: InputShape,
        bytes: Vec<u8>,
        device: &Device,
    ) -> Result<Net, burn::store::RecordError> {
        let bytes = burn::tensor::Bytes::from_bytes_vec(bytes);
        let record = burn::store::ModuleRecord::from_bytes(bytes)?;
        Net::init(arch, input, device).try_load_record(record)
    }

    /// Size of the model's parameters serialized in burn's record format, in bytes.
    pub fn serialized_bytes(&self) -> Result<usize, burn::store::RecordError> {
        Ok(self.clone().into_record().into_bytes()?.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::preset;

    #[test]
    fn parameter_counts_match_a_hand_count_without_running_statistics() {
        let input = InputShape {
            channels: 1,
            height: 28,
            width: 28,
            classes: 10,
        };
        // conv 1→32 and 32→64 without bias, batch norm γ/β, fc 3136→128, fc 128→10.
        let by_hand = 9 * 32 + 9 * 32 * 64 + 2 * (32 + 64) + (3136 * 128 + 128) + (128 * 10 + 10);
        let cnn_m = preset("cnn-m").unwrap().architecture;
        assert_eq!(Net::parameter_count(&cnn_m, input), by_hand);
    }

    #[test]
    fn keeping_the_stages_before_the_relu_changes_no_output_and_each_stage_is_its_relu() {
        let device = Device::flex().autodiff();
        let input = InputShape {
            channels: 3,
            height: 12,
            width: 12,
            classes: 5,
        };
        let images =
            Tensor::<4>::random([4, 3, 12, 12], burn::tensor::Distribution::Default, &device);
        for arch in [
            "{\"kind\": \"cnn\", \"channels\": [4, 6], \"fc\": 8}",
            "{\"kind\": \"resnet\", \"depth\": 8, \"width\": 0.5}",
            "{\"kind\": \"mlp\", \"hidden\": [7]}",
            "{\"kind\": \"wrn\", \"depth\": 10, \"widen\": 1}",
            "{\"kind\": \"vgg\", \"blocks\": [[4], [5, 6], [6], [8], [8]]}",
            "{\"kind\": \"imagenet_resnet\", \"depth\": 10, \"width\": 0.125}",
            "{\"kind\": \"shufflenetv2\", \"size\": 0.2}",
        ] {
            let arch: Architecture = serde_json::from_str(arch).unwrap();
            let net = seeded(&device, 3, || Net::init(&arch, input, &device));
            let fast = net.forward_features(images.clone());
            let kept = net.forward_features_with(images.clone(), PreActivation::Keep);
            assert!(fast.pre_activation.is_empty());
            assert_eq!(kept.pre_activation.len(), kept.stages.len(), "{arch:?}");
            let close = |a: Tensor<4>, b: Tensor<4>| {
                a.into_data()
                    .assert_approx_eq::<f32>(&b.into_data(), Default::default())
            };
            for ((stage, fused), before) in kept
                .stages
                .iter()
                .zip(&fast.stages)
                .zip(&kept.pre_activation)
            {
                close(stage.clone(), fused.clone());
                close(
                    stage.clone(),
                    burn::tensor::activation::relu(before.clone()),
                );
            }
            kept.logits
                .into_data()
                .assert_approx_eq::<f32>(&fast.logits.into_data(), Default::default());
        }
    }
}
