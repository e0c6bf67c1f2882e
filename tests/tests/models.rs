//! Models in and out through the real binary: a student the lab trained leaves as an `.onnx`
//! file that gives burn's logits in the engine's ONNX runtime, and as a `.safetensors` file that
//! comes back through `POST /api/models` as a run of kind `imported` with
//! the same weights (and so the same test accuracy as the original evaluated the same way), and teaches a new student as
//! `chain[0].from_run`; PyTorch's own state_dict of mdistiller's ResNet imports for a
//! registered colour dataset; every refusal is a 4xx that names the problem, with nothing
//! stored.

use std::path::Path;

use api::{ExperimentDetail, RunKind, RunStatus};
use distill_tests::fixtures::class_arrays;
use distill_tests::{distill, distill_run_on_cpu, stderr, ApiResponse, Server};
use serde_json::json;

/// Imports `bytes` with the query `query`, as the owner.
fn import(server: &Server, query: &str, bytes: &[u8]) -> ApiResponse {
    server.send(
        "POST",
        &format!("/api/models?{query}"),
        Some("application/octet-stream"),
        bytes,
    )
}

/// The one run of an import's experiment, once evaluated.
fn evaluated(server: &Server, response: &ApiResponse) -> api::RunSummary {
    assert_eq!(response.status, 201, "{}", response.text);
    let created: ExperimentDetail = response.parse();
    assert_eq!(created.runs.len(), 1);
    assert_eq!(created.runs[0].kind, RunKind::Imported);
    let detail = server.ended(&created.summary.id);
    let run = detail.runs[0].clone();
    assert_eq!(run.status, RunStatus::Succeeded, "{:?}", run.message);
    assert_eq!(
        run.epochs_done, 0,
        "an imported model is evaluated, not trained"
    );
    run
}

/// The run's model file in the format whose files end in `.{extension}`.
fn model_file(server: &Server, run: &str, extension: &str) -> Vec<u8> {
    let format = if extension == "bpk" {
        "burn"
    } else {
        extension
    };
    let download = server.get(&format!("/api/runs/{run}/model?format={format}"));
    assert_eq!(download.status, 200, "{}", download.text);
    let disposition = &download.headers["content-disposition"];
    assert!(
        disposition.ends_with(&format!(".{extension}\"")),
        "{disposition}"
    );
    download.bytes
}

/// The `.onnx` file, run by tract, gives the logits of the burnpack file's model (both `cnn-xs`
/// on the synthetic set's 28×28 grey images of 10 classes) within 1e-4 on a batch.
fn assert_onnx_gives_burns_logits(onnx: &[u8], burnpack: &[u8]) {
    use burn::prelude::*;
    use engine::models::{resolve, InputShape, Net, OnnxRunner};
    let input = InputShape {
        channels: 1,
        height: 28,
        width: 28,
        classes: 10,
    };
    let arch = resolve(&api::Architecture::Preset {
        name: "cnn-xs".into(),
    })
    .unwrap();
    let device = Device::flex();
    let net = Net::from_burnpack(&arch, input, burnpack.to_vec(), &device).unwrap();
    device.seed(3);
    let images = Tensor::<4>::random([5, 1, 28, 28], burn::tensor::Distribution::Default, &device);
    let values: Vec<f32> = images.clone().into_data().try_to_vec().unwrap();
    let runner = OnnxRunner::load(onnx, [1, 28, 28], &["logits".to_string()]).unwrap();
    let from_onnx = &runner.run(&values, 5).unwrap()[0];
    let from_burn: Vec<f32> = net.forward(images).into_data().try_to_vec().unwrap();
    assert_eq!(from_onnx.len(), 5 * 10);
    for (i, (a, b)) in from_onnx.iter().zip(&from_burn).enumerate() {
        assert!(
            (a - b).abs() < 1e-4,
            "logit {i}: {a} from the .onnx file, {b} from burn"
        );
    }
}

/// Import directories left in the server's checkpoints.
fn stored_imports(dir: &Path) -> usize {
    std::fs::read_dir(dir.join("checkpoints"))
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .filter(|e| e.file_name().to_string_lossy().starts_with("import-"))
                .count()
        })
        .unwrap_or(0)
}

