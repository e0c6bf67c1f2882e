//! A model trained elsewhere through the dashboard in a real headless Chromium: the Experiments
//! page's *Import a model* refuses a file for another architecture with the reason shown, takes
//! the right one, opens the new experiment, whose run (kind `imported`) is evaluated and offers
//! its model back as safetensors; an ONNX file asks for its outputs instead of an architecture
//! and becomes a frozen teacher.
//! Needs the bundle (`scripts/build-dashboard.sh`) and `chromium` + `chromium-driver`.

use std::path::Path;

use api::{RunKind, RunStatus};
use distill_tests::{Browser, Server};
use serde_json::json;

/// A server with one trained `cnn-xs` run, its model downloaded as `file_name` in `format`,
/// and a logged-in browser on the Experiments page with *Import a model* open, that file
/// chosen and the synthetic dataset picked.
fn import_form(dir: &Path, format: &str, file_name: &str) -> (Server, Browser) {
    let server = Server::start_in(dir, &[]);
    assert_eq!(
        server.get("/").status,
        200,
        "run scripts/build-dashboard.sh first"
    );
    let trained = server.ended(&server.submit(&json!({
        "dataset": {"name": "synthetic", "train_subset": 300},
        "budget": {"epochs": 1},
        "chain": [{"architecture": {"kind": "preset", "name": "cnn-xs"}}]
    })));
    let model = server.get(&format!(
        "/api/runs/{}/model?format={format}",
        trained.runs[0].id
    ));
    assert_eq!(model.status, 200);
    let file = dir.join(file_name);
    std::fs::write(&file, &model.bytes).unwrap();
    let browser = Browser::start();
    browser.goto(&server.login_url());
    browser.wait_until("the login", || !browser.url().contains("token="));
    browser.goto(&server.url("/experiments"));
    browser.find(&form("summary")).click();
    browser
        .find(&form(r#"input[type="file"]"#))
        .choose_file(&file);
    browser
        .find(&form(r#"[data-field="dataset"] option[value="synthetic"]"#))
        .click();
    (server, browser)
}

/// `css` inside the *Import a model* form.
fn form(css: &str) -> String {
    format!(r#"[data-testid="import-model"] {css}"#)
}

#[test]
fn a_weights_file_imported_on_the_experiments_page_opens_its_evaluated_experiment() {
    // Arrange: a server, and a weights file the lab itself wrote.
    let dir = tempfile::tempdir().unwrap();
    let (server, browser) = import_form(dir.path(), "safetensors", "student.safetensors");
    browser
        .find(&form(r#"[data-field="name"] input"#))
        .fill("returned");

    // Act 1: the wrong architecture.
    browser
        .find(&form(r#"[data-field="architecture"] input"#))
        .fill("cnn-s");
    browser.click_text(&form("button"), "Upload and evaluate");

    // Assert 1: the reason is shown, and the page stays.
    browser.wait_until("the refusal", || {
        browser
            .text_of(&form(".notice.error"))
            .is_some_and(|text| text.contains("tensors have another shape"))
    });
    browser.screenshot("import-model-refused");

    // Act 2: the right one.
    browser
        .find(&form(r#"[data-field="architecture"] input"#))
        .fill("cnn-xs");
    browser.click_text(&form("button"), "Upload and evaluate");

    // Assert 2: the experiment opens; its one run is imported, evaluated, and downloadable.
    browser.wait_until("the new experiment's page", || {
        let url = browser.url();
        url.contains("/experiments/") && !url.ends_with("/experiments") && !url.ends_with("/new")
    });
    let id = browser.url().rsplit('/').next().unwrap().to_string();
    let detail = server.ended(&id);
    assert_eq!(detail.runs[0].kind, RunKind::Imported);
    assert_eq!(
        detail.runs[0].status,
        RunStatus::Succeeded,
        "{:?}",
        detail.runs[0].message
    );
    assert_eq!(detail.runs[0].stage_name, "returned");
    browser.wait_until("the model's download links", || {
        !browser
            .find_all(r#"[data-testid="model-safetensors"]"#)
            .is_empty()
    });
    browser.screenshot("import-model-evaluated");
}

#[test]
fn an_onnx_file_imported_on_the_experiments_page_asks_for_its_outputs_not_an_architecture() {
    // Arrange: a server, and an ONNX file the lab itself wrote.
    let dir = tempfile::tempdir().unwrap();
    let (server, browser) = import_form(dir.path(), "onnx", "teacher.onnx");

    // Act: the .onnx file's first stage's output as features.
    browser.wait_until("the ONNX fields", || {
        !browser
            .find_all(&form(r#"[data-field="features"] input"#))
            .is_empty()
    });
    assert!(
        browser
            .find_all(&form(r#"[data-field="architecture"]"#))
            .is_empty(),
        "an ONNX file carries its architecture"
    );
    browser
        .find(&form(r#"[data-field="features"] input"#))
        .fill("stage1");
    browser.screenshot("import-onnx-filled");
    browser.click_text(&form("button"), "Upload and evaluate");

    // Assert: the experiment opens; its run is the frozen teacher, evaluated.
    browser.wait_until("the new experiment's page", || {
        let url = browser.url();
        url.contains("/experiments/") && !url.ends_with("/experiments") && !url.ends_with("/new")
    });
    let id = browser.url().rsplit('/').next().unwrap().to_string();
    let detail = server.ended(&id);
    let run = &detail.runs[0];
    assert_eq!(run.status, RunStatus::Succeeded, "{:?}", run.message);
    let api::Architecture::Onnx(spec) = &run.architecture else {
        panic!("not an ONNX teacher: {:?}", run.architecture);
    };
    let features: Vec<&str> = spec.features.iter().map(|f| f.output.as_str()).collect();
    assert_eq!(features, ["stage1"]);
    browser.wait_until("the notes listing the graph's outputs", || {
        browser
            .text_of("main")
            .is_some_and(|text| text.contains("Its outputs: `logits` [batch, 10]"))
    });
    browser.screenshot("import-onnx-evaluated");
}
