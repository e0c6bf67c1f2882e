//! [`OnnxTeacher`]: an imported ONNX graph as a frozen teacher. Its import
//! ([`OnnxTeacher::inspect`]) checks the file against the dataset (the input takes its images
//! after the declared preprocessing, the logits output is `[batch, classes]`, each chosen
//! feature output is a stage's features) and resolves what it found into the run's
//! [`OnnxSpec`]; a worker then loads it from that spec and runs it on the lab's batches.

use api::{OnnxFeature, OnnxPreprocess, OnnxSpec};
use burn::prelude::*;
use burn::tensor::module::interpolate;
use burn::tensor::ops::{InterpolateMode, InterpolateOptions};

use super::runtime::decode;
use super::{OnnxError, OnnxOutput, OnnxRunner, LOGITS};
use crate::data::Batcher;
use crate::models::{Features, InputShape};

/// What the owner says about an ONNX file at import.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct OnnxChoice {
    /// The output holding the logits [default: the one named `logits`, else the first].
    pub logits: Option<String>,
    /// The outputs that serve as stage features, input side first.
    pub features: Vec<String>,
    /// The preprocessing the graph expects, when not the lab's.
    pub preprocess: OnnxPreprocess,
}

/// Largest side an image may be resized to.
const MAX_SIDE: usize = 1024;

/// An ONNX graph that teaches: its logits and chosen features for the lab's batches.
#[derive(Debug, Clone)]
pub struct OnnxTeacher {
    runner: OnnxRunner,
    spec: OnnxSpec,
    file: Vec<u8>,
}

impl OnnxTeacher {
    /// Checks the ONNX file `bytes` as a teacher of images shaped by `input` with `choice`'s
    /// outputs and preprocessing; returns the resolved spec and every output of the graph
    /// with its shape (for the owner to choose features from).
    pub fn inspect(
        bytes: &[u8],
        input: InputShape,
        choice: &OnnxChoice,
    ) -> Result<(OnnxSpec, Vec<OnnxOutput>), OnnxError> {
        let image = graph_image(&choice.preprocess, input)?;
        let all = OnnxRunner::load(bytes, image, &[])?.outputs().to_vec();
        let Some(first) = all.first() else {
            return Err(OnnxError::Graph("the graph declares no outputs".into()));
        };
        let known = || all.iter().map(|o| o.name.clone()).collect::<Vec<_>>();
        let logits = match &choice.logits {
            Some(name) => name.clone(),
            None => all
                .iter()
                .find(|o| o.name == LOGITS)
                .unwrap_or(first)
                .name
                .clone(),
        };
        let shape_of = |name: &str| all.iter().find(|o| o.name == name).map(|o| &o.shape);
        let unknown: Vec<String> = std::iter::once(&logits)
            .chain(&choice.features)
            .filter(|name| shape_of(name).is_none())
            .cloned()
            .collect();
        if !unknown.is_empty() {
            return Err(OnnxError::UnknownOutputs {
                unknown,
                known: known(),
            });
        }
        let logit_shape = shape_of(&logits).expect("checked above");
        if logit_shape != &[input.classes] {
            return Err(OnnxError::Logits {
                output: logits,
                shape: logit_shape.clone(),
                classes: input.classes,
            });
        }
        let features = choice
            .features
            .iter()
            .map(|name| feature(name, shape_of(name).expect("checked above")))
            .collect::<Result<_, _>>()?;
        let spec = OnnxSpec {
            logits,
            features,
            preprocess: choice.preprocess.clone(),
            params: weight_count(bytes)?,
        };
        Ok((spec, all))
    }

    /// Loads the ONNX file `bytes` as the teacher `spec` describes, for images shaped by
    /// `input`.
    pub fn load(bytes: &[u8], spec: &OnnxSpec, input: InputShape) -> Result<Self, OnnxError> {
        let image = graph_image(&spec.preprocess, input)?;
        let outputs: Vec<String> = std::iter::once(spec.logits.clone())
            .chain(spec.features.iter().map(|f| f.output.clone()))
            .collect();
        Ok(OnnxTeacher {
            runner: OnnxRunner::load(bytes, image, &outputs)?,
            spec: spec.clone(),
            file: bytes.to_vec(),
        })
    }

    /// Its ONNX file.
    pub fn file(&self) -> &[u8] {
        &self.file
    }