#[test]
fn a_trained_student_leaves_as_onnx_and_safetensors_comes_back_imported_and_teaches() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_in(dir.path(), &[]);
    let trained = server.ended(&server.submit(&json!({
        "dataset": {"name": "synthetic", "train_subset": 600},
        "budget": {"epochs": 2},
        "chain": [{"name": "student", "architecture": {"kind": "preset", "name": "cnn-xs"}}]
    })));
    let original = &trained.runs[0];
    assert_eq!(
        original.status,
        RunStatus::Succeeded,
        "{:?}",
        original.message
    );
    assert_onnx_gives_burns_logits(
        &model_file(&server, &original.id, "onnx"),
        &model_file(&server, &original.id, "bpk"),
    );
    let exported = model_file(&server, &original.id, "safetensors");

    let response = import(
        &server,
        "filename=student.safetensors&architecture=cnn-xs&dataset=synthetic&name=returned",
        &exported,
    );
    let imported = evaluated(&server, &response);
    assert_eq!(imported.stage_name, "returned");
    let notes = server.detail(&imported.experiment_id).summary.description;
    assert_eq!(notes, "Imported from student.safetensors (safetensors).");
    assert_eq!(imported.params, original.params);
    let original_again = server.ended(&server.submit(&json!({
        "dataset": {"name": "synthetic"},
        "chain": [{"from_run": original.id}]
    })));
    assert_eq!(
        imported.val_best_test_accuracy, original_again.runs[0].val_best_test_accuracy,
        "the same weights, evaluated the same way on the same 1,000 test images"
    );
    assert_eq!(
        model_file(&server, &imported.id, "safetensors"),
        exported,
        "the same file comes out again"
    );
    assert_eq!(
        stored_imports(dir.path()),
        0,
        "the evaluated upload is not kept twice"
    );

    let taught = server.ended(&server.submit(&json!({
        "dataset": {"name": "synthetic", "train_subset": 600},
        "budget": {"epochs": 1},
        "chain": [
            {"from_run": imported.id},
            {"architecture": {"kind": "preset", "name": "mlp-xs"}, "link": {"terms": [{"method": "kd"}]}}
        ]
    })));
    for run in &taught.runs {
        assert_eq!(
            run.status,
            RunStatus::Succeeded,
            "{}: {:?}",
            run.stage_name,
            run.message
        );
    }
}

#[test]
fn pytorchs_state_dict_of_mdistillers_resnet_imports_for_a_colour_dataset() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_in(dir.path(), &[]);
    let arrays = dir.path().join("colours.npz");
    let classes = ["c0", "c1", "c2", "c3", "c4", "c5", "c6", "c7", "c8", "c9"];
    class_arrays(&arrays, &classes, 4, (32, 32), true);
    let registered = server.send(
        "POST",
        "/api/datasets?name=colours",
        Some("application/octet-stream"),
        &std::fs::read(&arrays).unwrap(),
    );
    assert_eq!(registered.status, 201, "{}", registered.text);

    let fixture = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../engine/tests/fixtures/weights/resnet8-half-checkpoint.pt");
    let architecture = r#"{"kind":"resnet","depth":8,"width":0.5}"#;
    let response = import(
        &server,
        &format!(
            "filename=resnet8.pt&dataset=colours&architecture={}",
            urlencode(architecture)
        ),
        &std::fs::read(fixture).unwrap(),
    );
    let run = evaluated(&server, &response);
    assert_eq!(
        run.params, 19_954,
        "PyTorch counts 19,954 parameters in ResNet(8, [8, 8, 16, 32], 10)"
    );
}

