//! [`OnnxError`]: why an ONNX file cannot be read, run or written, in words a user can act on.

/// Why an ONNX file cannot serve.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum OnnxError {
    /// The bytes are not an ONNX model.
    #[error("not an ONNX model: {0}")]
    NotOnnx(String),
    /// The graph uses operators the runtime does not implement.
    #[error("the ONNX runtime (tract) does not implement the operator(s) {}", .0.join(", "))]
    UnsupportedOperators(Vec<String>),
    /// The graph does not have exactly one input besides its weights.
    #[error("the graph must take one input, the images; it takes {}: {}", .0.len(), .0.join(", "))]
    Inputs(Vec<String>),
    /// The graph's input cannot take the images.
    #[error(
        "the graph's input is {} but the images are [batch, {}, {}, {}]",
        dims_text(.declared), .image[0], .image[1], .image[2]
    )]
    InputShape {
        /// The dimensions it declares, free ones `None`.
        declared: Vec<Option<usize>>,
        /// The shape of one image it is given.
        image: [usize; 3],
    },
    /// Outputs were asked for that the graph does not have.
    #[error("the graph has no output(s) {}; its outputs are {}", .unknown.join(", "), .known.join(", "))]
    UnknownOutputs {
        /// The names asked for that it lacks.
        unknown: Vec<String>,
        /// The outputs it has.
        known: Vec<String>,
    },
    /// tract could not make the graph runnable.
    #[error("the ONNX runtime (tract) cannot run this graph: {0}")]
    Graph(String),
    /// A run failed.
    #[error("running the ONNX graph failed: {0}")]
    Run(String),
}

/// `[batch, 3, 224, 224]`, a free dimension shown as `?`.
fn dims_text(dims: &[Option<usize>]) -> String {
    let dims: Vec<String> = dims
        .iter()
        .map(|d| d.map_or("?".to_string(), |d| d.to_string()))
        .collect();
    format!("[{}]", dims.join(", "))
}
