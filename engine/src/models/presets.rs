//! Named architectures, so specs can say `{"kind": "preset", "name": "cnn-m"}`.

use api::{
    Architecture, CnnSpec, ImagenetResnetSpec, MlpSpec, MobilenetV2Spec, ResnetSpec,
    ShufflenetV2Spec, VggSpec, WrnSpec,
};

/// A named architecture.
#[derive(Debug, Clone, PartialEq)]
pub struct Preset {
    /// The name used in specs.
    pub name: &'static str,
    /// What it is for.
    pub description: &'static str,
    /// Its sizes.
    pub architecture: Architecture,
}

fn mlp(hidden: &[usize]) -> Architecture {
    Architecture::Mlp(MlpSpec {
        hidden: hidden.to_vec(),
    })
}

fn cnn(channels: &[usize], fc: usize) -> Architecture {
    Architecture::Cnn(CnnSpec {
        channels: channels.to_vec(),
        fc,
    })
}

fn resnet(depth: usize, width: f64) -> Architecture {
    Architecture::Resnet(ResnetSpec {
        depth,
        width,
        stem: None,
    })
}

/// mdistiller's ×4 ResNets: stages of 64, 128 and 256 channels after a stem of 32.
fn resnet_x4(depth: usize) -> Architecture {
    Architecture::Resnet(ResnetSpec {
        depth,
        width: 4.0,
        stem: Some(32),
    })
}

/// mdistiller's Wide ResNets.
fn wrn(depth: usize, widen: usize) -> Architecture {
    Architecture::Wrn(WrnSpec { depth, widen })
}

/// mdistiller's VGGs with batch norm: the channels of each block's convs.
fn vgg(blocks: &[&[usize]]) -> Architecture {
    Architecture::Vgg(VggSpec {
        blocks: blocks.iter().map(|b| b.to_vec()).collect(),
    })
}

/// torchvision's ResNets.
fn imagenet_resnet(depth: usize) -> Architecture {
    Architecture::ImagenetResnet(ImagenetResnetSpec { depth, width: 1.0 })
}

/// Every preset, smallest family first.
pub fn presets() -> Vec<Preset> {
    vec![
        Preset {
            name: "mlp-xs",
            description: "one hidden layer of 32",
            architecture: mlp(&[32]),
        },
        Preset {
            name: "mlp-s",
            description: "one hidden layer of 128",
            architecture: mlp(&[128]),
        },
        Preset {
            name: "mlp-m",
            description: "hidden layers of 512 and 256",
            architecture: mlp(&[512, 256]),
        },
        Preset {
            name: "cnn-xs",
            description: "plane-2: 8 and 16 channels, fc 32",
            architecture: cnn(&[8, 16], 32),
        },
        Preset {
            name: "cnn-s",
            description: "plane-2: 16 and 32 channels, fc 64",
            architecture: cnn(&[16, 32], 64),
        },
        Preset {
            name: "cnn-m",
            description: "plane-2: 32 and 64 channels, fc 128 (a Fashion-MNIST teacher)",
            architecture: cnn(&[32, 64], 128),
        },
        Preset {
            name: "cnn-l",
            description: "plane-4: 32, 64, 128, 128 channels, fc 256",
            architecture: cnn(&[32, 64, 128, 128], 256),
        },
        Preset {
            name: "resnet8",
            description: "CIFAR ResNet-8",
            architecture: resnet(8, 1.0),
        },
        Preset {
            name: "resnet14",
            description: "CIFAR ResNet-14",
            architecture: resnet(14, 1.0),
        },
        Preset {
            name: "resnet20",
            description: "CIFAR ResNet-20",
            architecture: resnet(20, 1.0),
        },
        Preset {
            name: "resnet32",
            description: "CIFAR ResNet-32",
            architecture: resnet(32, 1.0),
        },
        Preset {
            name: "resnet56",
            description: "CIFAR ResNet-56",
            architecture: resnet(56, 1.0),
        },
        Preset {
            name: "resnet8x4",
            description: "ResNet-8, four times wider (mdistiller's resnet8x4: a 32-channel stem)",
            architecture: resnet_x4(8),
        },
        Preset {
            name: "resnet32x4",
            description:
                "ResNet-32, four times wider (mdistiller's resnet32x4, the CIFAR-100 teacher)",
            architecture: resnet_x4(32),
        },
        Preset {
            name: "wrn-16-2",
            description: "Wide ResNet 16-2 (mdistiller's wrn_16_2, a CIFAR-100 student)",
            architecture: wrn(16, 2),
        },
        Preset {
            name: "wrn-40-2",
            description: "Wide ResNet 40-2 (mdistiller's wrn_40_2, a CIFAR-100 teacher)",
            architecture: wrn(40, 2),
        },
        Preset {
            name: "vgg8",
            description: "VGG-8 with batch norm (mdistiller's vgg8_bn, a CIFAR-100 student)",
            architecture: vgg(&[&[64], &[128], &[256], &[512], &[512]]),
        },
        Preset {
            name: "vgg13",
            description: "VGG-13 with batch norm (mdistiller's vgg13_bn, a CIFAR-100 teacher)",
            architecture: vgg(&[
                &[64, 64],
                &[128, 128],
                &[256, 256],
                &[512, 512],
                &[512, 512],
            ]),
        },
        Preset {
            name: "mobilenetv2",
            description: "MobileNetV2, expansion 6 at half width (mdistiller's MobileNetV2, a CIFAR-100 student)",
            architecture: Architecture::Mobilenetv2(MobilenetV2Spec {
                expansion: 6,
                width: 0.5,
            }),
        },
        Preset {
            name: "shufflenetv2",
            description: "ShuffleNetV2 at size 1 (mdistiller's ShuffleV2, a CIFAR-100 student)",
            architecture: Architecture::Shufflenetv2(ShufflenetV2Spec { size: 1.0 }),
        },
        Preset {
            name: "resnet18",
            description: "torchvision's ResNet-18 (ImageNet stem: 7×7 conv, max pool)",
            architecture: imagenet_resnet(18),
        },
        Preset {
            name: "resnet34",
            description: "torchvision's ResNet-34 (ImageNet stem: 7×7 conv, max pool)",
            architecture: imagenet_resnet(34),
        },
    ]
}

