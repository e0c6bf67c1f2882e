//! ONNX in and out of the lab, through tract (a pure-Rust ONNX runtime) and ONNX's own
//! protobuf schema (tract's `pb`, written with prost).
//!
//! - Out: [`export_onnx`] writes a trained model as an `.onnx` file, its batch dimension free,
//!   its weights under the reference names the safetensors export uses, with the logits and
//!   each stage's features as outputs.
//! - In: [`OnnxRunner`] runs any ONNX graph tract implements on the dataset's images, after
//!   checks that name what does not fit; [`OnnxTeacher`] makes one a frozen teacher (its
//!   logits, chosen feature outputs and declared preprocessing).

mod error;
mod export;
mod graph;
mod runtime;
mod teacher;

pub use error::OnnxError;
pub use export::{burnpack_to_onnx, export_onnx, IMAGES, LOGITS};
pub(super) use graph::{GraphOutputs, OnnxGraph};
pub use runtime::{OnnxOutput, OnnxRunner};
pub use teacher::{OnnxChoice, OnnxTeacher};
