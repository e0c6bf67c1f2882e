//! [`OnnxRunner`]: an ONNX graph run by tract on batches of images, with the checks that make
//! a file usable as a teacher named in the error: that it is ONNX, that tract has every
//! operator it uses, that its one input takes the images given, and which outputs it has.

use std::sync::Arc;

use tract_onnx::pb::{tensor_shape_proto::dimension, type_proto, GraphProto, ModelProto};
use tract_onnx::prelude::*;
use tract_onnx::tract_hir::internal::DimLike;

use super::OnnxError;

/// One output of a graph: its name and its shape for one image (the batch dimension left out).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OnnxOutput {
    /// The name the graph gives it.
    pub name: String,
    /// Its shape, batch excluded.
    pub shape: Vec<usize>,
}

/// A graph ready to run on images of one shape, computing the outputs it was loaded with.
#[derive(Debug, Clone)]
pub struct OnnxRunner {
    plan: Arc<TypedRunnableModel>,
    /// Channels, height and width of the images it takes.
    image: [usize; 3],
    outputs: Vec<OnnxOutput>,
}

impl OnnxRunner {
    /// Loads the ONNX file `bytes` for images of shape `image` (`[channels, height, width]`),
    /// computing the outputs named in `outputs`, or every output of the graph when empty.
    pub fn load(
        bytes: &[u8],
        image: [usize; 3],
        outputs: &[String],
    ) -> Result<OnnxRunner, OnnxError> {
        let onnx = tract_onnx::onnx();
        let proto = decode(bytes)?;
        let graph = proto
            .graph
            .as_ref()
            .ok_or(OnnxError::NotOnnx("it holds no graph".into()))?;
        unsupported_operators(&onnx, graph)?;
        check_input(graph, image)?;
        let model = onnx
            .model_for_proto_model(&proto)
            .map_err(|e| OnnxError::Graph(chain(&e)))?;
        let batch = model.sym("batch");
        let [c, h, w] = image.map(TDim::from);
        let fact = f32::fact([TDim::from(batch), c, h, w]);
        let mut model = model
            .with_input_fact(0, fact.into())
            .map_err(|e| OnnxError::Graph(chain(&e)))?;
        if !outputs.is_empty() {
            let known = output_names(graph);
            let unknown: Vec<String> = outputs
                .iter()
                .filter(|o| !known.contains(o))
                .cloned()
                .collect();
            if !unknown.is_empty() {
                return Err(OnnxError::UnknownOutputs { unknown, known });
            }
            model
                .select_outputs_by_name(outputs)
                .map_err(|e| OnnxError::Graph(chain(&e)))?;
        }
        let names = match outputs.is_empty() {
            true => output_names(graph),
            false => outputs.to_vec(),
        };
        let typed = model
            .into_optimized()
            .map_err(|e| OnnxError::Graph(chain(&e)))?;
        let outputs = names
            .into_iter()
            .enumerate()
            .map(|(i, name)| output_shape(&typed, i).map(|shape| OnnxOutput { name, shape }))
            .collect::<Result<_, _>>()?;
        let plan = typed
            .into_runnable()
            .map_err(|e| OnnxError::Graph(chain(&e)))?;
        Ok(OnnxRunner {
            plan,
            image,
            outputs,
        })
    }

    /// The outputs it computes, in order.
    pub fn outputs(&self) -> &[OnnxOutput] {
        &self.outputs
    }

    /// Runs the graph on `batch` images laid out row-major in `images`; returns each output's
    /// values for the batch, row-major, in the order of [`OnnxRunner::outputs`].
    pub fn run(&self, images: &[f32], batch: usize) -> Result<Vec<Vec<f32>>, OnnxError> {
        let [c, h, w] = self.image;
        let input =
            Tensor::from_shape(&[batch, c, h, w], images).map_err(|e| OnnxError::Run(chain(&e)))?;
        let results = self
            .plan
            .run(tvec!(input.into_tvalue()))
            .map_err(|e| OnnxError::Run(chain(&e)))?;
        results
            .iter()
            .map(|value| {
                let view = value
                    .to_plain_array_view::<f32>()
                    .map_err(|e| OnnxError::Run(chain(&e)))?;
                Ok(view.iter().copied().collect())
            })
            .collect()
    }
}