#[test]
fn files_that_do_not_fit_are_refused_naming_the_problem_and_nothing_is_stored() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_in(dir.path(), &[]);
    let trained = server.ended(&server.submit(&json!({
        "dataset": {"name": "synthetic", "train_subset": 300},
        "budget": {"epochs": 1},
        "chain": [{"architecture": {"kind": "preset", "name": "cnn-xs"}}]
    })));
    let weights = model_file(&server, &trained.runs[0].id, "safetensors");
    let experiments = || {
        server.get("/api/experiments").json["experiments"]
            .as_array()
            .unwrap()
            .len()
    };
    let before = experiments();

    let cases: [(&str, &[u8], u16, &str, &str); 7] = [
        (
            "architecture=cnn-xs&dataset=synthetic",
            &weights,
            400,
            "filename",
            "give `filename`",
        ),
        (
            "filename=m.onnx&architecture=cnn-xs&dataset=synthetic",
            &weights,
            400,
            "filename",
            "is not a weights file the lab reads",
        ),
        (
            "filename=m.safetensors&architecture=cnn-xxl&dataset=synthetic",
            &weights,
            422,
            "architecture",
            "unknown preset `cnn-xxl`",
        ),
        (
            "filename=m.safetensors&architecture=cnn-xs&dataset=nowhere",
            &weights,
            422,
            "dataset.name",
            "nowhere",
        ),
        (
            "filename=m.safetensors&architecture=cnn-s&dataset=synthetic",
            &weights,
            422,
            "file",
            "tensors have another shape: fc.bias (file [32], model [64])",
        ),
        (
            "filename=m.safetensors&architecture=resnet8&dataset=synthetic",
            &weights,
            422,
            "file",
            "45 tensors of the architecture are missing from the file: bn1.bias",
        ),
        (
            "filename=m.pt&architecture=cnn-xs&dataset=synthetic",
            b"not a pickle",
            422,
            "file",
            "not a readable PyTorch state_dict file",
        ),
    ];
    for (query, body, status, field, message) in cases {
        let response = import(&server, query, body);
        assert_eq!(response.status, status, "{query}: {}", response.text);
        assert_eq!(response.field(), field, "{query}");
        assert!(
            response.text.contains(message),
            "{query}: {}",
            response.text
        );
    }
    assert_eq!(experiments(), before, "no experiment was stored");
    assert_eq!(stored_imports(dir.path()), 0, "no model was stored");
    let uploads = std::fs::read_dir(dir.path().join("checkpoints"))
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().starts_with(".upload-"))
        .count();
    assert_eq!(uploads, 0, "no upload was left behind");

    let unknown = server.get(&format!(
        "/api/runs/{}/model?format=tflite",
        trained.runs[0].id
    ));
    assert_eq!(unknown.status, 400);
    assert_eq!(unknown.field(), "format");
}

#[test]
fn the_command_line_exports_trained_models_and_imports_one_into_a_store() {
    let dir = tempfile::tempdir().unwrap();
    let spec = dir.path().join("student.json");
    let student = json!({
        "dataset": {"name": "synthetic", "train_subset": 300},
        "budget": {"epochs": 1},
        "chain": [{"name": "student", "architecture": {"kind": "preset", "name": "cnn-xs"}}]
    });
    std::fs::write(&spec, student.to_string()).unwrap();
    let out = dir.path().join("out");
    let trained = distill_run_on_cpu(
        &spec,
        &out,
        &[
            "--export",
            "safetensors",
            "--export",
            "onnx",
            "--export",
            "burn",
        ],
    );
    assert!(trained.status.success(), "{}", stderr(&trained));
    let mut exported: Vec<_> = std::fs::read_dir(out.join("models"))
        .unwrap()
        .map(|e| e.unwrap().path().to_str().unwrap().to_string())
        .collect();
    exported.sort();
    assert_eq!(exported.len(), 3, "{exported:?}");
    assert!(
        exported.iter().all(|f| f.contains("student-seed0-")),
        "{exported:?}"
    );
    let [burnpack, onnx, file] = [".bpk", ".onnx", ".safetensors"].map(|ending| {
        exported
            .iter()
            .find(|f| f.ends_with(ending))
            .unwrap()
            .as_str()
    });
    assert_onnx_gives_burns_logits(
        &std::fs::read(onnx).unwrap(),
        &std::fs::read(burnpack).unwrap(),
    );

    let db = format!("sqlite:{}", dir.path().join("lab.db").display());
    let checkpoints = dir.path().join("checkpoints");
    let import = |architecture: &str| {
        distill(&[
            "model",
            "import",
            file,
            "--architecture",
            architecture,
            "--dataset",
            "synthetic",
            "--backend",
            "cpu",
            "--db",
            &db,
            "--checkpoints",
            checkpoints.to_str().unwrap(),
        ])
    };
    let imported = import("cnn-xs");
    assert!(imported.status.success(), "{}", stderr(&imported));
    let run = String::from_utf8_lossy(&imported.stdout).into_owned();
    assert!(
        run.trim().len() == 16 && run.trim().bytes().all(|b| b.is_ascii_hexdigit()),
        "{run}"
    );
    assert!(stderr(&imported).contains(&format!("\"from_run\": \"{}\"", run.trim())));

    let refused = import("cnn-s");
    assert!(!refused.status.success());
    assert!(
        stderr(&refused).contains("tensors have another shape"),
        "{}",
        stderr(&refused)
    );
}

/// Percent-encodes a query value.
fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}
