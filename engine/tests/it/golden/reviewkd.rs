//! Golden cases of ReviewKD (`method: reviewkd`): the lab's [`ReviewFusion`] loaded with the
//! case's fusion weights, its loss over the case's levels and the gradient with respect to
//! every student level, against `bench/golden/reviewkd.py`.

use burn::module::Param;
use burn::nn::BatchNorm;
use burn::prelude::*;
use engine::distill::reviewkd::ReviewFusion;
use engine::models::StageShape;
use serde_json::Value;

use super::{compare, flat, scalar, tensor};

/// The levels' shapes (batch excluded), input side first.
fn level_shapes(levels: &Value) -> Vec<StageShape> {
    levels
        .as_array()
        .expect("a list of levels")
        .iter()
        .map(|level| {
            let (_, dims) = flat(level);
            StageShape {
                channels: dims[1],
                height: dims[2],
                width: dims[3],
            }
        })
        .collect()
}

fn load_norm(norm: &mut BatchNorm, weights: &Value, device: &Device) {
    norm.gamma = Param::from_tensor(tensor::<1>(&weights["gamma"], device));
    norm.beta = Param::from_tensor(tensor::<1>(&weights["beta"], device));
}

/// The fusions with the case's weights.
fn fusion(case: &Value, device: &Device) -> ReviewFusion {
    let student = level_shapes(&case["student_levels"]);
    let teacher = level_shapes(&case["teacher_levels"]);
    let mut fusion = ReviewFusion::init(&student, &teacher, device);
    let weights = case["modules"]["fusions"].as_array().expect("fusions");
    assert_eq!(weights.len(), fusion.levels.len(), "one fusion per level");
    for (level, w) in fusion.levels.iter_mut().zip(weights) {
        level.conv1.weight = Param::from_tensor(tensor::<4>(&w["conv1"]["weight"], device));
        load_norm(&mut level.norm1, &w["norm1"], device);
        level.conv2.weight = Param::from_tensor(tensor::<4>(&w["conv2"]["weight"], device));
        load_norm(&mut level.norm2, &w["norm2"], device);
        match level.attention.as_mut() {
            Some(attention) => {
                attention.weight =
                    Param::from_tensor(tensor::<4>(&w["attention"]["weight"], device));
                attention.bias = Some(Param::from_tensor(tensor::<1>(
                    &w["attention"]["bias"],
                    device,
                )));
            }
            None => assert!(w["attention"].is_null(), "the deepest level fuses nothing"),
        }
    }
    fusion
}

/// Runs one ReviewKD case; returns its mismatches.
pub fn check_reviewkd_case(name: &str, case: &Value, device: &Device) -> Vec<String> {
    let tol = case["tolerance"].as_f64().expect("tolerance");
    let levels = |key: &str, grad: bool| -> Vec<Tensor<4>> {
        let list = case[key].as_array().expect("levels");
        list.iter()
            .map(|level| {
                let t = tensor::<4>(level, device);
                if grad {
                    t.require_grad()
                } else {
                    t
                }
            })
            .collect()
    };
    let student = levels("student_levels", true);
    let teacher = levels("teacher_levels", false);
    let loss = fusion(case, device).loss(student.clone(), teacher);
    let grads = loss.backward();
    let want = case["expected"]["loss"].as_f64().expect("expected.loss");
    let mut problems = compare(name, "loss", &[scalar(loss) as f32], &[want as f32], tol);
    let expected = case["expected_grad_student_levels"]
        .as_array()
        .expect("expected_grad_student_levels");
    for (i, (level, want)) in student.iter().zip(expected).enumerate() {
        let got: Vec<f32> = level
            .grad(&grads)
            .expect("every student level has a gradient")
            .into_data()
            .try_to_vec()
            .unwrap();
        let (want, _) = flat(want);
        problems.extend(compare(
            name,
            &format!("grad_student_levels[{i}]"),
            &got,
            &want,
            tol,
        ));
    }
    problems
}
