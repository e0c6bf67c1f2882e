//! A model trained elsewhere through the dashboard in a real headless Chromium: the Experiments
//! page's *Import a model* refuses a file for another architecture with the reason shown, takes
//! the right one, opens the new experiment, whose run (kind `imported`) is evaluated and offers
//! its model back as safetensors.
//! Needs the bundle (`scripts/build-dashboard.sh`) and `chromium` + `chromium-driver`.

use api::{RunKind, RunStatus};
use distill_tests::{Browser, Server};
use serde_json::json;

#[test]
fn a_weights_file_imported_on_the_experiments_page_opens_its_evaluated_experiment() {
    // Arrange: a server, and a weights file the lab itself wrote.
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_in(dir.path(), &[]);
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
    let weights = server.get(&format!(
        "/api/runs/{}/model?format=safetensors",
        trained.runs[0].id
    ));
    assert_eq!(weights.status, 200);
    let file = dir.path().join("student.safetensors");
    std::fs::write(&file, &weights.bytes).unwrap();
    let browser = Browser::start();
    browser.goto(&server.login_url());
    browser.wait_until("the login", || !browser.url().contains("token="));
    browser.goto(&server.url("/experiments"));
    let form = |css: &str| format!(r#"[data-testid="import-model"] {css}"#);
    browser.find(&form("summary")).click();
    browser
        .find(&form(r#"input[type="file"]"#))
        .choose_file(&file);
    browser
        .find(&form(r#"[data-field="dataset"] option[value="synthetic"]"#))
        .click();
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
