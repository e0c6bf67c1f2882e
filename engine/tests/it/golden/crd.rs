//! Golden cases of CRD (`method: crd`): the lab's [`CrdHead`] loaded with the case's linear maps,
//! its bank with the case's rows, the term on the case's batch and contrast rows, the gradient
//! with respect to the student's embedding, and the bank after the batch, against
//! `bench/golden/crd.py`.

use api::CrdParams;
use burn::module::Param;
use burn::nn::Linear;
use burn::prelude::*;
use engine::distill::crd::{contrast_loss, ContrastMemory, CrdHead};
use serde_json::Value;

use super::{compare, flat, scalar, tensor};

/// A linear map with PyTorch's `weight [out][in]` (burn's is transposed) and `bias`.
fn load_linear(linear: &mut Linear, weights: &Value, device: &Device) {
    linear.weight = Param::from_tensor(tensor::<2>(&weights["weight"], device).transpose());
    linear.bias = Some(Param::from_tensor(tensor::<1>(&weights["bias"], device)));
}

fn indices(value: &Value) -> Vec<usize> {
    flat(value).0.into_iter().map(|i| i as usize).collect()
}

/// The bank `{student, teacher, z}` of a case.
fn memory(value: &Value, dim: usize) -> ContrastMemory {
    let z = value["z"]
        .as_array()
        .map(|z| (z[0].as_f64().unwrap(), z[1].as_f64().unwrap()));
    ContrastMemory::from_rows(flat(&value["student"]).0, flat(&value["teacher"]).0, dim, z)
}

/// Runs one CRD case; returns its mismatches.
pub fn check_crd_case(name: &str, case: &Value, device: &Device) -> Vec<String> {
    let tol = case["tolerance"].as_f64().expect("tolerance");
    let params: CrdParams = serde_json::from_value(case["params"].clone()).expect("CRD params");
    let student = tensor::<2>(&case["student_embedding"], device).require_grad();
    let teacher = tensor::<2>(&case["teacher_embedding"], device);
    let [_, student_width] = student.dims();
    let [_, teacher_width] = teacher.dims();
    let mut head = CrdHead::init(student_width, teacher_width, params.feature_dim, device);
    load_linear(
        &mut head.embed_student,
        &case["modules"]["embed_student"],
        device,
    );
    load_linear(
        &mut head.embed_teacher,
        &case["modules"]["embed_teacher"],
        device,
    );
    let mut bank = memory(&case["memory"], params.feature_dim);
    let (v_student, v_teacher) = head.embed(student.clone(), teacher);
    let loss = contrast_loss(
        &mut bank,
        v_student,
        v_teacher,
        &indices(&case["samples"]),
        &indices(&case["contrast"]),
        &params,
    );
    let grads = loss.backward();
    let want = case["expected"]["loss"].as_f64().expect("expected.loss");
    let mut problems = compare(name, "loss", &[scalar(loss) as f32], &[want as f32], tol);
    let got: Vec<f32> = student
        .grad(&grads)
        .expect("the student's embedding has a gradient")
        .into_data()
        .try_to_vec()
        .unwrap();
    let (want, _) = flat(&case["expected_grad_student_embedding"]);
    problems.extend(compare(name, "grad_student_embedding", &got, &want, tol));
    let expected = memory(&case["expected_memory"], params.feature_dim);
    let (got_student, got_teacher) = bank.rows();
    let (want_student, want_teacher) = expected.rows();
    problems.extend(compare(
        name,
        "memory.student",
        got_student,
        want_student,
        tol,
    ));
    problems.extend(compare(
        name,
        "memory.teacher",
        got_teacher,
        want_teacher,
        tol,
    ));
    let z = |m: &ContrastMemory| {
        let (s, t) = m.normalizers().unwrap_or((f64::NAN, f64::NAN));
        [s as f32, t as f32]
    };
    problems.extend(compare(name, "memory.z", &z(&bank), &z(&expected), tol));
    problems
}