    /// Its logits and chosen features for a batch of the lab's images (normalised by
    /// `batcher`), on the images' device: the stages are the chosen outputs, the embedding the
    /// last of them averaged over its positions (no columns without features), and no
    /// pre-activation stages. // images: [batch, channels, height, width]
    ///
    /// # Panics
    /// If tract fails on a batch of a graph it loaded for this very shape.
    pub fn forward_features(&self, images: Tensor<4>, batcher: &Batcher) -> Features {
        let device = images.device();
        let input = self.prepare(images, batcher);
        let batch = input.dims()[0];
        let values: Vec<f32> = input.into_data().try_to_vec().expect("f32 images");
        let mut outputs = self
            .runner
            .run(&values, batch)
            .unwrap_or_else(|e| panic!("the ONNX teacher failed on a batch of {batch}: {e}"))
            .into_iter();
        let logits = outputs.next().expect("the logits are the first output");
        let classes = logits.len() / batch.max(1);
        let logits = Tensor::from_data(TensorData::new(logits, [batch, classes]), &device);
        let stages: Vec<Tensor<4>> = outputs
            .zip(&self.spec.features)
            .map(|(values, f)| {
                let shape = [batch, f.channels, f.height, f.width];
                Tensor::from_data(TensorData::new(values, shape), &device)
            })
            .collect();
        let embedding = match stages.last() {
            Some(last) => {
                let [b, c, _, _] = last.dims();
                last.clone().mean_dim(3).mean_dim(2).reshape([b, c])
            }
            None => Tensor::zeros([batch, 0], &device),
        };
        Features {
            stages,
            pre_activation: Vec::new(),
            embedding,
            logits,
        }
    }

    /// The graph's input for the lab's normalised images: back to pixels in `[0, 1]` when the
    /// owner gave a mean and std, grey to RGB, resized, then normalised the owner's way.
    fn prepare(&self, images: Tensor<4>, batcher: &Batcher) -> Tensor<4> {
        let p = &self.spec.preprocess;
        let mut x = match (&p.mean, &p.std) {
            (Some(_), Some(_)) => batcher.pixels(images),
            _ => images,
        };
        if p.grey_to_rgb {
            x = x.repeat_dim(1, 3);
        }
        if let Some(size) = p.size {
            let [_, _, h, w] = x.dims();
            if [h, w] != size {
                let options =
                    InterpolateOptions::new(InterpolateMode::Bilinear).with_output_size(size);
                x = interpolate(x, options);
            }
        }
        if let (Some(mean), Some(std)) = (&p.mean, &p.std) {
            let device = x.device();
            let channel =
                |v: &[f32]| {
                    Tensor::<1>::from_data(TensorData::new(v.to_vec(), [v.len()]), &device)
                        .reshape([1, v.len(), 1, 1])
                };
            x = (x - channel(mean)) / channel(std);
        }
        x
    }
}

/// The shape of one image as the graph takes it, after `preprocess`; refuses a preprocessing
/// that does not fit the dataset's images.
fn graph_image(preprocess: &OnnxPreprocess, input: InputShape) -> Result<[usize; 3], OnnxError> {
    let refuse =
        |option: &'static str, message: String| Err(OnnxError::Preprocess { option, message });
    if preprocess.grey_to_rgb && input.channels != 1 {
        return refuse(
            "grey_to_rgb",
            format!(
                "needs grey images; this dataset's have {} channels",
                input.channels
            ),
        );
    }
    let channels = if preprocess.grey_to_rgb {
        3
    } else {
        input.channels
    };
    let [height, width] = preprocess.size.unwrap_or([input.height, input.width]);
    if !(1..=MAX_SIDE).contains(&height) || !(1..=MAX_SIDE).contains(&width) {
        return refuse(
            "size",
            format!("{height}×{width}: each side must be 1 to {MAX_SIDE} pixels"),
        );
    }
    match (&preprocess.mean, &preprocess.std) {
        (None, None) => {}
        (Some(mean), Some(std)) => {
            for (option, values) in [("mean", mean), ("std", std)] {
                if values.len() != channels {
                    return refuse(
                        option,
                        format!(
                            "{} values, but the graph's input has {channels} channel(s)",
                            values.len()
                        ),
                    );
                }
            }
            if let Some(bad) = std.iter().find(|s| !(s.is_finite() && **s > 0.0)) {
                return refuse("std", format!("values must be positive, got {bad}"));
            }
            if let Some(bad) = mean.iter().find(|m| !m.is_finite()) {
                return refuse("mean", format!("values must be numbers, got {bad}"));
            }
        }
        (None, Some(_)) => return refuse("mean", "give mean with std, or neither".into()),
        (Some(_), None) => return refuse("std", "give std with mean, or neither".into()),
    }
    Ok([channels, height, width])
}

/// A chosen output as a stage: `[channels, height, width]`, or a vector as `[channels, 1, 1]`.
fn feature(name: &str, shape: &[usize]) -> Result<OnnxFeature, OnnxError> {
    let (channels, height, width) = match *shape {
        [c, h, w] => (c, h, w),
        [c] => (c, 1, 1),
        _ => {
            return Err(OnnxError::FeatureShape {
                output: name.to_string(),
                shape: shape.to_vec(),
            })
        }
    };
    Ok(OnnxFeature {
        output: name.to_string(),
        channels,
        height,
        width,
    })
}

/// Elements of the graph's float initializers (its weights, biases and batch-norm statistics).
fn weight_count(bytes: &[u8]) -> Result<usize, OnnxError> {
    const FLOAT: i32 = 1;
    let proto = decode(bytes)?;
    let graph = proto
        .graph
        .as_ref()
        .expect("decode checks there is a graph");
    Ok(graph
        .initializer
        .iter()
        .filter(|t| t.data_type == FLOAT)
        .map(|t| t.dims.iter().product::<i64>().max(0) as usize)
        .sum())
}
