//! Golden cases of DOT (`method: dot`): a linear classifier trained for a few steps by the lab's
//! pair of optimisers ([`Optimizers`] built for `link.dot`), each step's task and distillation
//! gradients taken at the same weights, against the weights the authors' optimiser reaches
//! (`bench/golden/dot.py`).

use api::{DotParams, OptimizerSpec};
use burn::module::Param;
use burn::nn::{Linear, LinearConfig};
use burn::optim::GradientsParams;
use burn::prelude::*;
use engine::distill::kd::kd_loss;
use engine::distill::{cross_entropy, Temperature};
use engine::train::Optimizers;
use serde_json::Value;

use super::{compare, flat, scalar, targets, tensor};

/// The classifier with `weights` (PyTorch's `[classes, dim]` weight, burn's transposed).
fn classifier(weights: &Value, device: &Device) -> Linear {
    let weight = tensor::<2>(&weights["weight"], device).transpose(); // [dim, classes]
    let [dim, classes] = weight.dims();
    let mut linear = LinearConfig::new(dim, classes).init(device);
    linear.weight = Param::from_tensor(weight);
    linear.bias = Some(Param::from_tensor(tensor::<1>(&weights["bias"], device)));
    linear
}

/// The weights of `linear` as the case writes them: `(weight [classes][dim], bias)`, flat.
fn weights_of(linear: &Linear) -> (Vec<f32>, Vec<f32>) {
    let flat_of = |t: Tensor<2>| t.into_data().try_to_vec::<f32>().unwrap();
    let bias = linear.bias.as_ref().expect("a bias").val().unsqueeze::<2>();
    (flat_of(linear.weight.val().transpose()), flat_of(bias))
}

/// Runs one DOT case; returns its mismatches.
pub fn check_dot_case(name: &str, case: &Value, device: &Device) -> Vec<String> {
    let params = &case["params"];
    let param = |key: &str| {
        params[key]
            .as_f64()
            .unwrap_or_else(|| panic!("{name}: params.{key}"))
    };
    let tol = case["tolerance"].as_f64().expect("tolerance");
    let optimizer = OptimizerSpec::Sgd {
        lr: param("lr"),
        momentum: param("momentum"),
        weight_decay: param("weight_decay"),
        nesterov: false,
    };
    let dot = DotParams {
        delta: param("delta"),
    };
    let mut optimizers = Optimizers::build(&optimizer, Some(&dot));
    let mut linear = classifier(&case["modules"]["linear"], device);
    let temperature = Temperature::Fixed(param("temperature"));
    let mut problems = Vec::new();
    let batches = case["batches"].as_array().expect("batches");
    for (step, (batch, want)) in batches
        .iter()
        .zip(case["expected_weights"].as_array().unwrap())
        .enumerate()
    {
        let inputs = tensor::<2>(&batch["inputs"], device);
        let teacher = tensor::<2>(&batch["teacher_logits"], device);
        let task = cross_entropy(
            linear.forward(inputs.clone()),
            targets(&batch["targets"], device),
        )
        .mul_scalar(param("ce_weight"));
        let distillation =
            kd_loss(linear.forward(inputs), teacher, &temperature).mul_scalar(param("kd_weight"));
        if step == 0 {
            let loss = scalar(task.clone()) + scalar(distillation.clone());
            let expected = case["expected"]["loss"].as_f64().expect("expected.loss");
            problems.extend(compare(
                name,
                "loss",
                &[loss as f32],
                &[expected as f32],
                tol,
            ));
        }
        let distillation = GradientsParams::from_grads(distillation.backward(), &linear);
        let task = GradientsParams::from_grads(task.backward(), &linear);
        linear = optimizers.step(param("lr"), linear, task, Some(distillation));
        let (weight, bias) = weights_of(&linear);
        let at = |what: &str| format!("step {} {what}", step + 1);
        problems.extend(compare(
            name,
            &at("weight"),
            &weight,
            &flat(&want["weight"]).0,
            tol,
        ));
        problems.extend(compare(
            name,
            &at("bias"),
            &bias,
            &flat(&want["bias"]).0,
            tol,
        ));
    }
    problems
}
