//! Models in and out through the real binary: a student the lab trained leaves as an `.onnx`
//! file that gives burn's logits in the engine's ONNX runtime, and as a `.safetensors` file that
//! comes back through `POST /api/models` as a run of kind `imported` with
//! the same weights (and so the same test accuracy as the original evaluated the same way), and teaches a new student as
//! `chain[0].from_run`; the `.onnx` file comes back too, as a frozen teacher run by tract that
//! scores like its source and teaches by logits and features; PyTorch's own state_dict of
//! mdistiller's ResNet imports for a registered colour dataset; every refusal is a 4xx that
//! names the problem, with nothing stored.

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

/// `onnx` with every `from` in its bytes (an operator's name) replaced by `to`, as long.
fn renamed_operator(onnx: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
    let mut bytes = onnx.to_vec();
    let mut renamed = 0;
    for i in 0..bytes.len().saturating_sub(from.len()) {
        if &bytes[i..i + from.len()] == from {
            bytes[i..i + from.len()].copy_from_slice(to);
            renamed += 1;
        }
    }
    assert!(
        renamed > 0,
        "the graph has no {}",
        String::from_utf8_lossy(from)
    );
    bytes
}

/// A run of `preset` named `name`, trained for 2 epochs on 600 synthetic images.
fn trained_run(server: &Server, name: &str, preset: &str) -> api::RunSummary {
    let trained = server.ended(&server.submit(&json!({
        "dataset": {"name": "synthetic", "train_subset": 600},
        "budget": {"epochs": 2},
        "chain": [{"name": name, "architecture": {"kind": "preset", "name": preset}}]
    })));
    let run = trained.runs[0].clone();
    assert_eq!(run.status, RunStatus::Succeeded, "{:?}", run.message);
    run
}

