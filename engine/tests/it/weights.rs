//! Weights written by PyTorch itself (`bench/models/reference_weights.py`: mdistiller's CIFAR
//! ResNet at depth 8, half width, its Wide ResNet 10-1, a small VGG, its MobileNetV2 with
//! expansion 2 at a quarter of the width, and torchvision's ResNet at depth 10, an eighth of the
//! width, all with random
//! batch-norm statistics) import into the zoo's models and give PyTorch's logits, from a plain
//! state_dict, an mdistiller checkpoint and a `.safetensors` file.

use std::path::{Path, PathBuf};

use api::{Architecture, ResnetSpec};
use burn::prelude::*;
use engine::models::{export_safetensors, import_weights, InputShape, Net, WeightsFormat};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/weights")
        .join(name)
}

/// mdistiller's `ResNet(8, [8, 8, 16, 32], 10)`.
fn half_resnet8() -> (Architecture, InputShape) {
    let arch = Architecture::Resnet(ResnetSpec {
        depth: 8,
        width: 0.5,
        stem: None,
    });
    let input = InputShape {
        channels: 3,
        height: 32,
        width: 32,
        classes: 10,
    };
    (arch, input)
}

/// PyTorch's input batch and its logits on it, from `{stem}-expected.safetensors`.
fn pytorch_expectation(stem: &str, device: &Device) -> (Tensor<4>, Vec<f32>) {
    let bytes = std::fs::read(fixture(&format!("{stem}-expected.safetensors"))).unwrap();
    let file = safetensors::SafeTensors::deserialize(&bytes).unwrap();
    let floats = |name: &str| -> Vec<f32> {
        file.tensor(name)
            .unwrap()
            .data()
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect()
    };
    let input =
        Tensor::<1>::from_floats(floats("input").as_slice(), device).reshape([2, 3, 32, 32]);
    (input, floats("logits"))
}

fn assert_pytorch_logits(net: &Net, stem: &str, device: &Device) {
    let (images, expected) = pytorch_expectation(stem, device);
    let logits: Vec<f32> = net.forward(images).into_data().try_to_vec::<f32>().unwrap();
    assert_eq!(logits.len(), expected.len());
    for (i, (ours, theirs)) in logits.iter().zip(&expected).enumerate() {
        assert!(
            (ours - theirs).abs() < 1e-4,
            "logit {i}: {ours} here, {theirs} in PyTorch"
        );
    }
}

#[test]
fn pytorch_files_of_mdistillers_resnet_import_and_give_pytorchs_logits() {
    let (arch, input) = half_resnet8();
    let device = Device::flex();
    for (file, format) in [
        ("resnet8-half.pt", WeightsFormat::Pytorch),
        ("resnet8-half-checkpoint.pt", WeightsFormat::Pytorch),
        ("resnet8-half.safetensors", WeightsFormat::Safetensors),
    ] {
        let net = import_weights(&fixture(file), format, &arch, input)
            .unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_pytorch_logits(&net, "resnet8-half", &device);
    }
}

/// `{stem}.safetensors` imports as `arch` on 32×32×3 images of 10 classes, which has
/// `pytorch_params` parameters, and gives PyTorch's logits.
fn assert_imports_like_pytorch(arch: Architecture, stem: &str, pytorch_params: usize) {
    let input = InputShape {
        channels: 3,
        height: 32,
        width: 32,
        classes: 10,
    };
    let file = fixture(&format!("{stem}.safetensors"));
    let net = import_weights(&file, WeightsFormat::Safetensors, &arch, input)
        .unwrap_or_else(|e| panic!("{stem}: {e}"));
    assert_eq!(
        Net::parameter_count(&arch, input),
        pytorch_params,
        "PyTorch's count"
    );
    assert_pytorch_logits(&net, stem, &Device::flex());
}

#[test]
fn mdistillers_wide_resnet_imports_and_gives_pytorchs_logits() {
    let arch = Architecture::Wrn(api::WrnSpec {
        depth: 10,
        widen: 1,
    });
    assert_imports_like_pytorch(arch, "wrn10-1", 77_850);
}

#[test]
fn mdistillers_vgg_imports_and_gives_pytorchs_logits() {
    let arch = Architecture::Vgg(api::VggSpec {
        blocks: vec![vec![8], vec![8, 8], vec![16], vec![16], vec![16]],
    });
    assert_imports_like_pytorch(arch, "vgg-small", 7_514);
}

#[test]
fn torchvisions_resnet_imports_and_gives_pytorchs_logits() {
    let arch = Architecture::ImagenetResnet(api::ImagenetResnetSpec {
        depth: 10,
        width: 0.125,
    });
    assert_imports_like_pytorch(arch, "tv-resnet10-eighth", 78_962);
}

#[test]
fn mdistillers_mobilenetv2_imports_and_gives_pytorchs_logits() {
    let arch = Architecture::Mobilenetv2(api::MobilenetV2Spec {
        expansion: 2,
        width: 0.25,
    });
    assert_imports_like_pytorch(arch, "mobilenetv2-t2-quarter", 162_370);
}

#[test]
fn mdistillers_shufflenetv2_imports_and_gives_pytorchs_logits() {
    let arch = Architecture::Shufflenetv2(api::ShufflenetV2Spec { size: 0.2 });
    assert_imports_like_pytorch(arch, "shufflenetv2-0.2", 174_218);
}

#[test]
fn an_imported_model_exports_the_tensors_pytorch_wrote() {
    let (arch, input) = half_resnet8();
    let net = import_weights(
        &fixture("resnet8-half.pt"),
        WeightsFormat::Pytorch,
        &arch,
        input,
    )
    .unwrap();
    let exported = export_safetensors(&net).unwrap();
    let exported = safetensors::SafeTensors::deserialize(&exported).unwrap();
    let original = std::fs::read(fixture("resnet8-half.safetensors")).unwrap();
    let original = safetensors::SafeTensors::deserialize(&original).unwrap();
    let mut names = exported.names();
    names.sort();
    let mut original_names = original.names();
    original_names.sort();
    assert_eq!(
        names, original_names,
        "the same 56 names, num_batches_tracked included"
    );
    for name in names.iter().filter(|n| !n.ends_with("num_batches_tracked")) {
        let (ours, theirs) = (
            exported.tensor(name).unwrap(),
            original.tensor(name).unwrap(),
        );
        assert_eq!(ours.shape(), theirs.shape(), "{name}");
        assert_eq!(ours.data(), theirs.data(), "{name}: the same bytes");
    }
}
