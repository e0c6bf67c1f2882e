//! Every distillation loss and CPU kernel against the reference PyTorch implementations: each
//! JSON case under `engine/tests/golden/` (or `DISTILL_GOLDEN_DIR`) gives inputs, the expected
//! loss and parts (or a kernel's outputs), and the expected gradients; `cargo test golden` runs
//! them all. The format is described in `engine/tests/golden/README.md`.

use std::path::{Path, PathBuf};

use burn::module::Param;
use burn::prelude::*;
use engine::distill::at::at_loss;
use engine::distill::dist::dist_parts;
use engine::distill::dkd::{dkd_parts, dkd_warmup_factor};
use engine::distill::fitnet::FitnetRegressor;
use engine::distill::kd::kd_loss;
use engine::distill::mgd::MgdGenerator;
use engine::distill::mlkd::mlkd_parts;
use engine::distill::nst::nst_stage_loss;
use engine::distill::ofd::OfdConnector;
use engine::distill::pkt::pkt_loss;
use engine::distill::rkd::rkd_parts;
use engine::distill::sp::sp_loss;
use engine::distill::vid::VidRegressor;
use engine::distill::{cross_entropy, standardize, LearnedTemperature, Temperature};
use engine::models::{NormBeforeRelu, StageShape};
use serde_json::Value;

use crate::crate_dir;

mod crd;
mod dot;
mod kernels;
mod reviewkd;

/// `$DISTILL_GOLDEN_DIR`, else the cases kept in the crate (`tests/golden`).
fn golden_dir() -> PathBuf {
    let crate_dir = crate_dir::crate_dir();
    std::env::var_os("DISTILL_GOLDEN_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| crate_dir.join("tests/golden"))
}

/// Every `.json` file under `dir`, in its subdirectories too, sorted.
fn case_files(dir: &Path) -> Vec<PathBuf> {
    let entries = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot read golden directory {}: {e}", dir.display()));
    let mut files = Vec::new();
    for entry in entries {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            files.extend(case_files(&path));
        } else if path.extension().is_some_and(|e| e == "json") {
            files.push(path);
        }
    }
    files.sort();
    files
}

fn flat(value: &Value) -> (Vec<f32>, Vec<usize>) {
    match value {
        Value::Array(items) => {
            let parts: Vec<(Vec<f32>, Vec<usize>)> = items.iter().map(flat).collect();
            let mut shape = vec![items.len()];
            shape.extend(parts.first().map(|p| p.1.clone()).unwrap_or_default());
            (parts.into_iter().flat_map(|p| p.0).collect(), shape)
        }
        other => (vec![other.as_f64().expect("a number") as f32], vec![]),
    }
}

fn tensor<const D: usize>(value: &Value, device: &Device) -> Tensor<D> {
    let (values, shape) = flat(value);
    Tensor::from_data(TensorData::new(values, shape), device)
}

fn targets(value: &Value, device: &Device) -> Tensor<1, Int> {
    let labels: Vec<i64> = value
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_i64().unwrap())
        .collect();
    let n = labels.len();
    Tensor::from_data(TensorData::new(labels, [n]), device)
}

fn scalar(t: Tensor<1>) -> f64 {
    t.into_scalar::<f32>() as f64
}

/// Compares with the README's rule `|got − want| ≤ tol·(1 + |want|)`; returns mismatches.
fn compare(case: &str, what: &str, got: &[f32], want: &[f32], tol: f64) -> Vec<String> {
    if got.len() != want.len() {
        return vec![format!(
            "{case}: {what} has {} values, expected {}",
            got.len(),
            want.len()
        )];
    }
    got.iter()
        .zip(want)
        .enumerate()
        .filter(|(_, (g, w))| ((**g - **w).abs() as f64) > tol * (1.0 + w.abs() as f64))
        .take(3)
        .map(|(i, (g, w))| format!("{case}: {what}[{i}] = {g}, expected {w}"))
        .collect()
}

/// The shapes of a case's student and teacher features (batch excluded).
fn feature_shapes(case: &Value) -> (StageShape, StageShape) {
    let shape = |key: &str| {
        let (_, dims) = flat(&case[key]);
        StageShape {
            channels: dims[1],
            height: dims[2],
            width: dims[3],
        }
    };
    (shape("student_features"), shape("teacher_features"))
}

/// A conv's weights and bias from `{"weight": …, "bias": …}`.
fn load_conv(conv: &mut burn::nn::conv::Conv2d, weights: &Value, device: &Device) {
    conv.weight = Param::from_tensor(tensor::<4>(&weights["weight"], device));
    conv.bias = Some(Param::from_tensor(tensor::<1>(&weights["bias"], device)));
}

