//! [`OnnxGraph`]: an ONNX graph written layer by layer from the zoo's burn modules, with
//! their weights as initializers under the names the caller gives (the reference names of
//! [`super::super::weights`] where the architecture has them), and encoded as a `ModelProto`.

use burn::module::Param;
use burn::nn::conv::Conv2d;
use burn::nn::pool::MaxPool2d;
use burn::nn::{BatchNorm, Linear, PaddingConfig2d};
use burn::prelude::*;
use prost::Message;
use tract_onnx::pb::attribute_proto::AttributeType;
use tract_onnx::pb::tensor_proto::DataType;
use tract_onnx::pb::tensor_shape_proto::{dimension, Dimension};
use tract_onnx::pb::{
    type_proto, AttributeProto, GraphProto, ModelProto, NodeProto, OperatorSetIdProto, TensorProto,
    TensorShapeProto, TypeProto, ValueInfoProto,
};

/// The operator set the graph is written in: one every ONNX runtime of the last years reads
/// (tract is tested on 9 to 18).
const OPSET: i64 = 13;
/// The IR version that goes with [`OPSET`].
const IR_VERSION: i64 = 7;
/// The name of the batch dimension, left free.
const BATCH: &str = "batch";

/// What a model's graph computes: the values of its stage features and of its logits.
#[derive(Debug, Clone)]
pub struct GraphOutputs {
    /// Each stage's output, input side first.
    pub stages: Vec<String>,
    /// Class scores.
    pub logits: String,
}

impl GraphOutputs {
    /// The outputs of a conv network that average-pools `last` and classifies it with the
    /// linear layer `output` (at module path `output`): the graph twin of `Features::pooled`.
    pub fn pooled(graph: &mut OnnxGraph, stages: Vec<String>, last: &str, output: &Linear) -> Self {
        let pooled = graph.global_average_pool(last);
        let logits = graph.linear(output, &pooled, "output");
        GraphOutputs { stages, logits }
    }
}

/// A graph being written: its nodes and its weights.
pub struct OnnxGraph<'a> {
    nodes: Vec<NodeProto>,
    initializers: Vec<TensorProto>,
    outputs: Vec<ValueInfoProto>,
    /// The name outside the lab of the tensor at a burn module path.
    rename: Box<dyn Fn(&str) -> String + 'a>,
}