/// The preset called `name`.
pub fn preset(name: &str) -> Option<Preset> {
    presets().into_iter().find(|p| p.name == name)
}

/// [`resolve`] for an architecture to build as one of the zoo's modules (to load weights into
/// or count the parameters of): an ONNX graph is refused, as it comes only with its file.
pub fn resolve_zoo(arch: &Architecture) -> Result<Architecture, String> {
    match resolve(arch)? {
        Architecture::Onnx(_) => Err("an ONNX model is not one of the zoo's architectures: it comes only with its .onnx file (POST /api/models?filename=teacher.onnx, `distill model import teacher.onnx`)".into()),
        zoo => Ok(zoo),
    }
}

/// Replaces a preset by its sizes; other architectures are returned as they are.
pub fn resolve(arch: &Architecture) -> Result<Architecture, String> {
    match arch {
        Architecture::Preset { name } => preset(name).map(|p| p.architecture).ok_or_else(|| {
            let known: Vec<&str> = presets().iter().map(|p| p.name).collect();
            format!(
                "unknown preset `{name}`; known presets: {}",
                known.join(", ")
            )
        }),
        other => Ok(other.clone()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::{InputShape, Net};

    /// `(preset, parameters with 10 classes, with 100)` of the reference definitions on 32×32×3
    /// images (mdistiller's `models/cifar/resnet.py`, `wrn.py`, `vgg.py`, `mobilenetv2.py`,
    /// `ShuffleNetv2.py`; torchvision's
    /// `resnet18` and `resnet34`), as
    /// `bench/models/param_counts.py` counts them with PyTorch.
    const REFERENCE_COUNTS: [(&str, usize, usize); 15] = [
        ("resnet8", 78042, 83892),
        ("resnet14", 175258, 181108),
        ("resnet20", 272474, 278324),
        ("resnet32", 466906, 472756),
        ("resnet56", 855770, 861620),
        ("resnet8x4", 1210410, 1233540),
        ("resnet32x4", 7410730, 7433860),
        ("wrn-16-2", 691674, 703284),
        ("wrn-40-2", 2243546, 2255156),
        ("vgg8", 3918858, 3965028),
        ("vgg13", 9416010, 9462180),
        ("mobilenetv2", 697546, 812836),
        ("shufflenetv2", 1263278, 1355528),
        ("resnet18", 11181642, 11227812),
        ("resnet34", 21289802, 21335972),
    ];

    #[test]
    fn the_reference_families_presets_have_exactly_the_reference_parameter_counts() {
        for (name, ten, hundred) in REFERENCE_COUNTS {
            let arch = preset(name).expect("a preset").architecture;
            for (classes, expected) in [(10, ten), (100, hundred)] {
                let input = InputShape {
                    channels: 3,
                    height: 32,
                    width: 32,
                    classes,
                };
                assert_eq!(
                    Net::parameter_count(&arch, input),
                    expected,
                    "{name} with {classes} classes"
                );
            }
        }
    }
}