/// MGD's generator with the case's weights.
fn mgd_generator(case: &Value, device: &Device) -> MgdGenerator {
    let (student, teacher) = feature_shapes(case);
    let modules = &case["modules"];
    let mut generator = MgdGenerator::init(student, teacher, device);
    match generator.align.as_mut() {
        Some(align) => load_conv(align, &modules["align"], device),
        None => assert!(modules["align"].is_null(), "the case aligns equal channels"),
    }
    load_conv(&mut generator.conv1, &modules["conv1"], device);
    load_conv(&mut generator.conv2, &modules["conv2"], device);
    generator
}

/// A VID regressor with the case's weights and variances.
fn vid_regressor(case: &Value, device: &Device) -> VidRegressor {
    let (student, teacher) = feature_shapes(case);
    let modules = &case["modules"];
    let init = case["params"]["init_variance"]
        .as_f64()
        .expect("init_variance");
    let mut regressor = VidRegressor::init(student, teacher, init, device);
    for (conv, name) in [
        (&mut regressor.conv1, "conv1"),
        (&mut regressor.conv2, "conv2"),
        (&mut regressor.conv3, "conv3"),
    ] {
        conv.weight = Param::from_tensor(tensor::<4>(&modules[name]["weight"], device));
    }
    regressor.log_scale = Param::from_tensor(tensor::<1>(&modules["log_scale"], device));
    regressor
}

/// FitNet's regressor with the case's weights.
fn fitnet_regressor(case: &Value, device: &Device) -> FitnetRegressor {
    let (student, teacher) = feature_shapes(case);
    let modules = &case["modules"];
    let mut regressor = FitnetRegressor::init(student, teacher, device);
    load_conv(&mut regressor.conv, &modules["conv"], device);
    regressor.norm.gamma = Param::from_tensor(tensor::<1>(&modules["norm"]["gamma"], device));
    regressor.norm.beta = Param::from_tensor(tensor::<1>(&modules["norm"]["beta"], device));
    regressor
}

/// OFD's connector with the case's weights and the margins of its teacher norm.
fn ofd_connector(case: &Value, device: &Device) -> OfdConnector {
    let (student, teacher) = feature_shapes(case);
    let modules = &case["modules"];
    let numbers = |v: &Value| flat(v).0;
    let teacher_norm = NormBeforeRelu {
        scale: numbers(&case["teacher_norm"]["gamma"]),
        shift: numbers(&case["teacher_norm"]["beta"]),
    };
    let mut connector = OfdConnector::init(student, teacher, &teacher_norm, device);
    connector.conv.weight = Param::from_tensor(tensor::<4>(&modules["conv"]["weight"], device));
    connector.norm.gamma = Param::from_tensor(tensor::<1>(&modules["norm"]["gamma"], device));
    connector.norm.beta = Param::from_tensor(tensor::<1>(&modules["norm"]["beta"], device));
    connector
}

/// A feature method's loss on a case's features, and its gradient with respect to the
/// student's. // features: rank D
fn feature_loss<const D: usize>(
    case: &Value,
    device: &Device,
    loss: impl FnOnce(Tensor<D>, Tensor<D>) -> Tensor<1>,
) -> (f64, Vec<f32>) {
    let student = tensor::<D>(&case["student_features"], device).require_grad();
    let teacher = tensor::<D>(&case["teacher_features"], device);
    let loss = loss(student.clone(), teacher);
    let grads = loss.backward();
    let grad = student
        .grad(&grads)
        .expect("the student's features have a gradient");
    (scalar(loss), grad.into_data().try_to_vec().unwrap())
}