pub(super) fn decode(bytes: &[u8]) -> Result<ModelProto, OnnxError> {
    use prost::Message;
    let proto = ModelProto::decode(bytes).map_err(|e| OnnxError::NotOnnx(e.to_string()))?;
    const EXTERNAL: i32 = 1;
    match &proto.graph {
        Some(graph)
            if graph
                .initializer
                .iter()
                .any(|t| t.data_location == Some(EXTERNAL)) =>
        {
            Err(OnnxError::ExternalData)
        }
        Some(graph) if !graph.node.is_empty() => Ok(proto),
        _ => Err(OnnxError::NotOnnx("it holds no graph".into())),
    }
}

/// Refuses a graph with operators of the standard domain that tract does not implement.
fn unsupported_operators(onnx: &tract_onnx::Onnx, graph: &GraphProto) -> Result<(), OnnxError> {
    let mut missing: Vec<String> = graph
        .node
        .iter()
        .filter(|node| node.domain.is_empty() || node.domain == "ai.onnx")
        .filter(|node| !onnx.op_register.0.contains_key(&node.op_type))
        .map(|node| node.op_type.clone())
        .collect();
    missing.sort();
    missing.dedup();
    match missing.is_empty() {
        true => Ok(()),
        false => Err(OnnxError::UnsupportedOperators(missing)),
    }
}

/// The graph's inputs that are not weights.
fn real_inputs(graph: &GraphProto) -> Vec<&tract_onnx::pb::ValueInfoProto> {
    let weights: std::collections::HashSet<&str> =
        graph.initializer.iter().map(|t| t.name.as_str()).collect();
    graph
        .input
        .iter()
        .filter(|input| !weights.contains(input.name.as_str()))
        .collect()
}

/// The dimensions the graph's one input declares, free ones `None`.
fn input_dims(graph: &GraphProto) -> Result<Vec<Option<usize>>, OnnxError> {
    let inputs = real_inputs(graph);
    let [input] = inputs.as_slice() else {
        let names = inputs.iter().map(|i| i.name.clone()).collect();
        return Err(OnnxError::Inputs(names));
    };
    let Some(type_proto::Value::TensorType(tensor)) =
        input.r#type.as_ref().and_then(|t| t.value.as_ref())
    else {
        return Err(OnnxError::Inputs(vec![input.name.clone()]));
    };
    let dims = tensor
        .shape
        .as_ref()
        .map(|shape| shape.dim.as_slice())
        .unwrap_or_default();
    Ok(dims
        .iter()
        .map(|dim| match dim.value {
            Some(dimension::Value::DimValue(v)) if v > 0 => Some(v as usize),
            _ => None,
        })
        .collect())
}

/// Refuses a graph whose input cannot take a batch of images of shape `image`.
fn check_input(graph: &GraphProto, image: [usize; 3]) -> Result<(), OnnxError> {
    let dims = input_dims(graph)?;
    let fits = dims.len() == 4
        && dims[1..]
            .iter()
            .zip(image)
            .all(|(declared, given)| declared.is_none_or(|d| d == given));
    match fits {
        true => Ok(()),
        false => Err(OnnxError::InputShape {
            declared: dims,
            image,
        }),
    }
}

fn output_names(graph: &GraphProto) -> Vec<String> {
    graph.output.iter().map(|o| o.name.clone()).collect()
}

/// The shape of output `i` for one image, once the graph is typed.
fn output_shape(model: &TypedModel, i: usize) -> Result<Vec<usize>, OnnxError> {
    let fact = model
        .output_fact(i)
        .map_err(|e| OnnxError::Graph(chain(&e)))?;
    let dims: Vec<&TDim> = fact.shape.iter().collect();
    let unknown = || OnnxError::Graph(format!("output {i} has no fixed shape: {:?}", fact.shape));
    if dims.is_empty() {
        return Err(unknown());
    }
    dims[1..]
        .iter()
        .map(|d| d.to_usize().map_err(|_| unknown()))
        .collect()
}

/// tract's error with its causes, outermost first.
fn chain(error: &TractError) -> String {
    error
        .chain()
        .map(|cause| cause.to_string())
        .collect::<Vec<_>>()
        .join(": ")
}
