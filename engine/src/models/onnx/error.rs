//! [`OnnxError`]: why an ONNX file cannot be read, run or written, in words a user can act on.

/// Why an ONNX file cannot serve.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum OnnxError {
    /// The bytes are not an ONNX model.
    #[error("not an ONNX model: {0}")]
    NotOnnx(String),
    /// The weights are in a separate file, which an upload does not bring.
    #[error("the graph keeps its weights in a separate file (ONNX external data); export one self-contained file: torch.onnx.export(..., external_data=False)")]
    ExternalData,
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
    /// The logits output is not one score per class.
    #[error("output `{output}` is [batch, {}], not the logits [batch, {classes}] of this dataset's {classes} classes; name the logits output with `logits`", join(.shape))]
    Logits {
        /// The output taken as logits.
        output: String,
        /// Its shape for one image.
        shape: Vec<usize>,
        /// The dataset's classes.
        classes: usize,
    },
    /// A feature output is neither a feature map nor a vector.
    #[error("output `{output}` is [batch, {}]; a stage's features are [batch, channels, height, width] or [batch, channels]", join(.shape))]
    FeatureShape {
        /// The output.
        output: String,
        /// Its shape for one image.
        shape: Vec<usize>,
    },
    /// The declared preprocessing does not fit the images.
    #[error("{option}: {message}")]
    Preprocess {
        /// The option at fault: `size`, `mean`, `std` or `grey_to_rgb`.
        option: &'static str,
        /// What is wrong.
        message: String,
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

/// `3, 32, 32`.
fn join(shape: &[usize]) -> String {
    shape
        .iter()
        .map(usize::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}