impl<'a> OnnxGraph<'a> {
    /// An empty graph whose weights, given by burn module path, are called `rename(path)`.
    pub fn new(rename: impl Fn(&str) -> String + 'a) -> OnnxGraph<'a> {
        OnnxGraph {
            nodes: Vec::new(),
            initializers: Vec::new(),
            outputs: Vec::new(),
            rename: Box::new(rename),
        }
    }

    /// The names, outside the lab, of the module at `path` and of its tensor `param`.
    fn names(&self, path: &str, param: &str) -> (String, String) {
        let tensor = (self.rename)(&format!("{path}.{param}"));
        let module = tensor
            .strip_suffix(&format!(".{param}"))
            .unwrap_or(&tensor)
            .to_string();
        (module, tensor)
    }

    /// A node of `op` on `inputs`, whose one output is called `output`.
    fn node(
        &mut self,
        op: &str,
        inputs: &[&str],
        output: String,
        attributes: Vec<AttributeProto>,
    ) -> String {
        self.nodes.push(NodeProto {
            input: inputs.iter().map(|s| s.to_string()).collect(),
            output: vec![output.clone()],
            name: output.clone(),
            op_type: op.to_string(),
            attribute: attributes,
            ..Default::default()
        });
        output
    }

    /// A fresh value name for the `op` applied to `input`: the module it comes from, the op and
    /// the node's number.
    fn derived(&self, input: &str, op: &str) -> String {
        let module = input.split('/').next().unwrap_or(input);
        format!("{module}/{op}{}", self.nodes.len())
    }

    /// Adds a weight tensor called `name`.
    fn weight<const D: usize>(&mut self, name: String, tensor: Tensor<D>) -> String {
        let dims = tensor.dims().iter().map(|&d| d as i64).collect();
        let values = tensor
            .into_data()
            .convert::<f32>()
            .try_to_vec::<f32>()
            .expect("f32 weights");
        self.initializers.push(TensorProto {
            dims,
            data_type: DataType::Float as i32,
            float_data: values,
            name: name.clone(),
            ..Default::default()
        });
        name
    }

    fn param<const D: usize>(&mut self, name: String, param: &Param<Tensor<D>>) -> String {
        self.weight(name, param.val())
    }

    /// `conv(x)`, for the conv at module path `path`.
    pub fn conv(&mut self, conv: &Conv2d, x: &str, path: &str) -> String {
        let (name, weight) = self.names(path, "weight");
        let mut inputs = vec![x.to_string(), self.param(weight, &conv.weight)];
        if let Some(bias) = &conv.bias {
            let bias_name = self.names(path, "bias").1;
            inputs.push(self.param(bias_name, bias));
        }
        let mut attributes = vec![
            ints("kernel_shape", &conv.kernel_size),
            ints("strides", &conv.stride),
            ints("dilations", &conv.dilation),
            int("group", conv.groups as i64),
        ];
        attributes.push(pads(&conv.padding));
        let inputs: Vec<&str> = inputs.iter().map(String::as_str).collect();
        self.node("Conv", &inputs, name, attributes)
    }

    /// The batch norm of inference (running statistics) at module path `path`, its tensors
    /// called `weight`, `bias`, `running_mean` and `running_var` as in PyTorch.
    pub fn batch_norm(&mut self, norm: &BatchNorm, x: &str, path: &str) -> String {
        let (name, scale) = self.names(path, "weight");
        let scale = self.param(scale, &norm.gamma);
        let shift = self.param(self.names(path, "bias").1, &norm.beta);
        let mean = self.weight(
            self.names(path, "running_mean").1,
            norm.running_mean.value(),
        );
        let var = self.weight(self.names(path, "running_var").1, norm.running_var.value());
        let epsilon = float("epsilon", norm.epsilon as f32);
        let inputs = [x, &scale, &shift, &mean, &var];
        self.node("BatchNormalization", &inputs, name, vec![epsilon])
    }

    /// `x · Wᵀ + b` for the linear layer at module path `path`, its weight in PyTorch's
    /// `[out, in]` layout as PyTorch's own ONNX export writes it.
    pub fn linear(&mut self, linear: &Linear, x: &str, path: &str) -> String {
        let (name, weight) = self.names(path, "weight");
        let weight = self.weight(weight, linear.weight.val().transpose());
        let mut inputs = vec![x.to_string(), weight];
        if let Some(bias) = &linear.bias {
            let bias_name = self.names(path, "bias").1;
            inputs.push(self.param(bias_name, bias));
        }
        let inputs: Vec<&str> = inputs.iter().map(String::as_str).collect();
        self.node("Gemm", &inputs, name, vec![int("transB", 1)])
    }

    /// `max(x, 0)`.
    pub fn relu(&mut self, x: &str) -> String {
        let output = self.derived(x, "relu");
        self.node("Relu", &[x], output, Vec::new())
    }

    /// `a + b`.
    pub fn add(&mut self, a: &str, b: &str) -> String {
        let output = self.derived(a, "add");
        self.node("Add", &[a, b], output, Vec::new())
    }

    /// The max pool `pool`.
    pub fn max_pool(&mut self, pool: &MaxPool2d, x: &str) -> String {
        let output = self.derived(x, "maxpool");
        let attributes = vec![
            ints("kernel_shape", &pool.kernel_size),
            ints("strides", &pool.stride),
            pads(&pool.padding),
        ];
        self.node("MaxPool", &[x], output, attributes)
    }

    /// The mean over each channel, flattened. // [batch, channels]
    pub fn global_average_pool(&mut self, x: &str) -> String {
        let output = self.derived(x, "avgpool");
        let pooled = self.node("GlobalAveragePool", &[x], output, Vec::new());
        self.flatten(&pooled)
    }

    /// `[batch, …] → [batch, product of …]`.
    pub fn flatten(&mut self, x: &str) -> String {
        let output = self.derived(x, "flatten");
        self.node("Flatten", &[x], output, vec![int("axis", 1)])
    }

    /// Channels `start..end` of `x`. // [batch, end - start, height, width]
    pub fn channels(&mut self, x: &str, start: usize, end: usize) -> String {
        let name = self.derived(x, "slice");
        let starts = self.int64s(&format!("{name}/starts"), &[start as i64]);
        let ends = self.int64s(&format!("{name}/ends"), &[end as i64]);
        let axes = self.int64s(&format!("{name}/axes"), &[1]);
        self.node("Slice", &[x, &starts, &ends, &axes], name, Vec::new())
    }

    /// `parts` side by side along the channels.
    pub fn concat(&mut self, parts: &[&str]) -> String {
        let output = self.derived(parts[0], "concat");
        self.node("Concat", parts, output, vec![int("axis", 1)])
    }

    /// The channels of `x`'s two halves interleaved: `[batch, 2, c/2, h, w]`, transposed to
    /// `[batch, c/2, 2, h, w]`, flattened back; `shape` is `[c, h, w]`.
    pub fn channel_shuffle(&mut self, x: &str, shape: [usize; 3]) -> String {
        let [c, h, w] = shape.map(|d| d as i64);
        let name = self.derived(x, "shuffle");
        let split = self.int64s(&format!("{name}/split"), &[0, 2, c / 2, h, w]);
        let merged = self.int64s(&format!("{name}/merged"), &[0, c, h, w]);
        let halves = self.node(
            "Reshape",
            &[x, &split],
            format!("{name}/halves"),
            Vec::new(),
        );
        let swapped = self.node(
            "Transpose",
            &[&halves],
            format!("{name}/swapped"),
            vec![ints("perm", &[0, 2, 1, 3, 4])],
        );
        self.node("Reshape", &[&swapped, &merged], name, Vec::new())
    }

    /// An int64 constant called `name`.
    fn int64s(&mut self, name: &str, values: &[i64]) -> String {
        self.initializers.push(TensorProto {
            dims: vec![values.len() as i64],
            data_type: DataType::Int64 as i32,
            int64_data: values.to_vec(),
            name: name.to_string(),
            ..Default::default()
        });
        name.to_string()
    }

    /// `[batch, width] → [batch, width, 1, 1]`, the shape the lab gives an MLP's stages.
    pub fn as_map(&mut self, x: &str, width: usize) -> String {
        let shape_name = format!("{x}/map_shape");
        self.initializers.push(TensorProto {
            dims: vec![4],
            data_type: DataType::Int64 as i32,
            int64_data: vec![0, width as i64, 1, 1],
            name: shape_name.clone(),
            ..Default::default()
        });
        let output = self.derived(x, "reshape");
        self.node("Reshape", &[x, &shape_name], output, Vec::new())
    }

    /// Makes `value` a graph output called `name`, of shape `[batch, dims…]`.
    pub fn output(&mut self, value: &str, name: &str, dims: &[usize]) {
        self.node("Identity", &[value], name.to_string(), Vec::new());
        self.outputs.push(value_info(name, dims));
    }

    /// The model, its input `input` of shape `[batch, dims…]`, encoded as an `.onnx` file.
    pub fn encode(self, input: &str, dims: &[usize], doc: &str) -> Vec<u8> {
        let graph = GraphProto {
            node: self.nodes,
            name: "distill-lab".to_string(),
            initializer: self.initializers,
            input: vec![value_info(input, dims)],
            output: self.outputs,
            ..Default::default()
        };
        ModelProto {
            ir_version: IR_VERSION,
            opset_import: vec![OperatorSetIdProto {
                domain: String::new(),
                version: OPSET,
            }],
            producer_name: "distill-lab".to_string(),
            producer_version: env!("CARGO_PKG_VERSION").to_string(),
            doc_string: doc.to_string(),
            graph: Some(graph),
            ..Default::default()
        }
        .encode_to_vec()
    }
}

/// A float tensor value `[batch, dims…]` with a free batch dimension.
fn value_info(name: &str, dims: &[usize]) -> ValueInfoProto {
    let batch = Dimension {
        value: Some(dimension::Value::DimParam(BATCH.to_string())),
        ..Default::default()
    };
    let fixed = dims.iter().map(|&d| Dimension {
        value: Some(dimension::Value::DimValue(d as i64)),
        ..Default::default()
    });
    let tensor = type_proto::Tensor {
        elem_type: DataType::Float as i32,
        shape: Some(TensorShapeProto {
            dim: std::iter::once(batch).chain(fixed).collect(),
        }),
    };
    ValueInfoProto {
        name: name.to_string(),
        r#type: Some(TypeProto {
            value: Some(type_proto::Value::TensorType(tensor)),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// burn's padding as ONNX's `pads` (`[top, left, bottom, right]`) or `auto_pad`.
fn pads(padding: &PaddingConfig2d) -> AttributeProto {
    match *padding {
        PaddingConfig2d::Valid => ints("pads", &[0, 0, 0, 0]),
        PaddingConfig2d::Explicit(top, left, bottom, right) => {
            ints("pads", &[top, left, bottom, right])
        }
        PaddingConfig2d::Same => string("auto_pad", "SAME_UPPER"),
    }
}

fn ints(name: &str, values: &[usize]) -> AttributeProto {
    AttributeProto {
        name: name.to_string(),
        r#type: AttributeType::Ints as i32,
        ints: values.iter().map(|&v| v as i64).collect(),
        ..Default::default()
    }
}

fn int(name: &str, value: i64) -> AttributeProto {
    AttributeProto {
        name: name.to_string(),
        r#type: AttributeType::Int as i32,
        i: value,
        ..Default::default()
    }
}

fn float(name: &str, value: f32) -> AttributeProto {
    AttributeProto {
        name: name.to_string(),
        r#type: AttributeType::Float as i32,
        f: value,
        ..Default::default()
    }
}

fn string(name: &str, value: &str) -> AttributeProto {
    AttributeProto {
        name: name.to_string(),
        r#type: AttributeType::String as i32,
        s: value.as_bytes().to_vec(),
        ..Default::default()
    }
}