/// Every run of `detail` succeeded.
fn assert_all_succeeded(detail: &ExperimentDetail) {
    for run in &detail.runs {
        assert_eq!(
            run.status,
            RunStatus::Succeeded,
            "{}: {:?}",
            run.stage_name,
            run.message
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
    let original = &trained_run(&server, "student", "cnn-xs");
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
    assert_all_succeeded(&taught);
}

#[test]
fn an_onnx_file_imports_as_a_frozen_teacher_that_scores_like_its_source_and_teaches_by_logits_and_features(
) {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_in(dir.path(), &[]);
    let source = &trained_run(&server, "source", "cnn-s");
    let onnx = model_file(&server, &source.id, "onnx");

    let response = import(
        &server,
        "filename=teacher.onnx&dataset=synthetic&features=stage1,stage2&name=frozen",
        &onnx,
    );
    let imported = evaluated(&server, &response);
    let notes = server.detail(&imported.experiment_id).summary.description;
    assert!(
        notes.starts_with("Imported from teacher.onnx (ONNX, a frozen teacher). Its outputs: `logits` [batch, 10], `stage1` [batch, "),
        "{notes}"
    );
    assert!(
        notes.ends_with("Logits: `logits`; stage features: stage1, stage2."),
        "{notes}"
    );
    let source_again = server.ended(&server.submit(&json!({
        "dataset": {"name": "synthetic"},
        "chain": [{"from_run": source.id}]
    })));
    let (ours, burns) = (
        imported.val_best_test_accuracy.unwrap(),
        source_again.runs[0].val_best_test_accuracy.unwrap(),
    );
    assert!(
        (ours - burns).abs() <= 0.002,
        "the same model in tract and in burn, on the same 1,000 test images: {ours} and {burns}"
    );
    assert_eq!(
        model_file(&server, &imported.id, "onnx"),
        onnx,
        "the teacher is kept as the file it came in"
    );
    let as_burn = server.get(&format!("/api/runs/{}/model?format=burn", imported.id));
    assert_eq!(as_burn.status, 409, "{}", as_burn.text);
    assert!(
        as_burn.text.contains("ask for format=onnx"),
        "{}",
        as_burn.text
    );

    let taught = server.ended(&server.submit(&json!({
        "dataset": {"name": "synthetic", "train_subset": 600},
        "budget": {"epochs": 1},
        "chain": [
            {"from_run": imported.id},
            {"architecture": {"kind": "preset", "name": "cnn-xs"},
             "link": {"terms": [{"method": "kd"}, {"method": "at"}]}}
        ]
    })));
    assert_all_succeeded(&taught);
    let student = taught.runs.iter().find(|r| r.stage_index == 1).unwrap();
    let curves = server.get(&format!("/api/runs/{}/curves", student.id));
    let available = &curves.json["available"];
    assert!(
        available.as_array().unwrap().contains(&json!("loss.at")),
        "the AT term read the teacher's chosen outputs: {available}"
    );

    let pre_activation = server.post(
        "/api/experiments",
        &json!({"dataset": {"name": "synthetic"}, "chain": [
            {"from_run": imported.id},
            {"architecture": {"kind": "preset", "name": "cnn-xs"},
             "link": {"terms": [{"method": "ofd"}]}}
        ]}),
    );
    assert_eq!(pre_activation.status, 422, "{}", pre_activation.text);
    assert_eq!(pre_activation.field(), "chain[1].link.terms");
    assert!(
        pre_activation
            .text
            .contains("which an ONNX teacher does not expose"),
        "{}",
        pre_activation.text
    );
    let written = server.post(
        "/api/experiments",
        &json!({"dataset": {"name": "synthetic"},
                "chain": [{"architecture": imported.architecture}]}),
    );
    assert_eq!(written.status, 422, "{}", written.text);
    assert_eq!(written.field(), "chain[0].architecture");
    assert!(
        written.text.contains("an ONNX model is frozen"),
        "{}",
        written.text
    );
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
    let onnx = model_file(&server, &trained.runs[0].id, "onnx");
    let unsupported = renamed_operator(&onnx, b"Relu", b"Xelu");
    let experiments = || {
        server.get("/api/experiments").json["experiments"]
            .as_array()
            .unwrap()
            .len()
    };
    let before = experiments();

    let cases: Vec<(&str, &[u8], u16, &str, &str)> = vec![
        (
            "architecture=cnn-xs&dataset=synthetic",
            &weights,
            400,
            "filename",
            "give `filename`",
        ),
        (
            "filename=m.safetensors&dataset=synthetic",
            &weights,
            422,
            "architecture",
            "a weights file needs `architecture`",
        ),
        (
            // {"kind":"onnx","logits":"logits","params":1}
            "filename=m.safetensors&dataset=synthetic&architecture=%7B%22kind%22%3A%22onnx%22%2C%22logits%22%3A%22logits%22%2C%22params%22%3A1%7D",
            &weights,
            422,
            "architecture",
            "an ONNX model is not one of the zoo's architectures",
        ),
        (
            "filename=m.tflite&architecture=cnn-xs&dataset=synthetic",
            &weights,
            400,
            "filename",
            "is not a model file the lab reads",
        ),
        (
            "filename=m.safetensors&architecture=cnn-xs&dataset=synthetic&features=stage1",
            &weights,
            422,
            "features",
            "`features` is for ONNX files",
        ),
        (
            "filename=t.onnx&architecture=cnn-xs&dataset=synthetic",
            &onnx,
            422,
            "architecture",
            "an ONNX file carries its own architecture",
        ),
        (
            "filename=t.onnx&dataset=synthetic&mean=half&std=0.2",
            &onnx,
            400,
            "mean",
            "`half` is not a list of decimals",
        ),
        (
            "filename=t.onnx&dataset=synthetic",
            b"not a graph",
            422,
            "file",
            "not an ONNX model",
        ),
        (
            "filename=t.onnx&dataset=synthetic",
            &unsupported,
            422,
            "file",
            "does not implement the operator(s) Xelu",
        ),
        (
            "filename=t.onnx&dataset=synthetic&size=32",
            &onnx,
            422,
            "file",
            "the graph's input is [?, 1, 28, 28] but the images are [batch, 1, 32, 32]",
        ),
        (
            "filename=t.onnx&dataset=synthetic&logits=stage1",
            &onnx,
            422,
            "logits",
            "not the logits [batch, 10] of this dataset's 10 classes",
        ),
        (
            "filename=t.onnx&dataset=synthetic&features=stage1,stage9",
            &onnx,
            422,
            "features",
            "the graph has no output(s) stage9; its outputs are logits, stage1",
        ),
        (
            "filename=t.onnx&dataset=synthetic&mean=0.5,0.5&std=0.2,0.2",
            &onnx,
            422,
            "mean",
            "2 values, but the graph's input has 1 channel(s)",
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

    let counted = server.post(
        "/api/architectures/params",
        &json!({"architecture": {"kind": "onnx", "logits": "logits", "params": 1}}),
    );
    assert_eq!(counted.status, 422, "{}", counted.text);
    assert_eq!(counted.field(), "architecture");

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

    let import_onnx = |options: &[&str]| {
        let mut args = vec![
            "model",
            "import",
            onnx,
            "--dataset",
            "synthetic",
            "--backend",
            "cpu",
            "--db",
            &db,
            "--checkpoints",
            checkpoints.to_str().unwrap(),
        ];
        args.extend(options);
        distill(&args)
    };
    let logits_only = import_onnx(&[]);
    assert!(logits_only.status.success(), "{}", stderr(&logits_only));
    let frozen = import_onnx(&["--features", "stage1"]);
    assert!(frozen.status.success(), "{}", stderr(&frozen));
    assert!(
        stderr(&frozen).contains("(use it as \"from_run\""),
        "{}",
        stderr(&frozen)
    );
    let misnamed = import_onnx(&["--logits", "stage1"]);
    assert!(!misnamed.status.success());
    assert!(
        stderr(&misnamed).contains("not the logits [batch, 10]"),
        "{}",
        stderr(&misnamed)
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
