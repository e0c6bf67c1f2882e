//! Golden cases with an `op` field: our conv2d and training batch norm against PyTorch's
//! float64 figures (forward, every gradient, running statistics after one update). Each case
//! runs twice: on `Autodiff<Flex>`, where our kernels must serve it, and under gradient
//! checkpointing, where burn's stock ops serve it (the fallback wgpu also takes).

use burn::module::{Param, RunningState};
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::{BatchNorm, BatchNormConfig, PaddingConfig2d};
use burn::prelude::*;
use engine::kernels::{batch_norm_with_path, conv2d_with_path, KernelPath};
use serde_json::Value;

use super::{compare, flat, tensor};

/// The two devices a kernel case runs on, with the path each must take.
fn devices() -> [(Device, KernelPath); 2] {
    let own = Device::flex().autodiff();
    let stock = Device::flex().autodiff().gradient_checkpointing();
    [(own, KernelPath::Own), (stock, KernelPath::Stock)]
}

/// Runs one kernel case on both paths; returns its mismatches.
pub fn check_kernel_case(name: &str, case: &Value) -> Vec<String> {
    let op = case["op"].as_str().unwrap_or("?");
    let mut problems = Vec::new();
    for (device, path) in devices() {
        let label = format!("{name} ({path:?})");
        let (got, taken) = match op {
            "conv2d" => conv2d_case(case, &device),
            "batch_norm_train" => batch_norm_case(case, &device),
            other => return vec![format!("{name}: unknown op `{other}`")],
        };
        if taken != path {
            problems.push(format!("{label}: ran the {taken:?} path"));
        }
        problems.extend(compare_expected(&label, case, &got));
    }
    problems
}

/// Compares every computed field with `expected`; a null expected value must not be computed.
fn compare_expected(label: &str, case: &Value, got: &[(&str, Vec<f32>)]) -> Vec<String> {
    let tol = case["tolerance"].as_f64().expect("tolerance");
    let mut problems = Vec::new();
    for (what, values) in got {
        match &case["expected"][*what] {
            Value::Null if values.is_empty() => {}
            Value::Null => problems.push(format!("{label}: {what} computed, none expected")),
            want => problems.extend(compare(label, what, values, &flat(want).0, tol)),
        }
    }
    problems
}

fn values<const D: usize>(t: Tensor<D>) -> Vec<f32> {
    t.into_data().try_to_vec::<f32>().expect("f32 values")
}

fn usize_field(case: &Value, key: &str) -> usize {
    case[key]
        .as_u64()
        .unwrap_or_else(|| panic!("the case's `{key}`")) as usize
}

/// The case's layer, with its weight and bias.
fn conv_layer(case: &Value, device: &Device) -> Conv2d {
    let weight = tensor::<4>(&case["weight"], device);
    let [c_out, c_in, k, _] = weight.dims();
    let (stride, p) = (usize_field(case, "stride"), usize_field(case, "padding"));
    let mut conv = Conv2dConfig::new([c_in, c_out], [k, k])
        .with_stride([stride, stride])
        .with_padding(PaddingConfig2d::Explicit(p, p, p, p))
        .with_bias(!case["bias"].is_null())
        .init(device);
    conv.weight = Param::from_tensor(weight);
    if !case["bias"].is_null() {
        conv.bias = Some(Param::from_tensor(tensor::<1>(&case["bias"], device)));
    }
    conv
}

fn conv2d_case(case: &Value, device: &Device) -> (Vec<(&'static str, Vec<f32>)>, KernelPath) {
    let conv = conv_layer(case, device);
    let x = tensor::<4>(&case["input"], device).require_grad();
    let (out, path) = conv2d_with_path(&conv, x.clone());
    let grads = (out.clone() * tensor::<4>(&case["grad_output"], device))
        .sum()
        .backward();
    let grad_bias = conv.bias.as_ref().map(|b| b.val().grad(&grads));
    let got = vec![
        ("output", values(out)),
        ("grad_input", x.grad(&grads).map(values).unwrap_or_default()),
        (
            "grad_weight",
            conv.weight
                .val()
                .grad(&grads)
                .map(values)
                .unwrap_or_default(),
        ),
        (
            "grad_bias",
            grad_bias.flatten().map(values).unwrap_or_default(),
        ),
    ];
    (got, path)
}

/// The case's layer in training mode, with γ, β and the running statistics before the step.
fn norm_layer(case: &Value, device: &Device) -> BatchNorm {
    let gamma = tensor::<1>(&case["gamma"], device);
    let mut norm = BatchNormConfig::new(gamma.dims()[0])
        .with_epsilon(case["eps"].as_f64().expect("eps"))
        .with_momentum(case["momentum"].as_f64().expect("momentum"))
        .init(device);
    norm.gamma = Param::from_tensor(gamma);
    norm.beta = Param::from_tensor(tensor::<1>(&case["beta"], device));
    norm.running_mean = RunningState::new(tensor::<1>(&case["running_mean"], device));
    norm.running_var = RunningState::new(tensor::<1>(&case["running_var"], device));
    norm
}

fn batch_norm_case(case: &Value, device: &Device) -> (Vec<(&'static str, Vec<f32>)>, KernelPath) {
    let norm = norm_layer(case, device);
    let x = tensor::<4>(&case["input"], device).require_grad();
    let (out, path) = batch_norm_with_path(&norm, x.clone());
    let grads = (out.clone() * tensor::<4>(&case["grad_output"], device))
        .sum()
        .backward();
    let grad = |t: &Param<Tensor<1>>| t.val().grad(&grads).map(values).unwrap_or_default();
    let got = vec![
        ("output", values(out)),
        ("grad_input", x.grad(&grads).map(values).unwrap_or_default()),
        ("grad_gamma", grad(&norm.gamma)),
        ("grad_beta", grad(&norm.beta)),
        ("running_mean", values(norm.running_mean.value_sync())),
        (
            "running_var_unbiased",
            values(norm.running_var.value_sync()),
        ),
    ];
    (got, path)
}

/// The expected fields of a kernel case that hold numbers (a null `grad_bias` holds none).
pub fn expected_fields(case: &Value) -> Vec<String> {
    case["expected"]
        .as_object()
        .map(|o| {
            o.iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, _)| k.clone())
                .collect()
        })
        .unwrap_or_default()
}

/// `case` with the first number of `expected[field]` moved ten tolerances away.
pub fn corrupted(case: &Value, field: &str) -> Value {
    let mut case = case.clone();
    let tol = case["tolerance"].as_f64().expect("tolerance");
    let mut slot = &mut case["expected"][field];
    while slot.is_array() {
        slot = &mut slot[0];
    }
    let want = slot.as_f64().expect("a number");
    *slot = (want + 10.0 * tol * (1.0 + want.abs())).into();
    case
}
