//! Models exported to ONNX run in tract (the lab's ONNX runtime) and give burn's logits and
//! stage features; ONNX files that cannot serve are refused with the reason named.

use std::path::{Path, PathBuf};

use api::Architecture;
use burn::prelude::*;
use engine::models::{
    export_onnx, export_safetensors, import_weights, seeded, InputShape, Net, OnnxError,
    OnnxRunner, WeightsFormat, LOGITS,
};
use prost::Message;
use tract_onnx::pb;

const CIFAR: InputShape = InputShape {
    channels: 3,
    height: 32,
    width: 32,
    classes: 10,
};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/weights")
        .join(name)
}

/// Models of every family on 32×32×3 images: the residual and VGG ones with the weights and
/// random batch-norm statistics PyTorch wrote (`tests/fixtures/weights`), the MLP and CNN
/// seeded.
fn models() -> Vec<(String, Net)> {
    let device = Device::flex();
    let mut models = Vec::new();
    for (stem, arch) in [
        (
            "resnet8-half",
            r#"{"kind": "resnet", "depth": 8, "width": 0.5}"#,
        ),
        ("wrn10-1", r#"{"kind": "wrn", "depth": 10, "widen": 1}"#),
        (
            "vgg-small",
            r#"{"kind": "vgg", "blocks": [[8], [8, 8], [16], [16], [16]]}"#,
        ),
        (
            "mobilenetv2-t2-quarter",
            r#"{"kind": "mobilenetv2", "expansion": 2, "width": 0.25}"#,
        ),
        (
            "tv-resnet10-eighth",
            r#"{"kind": "imagenet_resnet", "depth": 10, "width": 0.125}"#,
        ),
        (
            "shufflenetv2-0.2",
            r#"{"kind": "shufflenetv2", "size": 0.2}"#,
        ),
    ] {
        let arch: Architecture = serde_json::from_str(arch).unwrap();
        let file = fixture(&format!("{stem}.safetensors"));
        let net = import_weights(&file, WeightsFormat::Safetensors, &arch, CIFAR).unwrap();
        models.push((stem.to_string(), net));
    }
    for (name, arch) in [
        ("mlp", r#"{"kind": "mlp", "hidden": [12, 7]}"#),
        ("cnn", r#"{"kind": "cnn", "channels": [4, 6], "fc": 8}"#),
    ] {
        let arch: Architecture = serde_json::from_str(arch).unwrap();
        let net = seeded(&device, 5, || Net::init(&arch, CIFAR, &device));
        models.push((name.to_string(), net));
    }
    models
}

fn images(batch: usize) -> Tensor<4> {
    let device = Device::flex();
    device.seed(11);
    Tensor::random(
        [batch, 3, 32, 32],
        burn::tensor::Distribution::Normal(0.0, 1.0),
        &device,
    )
}

fn assert_close(what: &str, ours: &[f32], burn: Tensor<4>) {
    let expected: Vec<f32> = burn.into_data().try_to_vec().unwrap();
    assert_eq!(ours.len(), expected.len(), "{what}: sizes");
    for (i, (a, b)) in ours.iter().zip(&expected).enumerate() {
        assert!(
            (a - b).abs() < 1e-4,
            "{what}[{i}]: {a} in tract, {b} in burn"
        );
    }
}

#[test]
fn every_family_exported_to_onnx_gives_burns_logits_and_stages_in_tract_at_any_batch_size() {
    for (name, net) in models() {
        let file = export_onnx(&net, CIFAR);
        let runner =
            OnnxRunner::load(&file, [3, 32, 32], &[]).unwrap_or_else(|e| panic!("{name}: {e}"));
        let features = net.forward_features(images(3));
        let names: Vec<&str> = runner.outputs().iter().map(|o| o.name.as_str()).collect();
        let stages: Vec<String> = (1..=features.stages.len())
            .map(|i| format!("stage{i}"))
            .collect();
        assert_eq!(names[0], LOGITS, "{name}");
        assert_eq!(
            names[1..],
            stages.iter().map(String::as_str).collect::<Vec<_>>(),
            "{name}"
        );
        for batch in [3, 1] {
            let input = images(batch);
            let values: Vec<f32> = input.clone().into_data().try_to_vec().unwrap();
            let outputs = runner.run(&values, batch).unwrap();
            let features = net.forward_features(input);
            let logits = features.logits.clone().unsqueeze_dims::<4>(&[2, 3]);
            assert_close(&format!("{name} logits"), &outputs[0], logits);
            for (i, stage) in features.stages.into_iter().enumerate() {
                assert_eq!(
                    runner.outputs()[i + 1].shape,
                    stage.dims()[1..].to_vec(),
                    "{name}"
                );
                assert_close(&format!("{name} stage {}", i + 1), &outputs[i + 1], stage);
            }
        }
    }
}

#[test]
fn an_onnx_file_carries_the_weights_under_the_names_of_the_safetensors_export() {
    // The float initializers are the weights; int64 ones are shapes and slice bounds.
    for (name, net) in models() {
        let onnx = pb::ModelProto::decode(export_onnx(&net, CIFAR).as_slice()).unwrap();
        let mut in_onnx: Vec<String> = onnx
            .graph
            .unwrap()
            .initializer
            .into_iter()
            .filter(|t| t.data_type == pb::tensor_proto::DataType::Float as i32)
            .map(|t| t.name)
            .collect();
        in_onnx.sort();
        let safetensors = export_safetensors(&net).unwrap();
        let safetensors = safetensors::SafeTensors::deserialize(&safetensors).unwrap();
        let mut names: Vec<String> = safetensors
            .names()
            .into_iter()
            .filter(|n| !n.ends_with("num_batches_tracked"))
            .map(str::to_string)
            .collect();
        names.sort();
        assert_eq!(in_onnx, names, "{name}");
    }
}

#[test]
fn a_chosen_output_is_the_only_one_computed_and_an_unknown_one_is_named() {
    let (_, net) = models().remove(0);
    let file = export_onnx(&net, CIFAR);
    let runner = OnnxRunner::load(&file, [3, 32, 32], &["stage2".to_string()]).unwrap();
    assert_eq!(runner.outputs().len(), 1);
    assert_eq!(runner.outputs()[0].shape, vec![16, 16, 16]);
    let error = OnnxRunner::load(&file, [3, 32, 32], &["layer9".to_string()]).unwrap_err();
    assert!(matches!(&error, OnnxError::UnknownOutputs { unknown, .. } if unknown == &["layer9"]));
    assert!(
        error.to_string().contains("logits, stage1, stage2, stage3"),
        "{error}"
    );
}

#[test]
fn images_the_graph_cannot_take_are_refused_with_both_shapes() {
    let (_, net) = models().remove(0);
    let error = OnnxRunner::load(&export_onnx(&net, CIFAR), [1, 28, 28], &[]).unwrap_err();
    assert_eq!(
        error.to_string(),
        "the graph's input is [?, 3, 32, 32] but the images are [batch, 1, 28, 28]"
    );
}

#[test]
fn bytes_that_are_not_onnx_are_refused_as_such() {
    for bytes in [&b"a text file, not a model"[..], &[0xff; 64][..], &[][..]] {
        let error = OnnxRunner::load(bytes, [3, 32, 32], &[]).unwrap_err();
        assert!(matches!(error, OnnxError::NotOnnx(_)), "{error}");
    }
}

#[test]
fn a_graph_whose_weights_are_in_a_separate_file_is_refused_saying_how_to_export_it_whole() {
    let mut model = pb::ModelProto::decode(&one_node_graph("Relu")[..]).unwrap();
    let graph = model.graph.as_mut().unwrap();
    graph.initializer.push(pb::TensorProto {
        name: "w".into(),
        dims: vec![3],
        data_type: pb::tensor_proto::DataType::Float as i32,
        data_location: Some(pb::tensor_proto::DataLocation::External as i32),
        ..Default::default()
    });
    let error = OnnxRunner::load(&model.encode_to_vec(), [3, 32, 32], &[]).unwrap_err();
    assert_eq!(error, OnnxError::ExternalData);
    assert!(error.to_string().contains("external_data=False"), "{error}");
}

/// A one-node graph `y = op(x)` on images of 3×32×32.
fn one_node_graph(op: &str) -> Vec<u8> {
    let tensor = |name: &str| pb::ValueInfoProto {
        name: name.to_string(),
        r#type: Some(pb::TypeProto {
            value: Some(pb::type_proto::Value::TensorType(pb::type_proto::Tensor {
                elem_type: pb::tensor_proto::DataType::Float as i32,
                shape: None,
            })),
            ..Default::default()
        }),
        ..Default::default()
    };
    let graph = pb::GraphProto {
        node: vec![pb::NodeProto {
            input: vec!["x".into()],
            output: vec!["y".into()],
            op_type: op.to_string(),
            ..Default::default()
        }],
        input: vec![tensor("x")],
        output: vec![tensor("y")],
        ..Default::default()
    };
    pb::ModelProto {
        ir_version: 7,
        opset_import: vec![pb::OperatorSetIdProto {
            domain: String::new(),
            version: 13,
        }],
        graph: Some(graph),
        ..Default::default()
    }
    .encode_to_vec()
}

#[test]
fn an_operator_tract_lacks_is_named_and_a_graph_not_taking_images_is_refused() {
    let error = OnnxRunner::load(&one_node_graph("Det"), [3, 32, 32], &[]).unwrap_err();
    assert_eq!(error, OnnxError::UnsupportedOperators(vec!["Det".into()]));
    assert!(error.to_string().contains("operator(s) Det"), "{error}");
    let error = OnnxRunner::load(&one_node_graph("Relu"), [3, 32, 32], &[]).unwrap_err();
    assert!(matches!(error, OnnxError::InputShape { .. }), "{error}");
}
