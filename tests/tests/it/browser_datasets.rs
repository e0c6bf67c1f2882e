//! A user's own data through the dashboard in a real headless Chromium: the System page uploads
//! a zip of an image folder, shows its manifest and lists it with a preview, and the composer
//! shows the dataset when it is picked.
//! Needs the bundle (`scripts/build-dashboard.sh`) and `chromium` + `chromium-driver`.

use distill_tests::fixtures::{image_folder, zip_folder, FolderSpec};
use distill_tests::{Browser, Server};

#[test]
fn a_zip_uploaded_on_the_system_page_shows_its_manifest_and_can_be_picked_in_the_composer() {
    // Arrange: a server and a zip of a user's image folder.
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let server = Server::start_in(
        dir.path(),
        &["--workers", "0", "--data-dir", data.to_str().unwrap()],
    );
    assert_eq!(
        server.get("/").status,
        200,
        "run scripts/build-dashboard.sh first"
    );
    let folder = image_folder(
        &dir.path().join("icons"),
        &FolderSpec {
            classes: &["arrow", "circle", "cross"],
            train_per_class: 10,
            test_per_class: None,
            size: (16, 16),
            colour: true,
        },
    );
    let zip = dir.path().join("icons.zip");
    zip_folder(&folder, &zip, "icons/");
    let browser = Browser::start();
    browser.goto(&server.login_url());
    browser.wait_until("the login", || !browser.url().contains("token="));

    // Act: upload it from the System page.
    browser.goto(&server.url("/system"));
    browser
        .find(r#"[data-testid="add-dataset"] summary"#)
        .click();
    browser
        .find(r#"[data-testid="add-dataset"] [data-field="name"] input"#)
        .fill("icons");
    browser
        .find(r#"[data-testid="add-dataset"] input[type="file"]"#)
        .choose_file(&zip);
    browser.click_text(
        r#"[data-testid="add-dataset"] button"#,
        "Upload and register",
    );

    // Assert: the manifest is shown, and the dataset is listed with its preview.
    browser.wait_until("the manifest", || {
        browser
            .text_of(r#"[data-testid="manifest"] [data-fact="name"]"#)
            .as_deref()
            == Some("icons")
    });
    assert_eq!(
        browser
            .text_of(r#"[data-testid="manifest"] [data-fact="classes"]"#)
            .as_deref(),
        Some("arrow, circle, cross")
    );
    assert_eq!(
        browser
            .text_of(r#"[data-testid="manifest"] [data-fact="counts"]"#)
            .as_deref(),
        Some("24 / 6"),
        "a fifth held out per class"
    );
    browser
        .find(r#"tr[data-dataset="icons"] details.preview summary"#)
        .click();
    let loaded = r#"return (document.querySelector('tr[data-dataset="icons"] details.preview img') || {}).naturalWidth || 0"#;
    browser.wait_until("the preview image to load", || {
        browser
            .execute(loaded, serde_json::json!([]))
            .as_u64()
            .unwrap_or(0)
            > 0
    });
    browser.screenshot("system-datasets");

    // The composer offers it and shows what it holds.
    browser.goto(&server.url("/experiments/new"));
    browser
        .find(r#".field[data-field="dataset.name"] select option[value="icons"]"#)
        .click();
    browser.wait_until("the dataset's facts", || {
        browser
            .text_of(r#"[data-testid="dataset-look"]"#)
            .is_some_and(|t| t.contains("3×16×16 images, 3 classes, 24 train / 6 test"))
    });
    browser.screenshot("composer-dataset");
}