/// Runs one case; returns its mismatches. Kernel cases carry an `op` instead of a `method`.
fn check_case(name: &str, case: &Value) -> Vec<String> {
    if !case["op"].is_null() {
        return kernels::check_kernel_case(name, case);
    }
    let device = Device::flex().autodiff();
    if case["method"] == "dot" {
        return dot::check_dot_case(name, case, &device);
    }
    if case["method"] == "crd" {
        return crd::check_crd_case(name, case, &device);
    }
    if case["method"] == "reviewkd" {
        return reviewkd::check_reviewkd_case(name, case, &device);
    }
    let params = &case["params"];
    let expected = &case["expected"];
    let tol = case["tolerance"].as_f64().expect("tolerance");
    let param = |key: &str| {
        params[key]
            .as_f64()
            .unwrap_or_else(|| panic!("{name}: params.{key}"))
    };
    let mut problems = Vec::new();
    let mut check = |what: &str, got: f64| {
        let want = expected[what]
            .as_f64()
            .unwrap_or_else(|| panic!("{name}: expected.{what}"));
        problems.extend(compare(name, what, &[got as f32], &[want as f32], tol));
    };
    let method = case["method"].as_str().expect("method");
    if !case["student_features"].is_null() {
        let mut margin_problems = Vec::new();
        let (loss, got) = match method {
            "at" => feature_loss::<4>(case, &device, |s, t| at_loss(&[s], &[t], param("p"))),
            "sp" => feature_loss::<4>(case, &device, sp_loss),
            "nst" => feature_loss::<4>(case, &device, nst_stage_loss),
            "pkt" => feature_loss::<2>(case, &device, pkt_loss),
            "mgd" => feature_loss::<4>(case, &device, |s, t| {
                let mask = tensor::<4>(&case["mask"], &device);
                mgd_generator(case, &device).loss(s, t, mask)
            }),
            "vid" => feature_loss::<4>(case, &device, |s, t| {
                vid_regressor(case, &device).loss(s, t)
            }),
            "fitnet" => feature_loss::<4>(case, &device, |s, t| {
                fitnet_regressor(case, &device).loss(s, t)
            }),
            "ofd" => {
                let connector = ofd_connector(case, &device);
                let margins: Vec<f32> = connector.margin.clone().into_data().try_to_vec().unwrap();
                let (want, _) = flat(&case["expected_margins"]);
                margin_problems = compare(name, "margins", &margins, &want, tol);
                feature_loss::<4>(case, &device, |s, t| connector.loss(s, t))
            }
            "rkd" => feature_loss::<2>(case, &device, |s, t| {
                let parts = rkd_parts(s, t);
                parts.distance.mul_scalar(param("distance_weight"))
                    + parts.angle.mul_scalar(param("angle_weight"))
            }),
            other => return vec![format!("{name}: unknown feature method `{other}`")],
        };
        check("loss", loss);
        problems.extend(margin_problems);
        let (want, _) = flat(&case["expected_grad_student_features"]);
        problems.extend(compare(name, "grad_student_features", &got, &want, tol));
        return problems;
    }
    let s = tensor::<2>(&case["student_logits"], &device).require_grad();
    let y = targets(&case["targets"], &device);
    // Logit standardisation z-scores both sides before the temperature (the kd/dkd option).
    let standardized = params["logit_standardization"] == true;
    let logits = |z: Tensor<2>| if standardized { standardize(z) } else { z };
    let t = || logits(tensor::<2>(&case["teacher_logits"], &device));
    let zs = logits(s.clone());
    let mut theta = None;
    let loss = match method {
        "ce" => cross_entropy(s.clone(), y),
        "kd" => kd_loss(zs, t(), &Temperature::Fixed(param("temperature"))),
        "dist" => {
            let parts = dist_parts(zs, t(), param("temperature"));
            check("inter", scalar(parts.inter.clone()));
            check("intra", scalar(parts.intra.clone()));
            parts.inter.mul_scalar(param("beta")) + parts.intra.mul_scalar(param("gamma"))
        }
        "dkd" => {
            let parts = dkd_parts(zs, t(), y, &Temperature::Fixed(param("temperature")));
            check("tckd", scalar(parts.tckd.clone()));
            check("nckd", scalar(parts.nckd.clone()));
            let warm = dkd_warmup_factor(param("epoch") as usize, param("warmup_epochs") as usize);
            (parts.tckd.mul_scalar(param("alpha")) + parts.nckd.mul_scalar(param("beta")))
                .mul_scalar(warm)
        }
        "mlkd" => {
            // Standardisation is MLKD's own business: it z-scores the instance level only.
            let raw_teacher = tensor::<2>(&case["teacher_logits"], &device);
            let parts = mlkd_parts(s.clone(), raw_teacher, standardized);
            check("instance", scalar(parts.instance.clone()));
            check("batch", scalar(parts.batch.clone()));
            check("class", scalar(parts.class.clone()));
            parts.instance + parts.batch + parts.class
        }
        "ctkd" => {
            let learned =
                LearnedTemperature::init(param("theta"), param("t_min"), param("t_range"), &device);
            let temperature = learned.temperature(param("lambda"));
            check("temperature", scalar(temperature.clone()));
            theta = Some(learned.theta());
            kd_loss(s.clone(), t(), &Temperature::Learned(temperature))
        }
        other => return vec![format!("{name}: unknown method `{other}`")],
    };
    let grads = loss.backward();
    check("loss", scalar(loss));
    if let Some(theta) = theta {
        check(
            "grad_theta",
            scalar(theta.grad(&grads).expect("θ has a gradient")),
        );
    }
    let got: Vec<f32> = s.grad(&grads).unwrap().into_data().try_to_vec().unwrap();
    let (want, _) = flat(&case["expected_grad_student_logits"]);
    problems.extend(compare(name, "grad_student_logits", &got, &want, tol));
    problems
}

