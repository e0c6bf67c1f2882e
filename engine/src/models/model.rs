//! [`Model`]: what a finished run holds — a zoo [`Net`], or a frozen [`OnnxTeacher`] imported
//! from an ONNX file — and [`Classifier`], the forward pass evaluation and timing need from
//! either.

use std::sync::Arc;

use burn::prelude::*;

use super::{Features, Net, NormBeforeRelu, OnnxTeacher, PreActivation};
use crate::data::Batcher;

/// A trained model: one of the zoo's (trainable, exportable) or an ONNX graph (frozen).
// A handful live at a time (a run's model, its teacher): boxing the net would buy nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone)]
pub enum Model {
    /// A burn module of the zoo.
    Net(Net),
    /// An imported ONNX graph, run by tract.
    Onnx(Arc<OnnxTeacher>),
}

/// Anything that turns a batch of the lab's images (normalised by `batcher`) into logits.
pub trait Classifier {
    /// Class scores. // images: [batch, channels, height, width] → [batch, classes]
    fn classify(&self, images: Tensor<4>, batcher: &Batcher) -> Tensor<2>;
}

impl Classifier for Net {
    fn classify(&self, images: Tensor<4>, _batcher: &Batcher) -> Tensor<2> {
        self.forward(images)
    }
}

impl Classifier for Model {
    fn classify(&self, images: Tensor<4>, batcher: &Batcher) -> Tensor<2> {
        match self {
            Model::Net(net) => net.forward(images),
            Model::Onnx(onnx) => onnx.forward_features(images, batcher).logits,
        }
    }
}

impl Model {
    /// Stage features and logits of a batch; an ONNX graph gives its chosen outputs and never
    /// the stages before their ReLU (validation keeps the methods that read them away).
    pub fn forward_features_with(
        &self,
        images: Tensor<4>,
        pre: PreActivation,
        batcher: &Batcher,
    ) -> Features {
        match self {
            Model::Net(net) => net.forward_features_with(images, pre),
            Model::Onnx(onnx) => onnx.forward_features(images, batcher),
        }
    }

    /// The batch norm before each stage's last ReLU (none for an ONNX graph).
    pub fn norms_before_relu(&self) -> Vec<NormBeforeRelu> {
        match self {
            Model::Net(net) => net.norms_before_relu(),
            Model::Onnx(_) => Vec::new(),
        }
    }

    /// The zoo model, when it is one.
    pub fn as_net(&self) -> Option<&Net> {
        match self {
            Model::Net(net) => Some(net),
            Model::Onnx(_) => None,
        }
    }

    /// Its size on disk: the burn record's bytes, or the ONNX file's.
    pub fn serialized_bytes(&self) -> Result<usize, burn::store::RecordError> {
        match self {
            Model::Net(net) => net.serialized_bytes(),
            Model::Onnx(onnx) => Ok(onnx.file().len()),
        }
    }
}
