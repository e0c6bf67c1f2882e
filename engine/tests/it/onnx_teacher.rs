//! An ONNX file as a frozen teacher: the lab's own export, imported back, gives the net's
//! logits and chosen stages on the lab's batches; the owner's preprocessing (grey to RGB,
//! resize, mean and std) is applied for the teacher alone; choices that do not fit the
//! dataset are refused, naming the output or the option.

use api::{Architecture, OnnxPreprocess};
use burn::prelude::*;
use burn::tensor::module::interpolate;
use burn::tensor::ops::{InterpolateMode, InterpolateOptions};
use engine::data::{generate_synthetic, Batcher, Split};
use engine::models::{
    export_onnx, seeded, Classifier, InputShape, Model, Net, OnnxChoice, OnnxError, OnnxTeacher,
    PreActivation,
};

/// The synthetic set: 28×28 grey images of 10 classes.
const GREY: InputShape = InputShape {
    channels: 1,
    height: 28,
    width: 28,
    classes: 10,
};

fn cnn(input: InputShape) -> Net {
    let arch: Architecture =
        serde_json::from_str(r#"{"kind": "cnn", "channels": [4, 8], "fc": 12}"#).unwrap();
    let device = Device::flex();
    seeded(&device, 7, || Net::init(&arch, input, &device))
}

fn data() -> (Split, Batcher) {
    let split = generate_synthetic(40, 8);
    let batcher = Batcher::fitted_to(&split.train);
    (split, batcher)
}

fn features(names: &[&str]) -> OnnxChoice {
    OnnxChoice {
        features: names.iter().map(|n| n.to_string()).collect(),
        ..OnnxChoice::default()
    }
}

/// Loads `onnx` as the teacher `choice` makes of it for `input`.
fn teacher(onnx: &[u8], input: InputShape, choice: &OnnxChoice) -> OnnxTeacher {
    let (spec, _) = OnnxTeacher::inspect(onnx, input, choice).unwrap();
    OnnxTeacher::load(onnx, &spec, input).unwrap()
}

fn assert_close(what: &str, ours: Tensor<2>, expected: Tensor<2>) {
    let (ours, expected): (Vec<f32>, Vec<f32>) = (
        ours.into_data().try_to_vec().unwrap(),
        expected.into_data().try_to_vec().unwrap(),
    );
    assert_eq!(ours.len(), expected.len(), "{what}: sizes");
    for (i, (a, b)) in ours.iter().zip(&expected).enumerate() {
        assert!(
            (a - b).abs() < 1e-4,
            "{what}[{i}]: {a} from ONNX, {b} from burn"
        );
    }
}

fn flat(stage: Tensor<4>) -> Tensor<2> {
    let [b, c, h, w] = stage.dims();
    stage.reshape([b, c * h * w])
}

#[test]
fn the_labs_own_export_imported_as_a_teacher_gives_the_nets_logits_stages_and_embedding() {
    let (split, batcher) = data();
    let net = cnn(GREY);
    let onnx = export_onnx(&net, GREY);
    let (spec, outputs) = OnnxTeacher::inspect(&onnx, GREY, &features(&["stage1", "stage2"]))
        .expect("the lab's export teaches on the data it was made for");
    assert_eq!(spec.logits, "logits", "the output named logits by default");
    let names: Vec<&str> = outputs.iter().map(|o| o.name.as_str()).collect();
    assert_eq!(names, ["logits", "stage1", "stage2"]);
    assert_eq!(outputs[0].shape, [10]);
    let teacher = Model::Onnx(OnnxTeacher::load(&onnx, &spec, GREY).unwrap().into());

    let device = Device::flex();
    let batch = batcher.batch(&split.train, &[0, 5, 9, 30], &device, None);
    let ours = teacher.forward_features_with(batch.images.clone(), PreActivation::Skip, &batcher);
    let burn = net.forward_features(batch.images.clone());

    assert_close("logits", ours.logits, burn.logits.clone());
    assert_eq!(ours.stages.len(), 2);
    for (i, (a, b)) in ours.stages.into_iter().zip(burn.stages.clone()).enumerate() {
        assert_close(&format!("stage{}", i + 1), flat(a), flat(b));
    }
    let pooled = burn.stages[1].clone().mean_dim(3).mean_dim(2);
    assert_close("embedding", ours.embedding, pooled.reshape([4, 8]));
    assert_close(
        "classify",
        teacher.classify(batch.images.clone(), &batcher),
        net.forward(batch.images),
    );
    let arch: Architecture =
        serde_json::from_str(r#"{"kind": "cnn", "channels": [4, 8], "fc": 12}"#).unwrap();
    assert_eq!(
        Net::stage_shapes(&Architecture::Onnx(spec.clone()), GREY),
        Net::stage_shapes(&arch, GREY),
        "the spec keeps the chosen outputs' shapes"
    );
    assert!(spec.params > 0);
}

#[test]
fn the_owners_preprocessing_turns_grey_images_into_the_rgb_size_and_scale_the_graph_expects() {
    let (split, batcher) = data();
    let rgb = InputShape {
        channels: 3,
        height: 32,
        width: 32,
        classes: 10,
    };
    let net = cnn(rgb);
    let onnx = export_onnx(&net, rgb);
    let (mean, std) = ([0.485, 0.456, 0.406], [0.229, 0.224, 0.225]);
    let choice = OnnxChoice {
        preprocess: OnnxPreprocess {
            size: Some([32, 32]),
            mean: Some(mean.to_vec()),
            std: Some(std.to_vec()),
            grey_to_rgb: true,
        },
        ..OnnxChoice::default()
    };
    let teacher = teacher(&onnx, GREY, &choice);

    let device = Device::flex();
    let indices = [1, 2, 3];
    let batch = batcher.batch(&split.train, &indices, &device, None);
    let ours = teacher.forward_features(batch.images, &batcher).logits;

    // The same steps by hand, from the raw bytes: pixels in [0, 1], three channels, 32×32,
    // then the owner's mean and std.
    let pixels: Vec<f32> = indices
        .iter()
        .flat_map(|&i| split.train.image(i).iter().map(|&p| p as f32 / 255.0))
        .collect();
    let grey = Tensor::<4>::from_data(TensorData::new(pixels, [3, 1, 28, 28]), &device);
    let resized = interpolate(
        grey.repeat_dim(1, 3),
        InterpolateOptions::new(InterpolateMode::Bilinear).with_output_size([32, 32]),
    );
    let channel = |v: [f32; 3]| Tensor::<1>::from_floats(v, &device).reshape([1, 3, 1, 1]);
    let expected = net.forward((resized - channel(mean)) / channel(std));
    assert_close("logits", ours, expected);
}

#[test]
fn outputs_and_preprocessing_that_do_not_fit_the_dataset_are_refused_by_name() {
    let onnx = export_onnx(&cnn(GREY), GREY);
    let refused = |choice: OnnxChoice| OnnxTeacher::inspect(&onnx, GREY, &choice).unwrap_err();

    let logits = refused(OnnxChoice {
        logits: Some("stage2".into()),
        ..OnnxChoice::default()
    });
    assert!(matches!(&logits, OnnxError::Logits { output, classes: 10, .. } if output == "stage2"));
    assert!(
        logits.to_string().contains("not the logits [batch, 10]"),
        "{logits}"
    );

    let unknown = refused(features(&["stage1", "stage9"]));
    assert_eq!(
        unknown,
        OnnxError::UnknownOutputs {
            unknown: vec!["stage9".into()],
            known: vec!["logits".into(), "stage1".into(), "stage2".into()],
        }
    );

    let colour = refused(OnnxChoice {
        preprocess: OnnxPreprocess {
            grey_to_rgb: true,
            ..OnnxPreprocess::default()
        },
        ..OnnxChoice::default()
    });
    assert!(
        matches!(
            colour,
            OnnxError::InputShape {
                image: [3, 28, 28],
                ..
            }
        ),
        "{colour}"
    );

    let short_mean = refused(OnnxChoice {
        preprocess: OnnxPreprocess {
            mean: Some(vec![0.5, 0.5]),
            std: Some(vec![0.2, 0.2]),
            ..OnnxPreprocess::default()
        },
        ..OnnxChoice::default()
    });
    assert!(
        matches!(short_mean, OnnxError::Preprocess { option: "mean", .. }),
        "{short_mean}"
    );

    let mean_alone = refused(OnnxChoice {
        preprocess: OnnxPreprocess {
            mean: Some(vec![0.5]),
            ..OnnxPreprocess::default()
        },
        ..OnnxChoice::default()
    });
    assert!(
        matches!(mean_alone, OnnxError::Preprocess { option: "std", .. }),
        "{mean_alone}"
    );

    let tiny = refused(OnnxChoice {
        preprocess: OnnxPreprocess {
            size: Some([0, 28]),
            ..OnnxPreprocess::default()
        },
        ..OnnxChoice::default()
    });
    assert!(
        matches!(tiny, OnnxError::Preprocess { option: "size", .. }),
        "{tiny}"
    );
}