#[test]
fn golden_losses_and_gradients_match_the_reference_implementations() {
    let dir = golden_dir();
    let files = case_files(&dir);
    assert!(!files.is_empty(), "no golden cases in {}", dir.display());
    let mut methods = std::collections::BTreeSet::new();
    let mut problems = Vec::new();
    for file in &files {
        let name = file.file_name().unwrap().to_string_lossy().to_string();
        let case: Value = serde_json::from_str(&std::fs::read_to_string(file).unwrap())
            .unwrap_or_else(|e| panic!("{name} is not JSON: {e}"));
        let kind = case["method"].as_str().or(case["op"].as_str());
        methods.insert(kind.unwrap_or("?").to_string());
        problems.extend(check_case(&name, &case));
    }
    assert!(
        problems.is_empty(),
        "{} mismatches:\n{}",
        problems.len(),
        problems.join("\n")
    );
    eprintln!("{} golden cases passed ({methods:?})", files.len());
    if std::env::var_os("DISTILL_GOLDEN_DIR").is_none() {
        let unchecked: Vec<&str> = engine::distill::catalog()
            .iter()
            .filter(|m| computes_a_loss(m))
            .map(|m| m.name)
            .filter(|name| !methods.contains(*name))
            .collect();
        assert!(
            unchecked.is_empty(),
            "methods with no golden case: {unchecked:?}"
        );
    }
}

/// Whether a catalogue entry changes what the student is trained on by a formula a golden case
/// can check: every loss term, the cross-entropy, CTKD's learned temperature and DOT's
/// optimiser (not the curriculum, which only orders the samples).
fn computes_a_loss(method: &engine::distill::MethodSpec) -> bool {
    method.placement == api::MethodPlacement::Term || ["ce", "ctkd", "dot"].contains(&method.name)
}

#[test]
fn dkd_parts_add_up_to_kd_for_each_sample() {
    // Zhao et al. 2022, eq. (4): KD = TCKD + (1 − p_t(gt))·NCKD, at the same temperature.
    let device = Device::flex();
    let s = Tensor::<2>::from_floats([[2.0, -1.0, 0.5, 3.0]], &device);
    let t = Tensor::<2>::from_floats([[1.0, 0.0, -2.0, 4.0]], &device);
    let y = Tensor::<1, Int>::from_ints([3], &device);
    let temperature = Temperature::Fixed(2.0);
    let kd = scalar(kd_loss(s.clone(), t.clone(), &temperature));
    let parts = dkd_parts(s, t.clone(), y, &temperature);
    let p_gt = burn::tensor::activation::softmax(t.div_scalar(2.0), 1)
        .into_data()
        .try_to_vec::<f32>()
        .unwrap()[3] as f64;
    let recombined = scalar(parts.tckd) + (1.0 - p_gt) * scalar(parts.nckd);
    assert!(
        (kd - recombined).abs() < 1e-4 * (1.0 + kd.abs()),
        "KD {kd} vs TCKD + (1−p)·NCKD {recombined}"
    );
}

#[test]
fn a_golden_case_with_one_corrupted_expected_value_is_reported_as_a_mismatch() {
    let dir = golden_dir();
    let mut corrupted = 0;
    for file in case_files(&dir) {
        let name = file.file_name().unwrap().to_string_lossy().to_string();
        let mut case: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap())
            .unwrap_or_else(|e| panic!("{name} is not JSON: {e}"));
        let Some(loss) = case["expected"]["loss"].as_f64() else {
            continue;
        };
        let tolerance = case["tolerance"].as_f64().expect("tolerance");
        // Ten times the tolerance away from the reference: well outside what the rule accepts.
        case["expected"]["loss"] = (loss + 10.0 * tolerance * (1.0 + loss.abs())).into();
        let problems = check_case(&name, &case);
        assert!(
            problems.iter().any(|p| p.contains(": loss[0] = ")),
            "{name}: a wrong expected loss went unnoticed ({problems:?})"
        );
        corrupted += 1;
    }
    assert!(
        corrupted > 0,
        "no case with an expected loss in {}",
        dir.display()
    );
}

#[test]
fn a_kernel_golden_case_with_any_corrupted_expected_field_is_reported_as_a_mismatch() {
    let dir = golden_dir();
    let mut corrupted = 0;
    for file in case_files(&dir) {
        let name = file.file_name().unwrap().to_string_lossy().to_string();
        let case: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap())
            .unwrap_or_else(|e| panic!("{name} is not JSON: {e}"));
        if case["op"].is_null() {
            continue;
        }
        for field in kernels::expected_fields(&case) {
            let problems = check_case(&name, &kernels::corrupted(&case, &field));
            // Both paths (ours and the stock fallback) must notice.
            let noticed = problems
                .iter()
                .filter(|p| p.contains(&format!(": {field}[0] = ")))
                .count();
            assert_eq!(
                noticed, 2,
                "{name}: a wrong expected {field}[0] went unnoticed ({problems:?})"
            );
            corrupted += 1;
        }
    }
    assert!(corrupted > 0, "no kernel case in {}", dir.display());
}
