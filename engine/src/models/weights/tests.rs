//! Round trips of the zoo's models through a `.safetensors` file, and the refusals of files
//! that do not fit. (PyTorch's own files are read in `engine/tests/it/weights.rs`.)

use std::path::PathBuf;

use api::Architecture;
use burn::prelude::*;

use super::*;

fn input(channels: usize, side: usize, classes: usize) -> InputShape {
    InputShape {
        channels,
        height: side,
        width: side,
        classes,
    }
}

fn architecture(json: &str) -> Architecture {
    serde_json::from_str(json).unwrap()
}

/// A model with every parameter and running statistic drawn at random, in eval mode.
fn random_model(arch: &Architecture, input: InputShape, seed: u64) -> Net {
    let device = Device::flex();
    let net = seeded(&device, seed, || Net::init(arch, input, &device));
    // Running statistics start at 0 and 1; give them values a loader must carry over.
    let mut tensors = net.collect(None, None, true);
    for (i, tensor) in tensors.iter_mut().enumerate() {
        if tensor.name.ends_with("running_mean") || tensor.name.ends_with("running_var") {
            let n = tensor.shape.num_elements();
            let values: Vec<f32> = (0..n)
                .map(|j| 0.5 + ((i * 7 + j) % 5) as f32 * 0.1)
                .collect();
            let data = burn::tensor::TensorData::new(values, tensor.shape.clone());
            *tensor = PackTensor::new(
                tensor.name.clone(),
                burn::tensor::DType::F32,
                tensor.shape.clone(),
                None,
                data.into_bytes(),
            );
        }
    }
    let mut net = net;
    let result = net.apply(tensors, None, None, true);
    assert!(result.errors.is_empty(), "{:?}", result.errors);
    net
}

fn write(dir: &tempfile::TempDir, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.path().join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

fn logits(net: &Net, input: InputShape) -> burn::tensor::TensorData {
    let device = Device::flex();
    device.seed(11);
    let images = Tensor::<4>::random(
        [3, input.channels, input.height, input.width],
        burn::tensor::Distribution::Normal(0.0, 1.0),
        &device,
    );
    net.forward(images).into_data()
}

/// The mismatch `import_weights` refuses the `.safetensors` file `file` with, as `arch` on
/// `shape`, and its message.
fn refusal(file: &std::path::Path, arch: &Architecture, shape: InputShape) -> (Mismatch, String) {
    let Err(error) = import_weights(file, WeightsFormat::Safetensors, arch, shape) else {
        panic!("imported");
    };
    let text = error.to_string();
    match error {
        WeightsError::Mismatch(mismatch) => (mismatch, text),
        other => panic!("refused for another reason: {other}"),
    }
}

#[test]
fn every_family_exported_to_safetensors_imports_back_with_the_same_logits() {
    let dir = tempfile::tempdir().unwrap();
    for (json, shape) in [
        (
            r#"{"kind": "resnet", "depth": 8, "width": 0.5}"#,
            input(3, 16, 7),
        ),
        (
            r#"{"kind": "cnn", "channels": [4, 6], "fc": 8}"#,
            input(1, 12, 5),
        ),
        (r#"{"kind": "mlp", "hidden": [9]}"#, input(1, 6, 4)),
    ] {
        let arch = architecture(json);
        let original = random_model(&arch, shape, 5);
        let file = write(
            &dir,
            "model.safetensors",
            &export_safetensors(&original).unwrap(),
        );
        let imported = import_weights(&file, WeightsFormat::Safetensors, &arch, shape).unwrap();
        logits(&imported, shape)
            .assert_approx_eq::<f32>(&logits(&original, shape), Default::default());
    }
}

#[test]
fn a_resnet_is_exported_under_mdistillers_names_in_pytorchs_layout() {
    let arch = architecture(r#"{"kind": "resnet", "depth": 8, "width": 0.5}"#);
    let net = random_model(&arch, input(3, 16, 7), 1);
    let bytes = export_safetensors(&net).unwrap();
    let file = safetensors::SafeTensors::deserialize(&bytes).unwrap();
    let shape = |name: &str| file.tensor(name).unwrap().shape().to_vec();
    assert_eq!(shape("conv1.weight"), [8, 3, 3, 3]);
    assert_eq!(shape("bn1.weight"), [8]);
    assert_eq!(shape("layer2.0.downsample.0.weight"), [16, 8, 1, 1]);
    assert_eq!(shape("layer3.0.bn2.running_var"), [32]);
    assert_eq!(shape("fc.weight"), [7, 32], "PyTorch's [out, in]");
    assert_eq!(
        shape("layer1.0.bn1.num_batches_tracked"),
        Vec::<usize>::new()
    );
    assert!(file.names().iter().all(|name| !name.contains("gamma")));
}

#[test]
fn a_file_for_another_class_count_is_refused_with_both_counts() {
    let dir = tempfile::tempdir().unwrap();
    let arch = architecture(r#"{"kind": "resnet", "depth": 8, "width": 0.5}"#);
    let hundred = random_model(&arch, input(3, 16, 100), 1);
    let file = write(
        &dir,
        "m.safetensors",
        &export_safetensors(&hundred).unwrap(),
    );
    let (mismatch, text) = refusal(&file, &arch, input(3, 16, 10));
    assert_eq!(mismatch.classes, Some((100, 10)));
    assert!(mismatch.missing.is_empty() && mismatch.unused.is_empty());
    assert!(
        text.contains("the file's classifier has 100 classes, the dataset has 10"),
        "{text}"
    );
    assert!(
        text.contains("fc.weight (file [100, 32], model [10, 32])"),
        "{text}"
    );
}

#[test]
fn a_file_of_another_depth_is_refused_listing_missing_and_unused_tensors() {
    let dir = tempfile::tempdir().unwrap();
    let shape = input(3, 16, 10);
    let deeper = random_model(
        &architecture(r#"{"kind": "resnet", "depth": 14, "width": 0.5}"#),
        shape,
        1,
    );
    let file = write(&dir, "m.safetensors", &export_safetensors(&deeper).unwrap());
    let resnet8 = architecture(r#"{"kind": "resnet", "depth": 8, "width": 0.5}"#);
    let (mismatch, text) = refusal(&file, &resnet8, shape);
    assert!(mismatch.missing.is_empty());
    assert!(mismatch
        .unused
        .contains(&"layer1.1.conv1.weight".to_string()));
    assert!(mismatch
        .unused
        .contains(&"layer3.1.bn2.num_batches_tracked".to_string()));
    assert!(
        text.contains("have no place in the architecture: layer1.1."),
        "{text}"
    );

    let cnn = architecture(r#"{"kind": "cnn", "channels": [4], "fc": 8}"#);
    let (mismatch, text) = refusal(&file, &cnn, shape);
    for name in ["layers.0.conv.weight", "output.bias"] {
        assert!(
            mismatch.missing.contains(&name.to_string()),
            "{name}: {mismatch:?}"
        );
    }
    assert!(
        mismatch.misshapen.iter().any(|m| m.name == "fc.weight"),
        "both have an `fc`"
    );
    assert!(text.contains("missing from the file"), "{text}");
}

#[test]
fn a_file_that_is_not_of_its_format_is_unreadable() {
    let dir = tempfile::tempdir().unwrap();
    let arch = architecture(r#"{"kind": "mlp", "hidden": [9]}"#);
    for format in [WeightsFormat::Safetensors, WeightsFormat::Pytorch] {
        let file = write(&dir, "notes.bin", b"these are not weights");
        let error = import_weights(&file, format, &arch, input(1, 6, 4)).unwrap_err();
        assert!(matches!(error, WeightsError::Unreadable { .. }), "{error}");
        assert!(error
            .to_string()
            .starts_with(&format!("not a readable {}", format.label())));
    }
}

#[test]
fn file_names_tell_the_format() {
    assert_eq!(
        WeightsFormat::of_file_name("t.safetensors"),
        Some(WeightsFormat::Safetensors)
    );
    assert_eq!(
        WeightsFormat::of_file_name("dir/t.PTH"),
        Some(WeightsFormat::Pytorch)
    );
    assert_eq!(
        WeightsFormat::of_file_name("t.pt"),
        Some(WeightsFormat::Pytorch)
    );
    assert_eq!(WeightsFormat::of_file_name("t.onnx"), None);
    assert_eq!(WeightsFormat::of_file_name("safetensors"), None);
    assert_eq!(
        WeightsFormat::of_file_name(".pt"),
        None,
        "a name before the ending"
    );
    assert_eq!(
        WeightsFormat::of_file_name("a.SafeTensors"),
        Some(WeightsFormat::Safetensors)
    );
}

#[test]
fn another_family_is_not_mistaken_for_another_class_count() {
    let dir = tempfile::tempdir().unwrap();
    let shape = input(1, 12, 10);
    // The CNN's hidden layer is called `fc`, like the ResNet's classifier.
    let cnn = random_model(
        &architecture(r#"{"kind": "cnn", "channels": [4], "fc": 32}"#),
        shape,
        1,
    );
    let file = write(&dir, "m.safetensors", &export_safetensors(&cnn).unwrap());
    let resnet = architecture(r#"{"kind": "resnet", "depth": 8, "width": 0.5}"#);
    let (mismatch, text) = refusal(&file, &resnet, shape);
    assert!(mismatch.misshapen.iter().any(|m| m.name == "fc.bias"));
    assert_eq!(mismatch.classes, None, "{text}");
}
