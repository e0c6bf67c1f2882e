//! Sweeps in the dashboard, in a real headless Chromium: "Sweep this" on an experiment drafts a
//! sweep of its last stage, which starts from the editor; the sweep's page then shows the trials
//! on validation (table, parallel coordinates, scatters), the winner, and tuned vs default, and
//! its share link opens it read-only.
//! Needs the bundle (`scripts/build-dashboard.sh`) and `chromium` + `chromium-driver`.

use distill_tests::{kd_pair, Browser, Server};
use serde_json::{json, Value};
use std::time::Duration;

#[test]
fn sweep_this_drafts_a_sweep_whose_page_shows_the_trials_the_winner_and_tuned_vs_default() {
    // Arrange: an experiment (a KD link on 600 synthetic images), and a browser logged in.
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_in(dir.path(), &[]);
    assert_eq!(
        server.get("/").status,
        200,
        "run scripts/build-dashboard.sh first"
    );
    let experiment = server.submit(&kd_pair(2));
    let browser = Browser::start();
    browser.goto(&server.login_url());
    browser.wait_until("the login", || !browser.url().contains("token="));

    // Act: "Sweep this", fewer trials and seeds than drafted, start.
    browser.goto(&server.url(&format!("/experiments/{experiment}")));
    browser.click_text(".actions a", "Sweep this");
    let editor = r#"[data-testid="sweep-json"]"#;
    browser.wait_until("the draft", || {
        browser
            .find(editor)
            .property("value")
            .as_str()
            .is_some_and(|t| t.contains("temperature"))
    });
    // Leave the KD weight out with its checkbox.
    browser
        .find(r#"[data-testid="sweep-fields"] input[data-path="chain[1].link.terms[0].weight"]"#)
        .click();
    browser.wait_until("the weight left out", || {
        browser
            .find(editor)
            .property("value")
            .as_str()
            .is_some_and(|t| !t.contains("terms[0].weight"))
    });
    let mut draft: Value =
        serde_json::from_str(browser.find(editor).property("value").as_str().unwrap()).unwrap();
    assert_eq!(
        draft["space"]["chain[1].link.terms[0].temperature"],
        json!({ "log_uniform": [1.0, 16.0] }),
        "KD's temperature, a quarter to four times its value"
    );
    assert_eq!(draft["base"]["seeds"], json!([0]));
    draft["strategy"]["trials"] = 4.into();
    draft["confirm"]["seeds"] = json!([1, 2]);
    browser.find(editor).fill(&draft.to_string());
    browser.find(r#"[data-testid="start-sweep"]"#).click();

    // Assert: the sweep's page, followed to its end.
    browser.wait_until("the sweep page", || {
        browser.url().contains("/sweeps/") && !browser.url().ends_with("/new")
    });
    browser.wait_longer("the sweep to succeed", Duration::from_secs(300), || {
        browser
            .text_of(r#"[data-testid="sweep-status"] .status"#)
            .as_deref()
            == Some("succeeded")
    });
    assert_eq!(
        browser.find_all(r#"[data-testid="trials"] tbody tr"#).len(),
        4
    );
    assert_eq!(
        browser
            .find_all(r#"[data-testid="parallel-coordinates"] polyline"#)
            .len(),
        4
    );
    assert_eq!(
        browser.find_all(r#"[data-testid="scatter"]"#).len(),
        2,
        "one per dimension"
    );
    assert_eq!(browser.find_all("tr.winner").len(), 1);
    let line = browser
        .text_of(r#"[data-testid="tuned-vs-default"]"#)
        .unwrap();
    assert!(
        line.starts_with("tuned vs default: ") && line.contains(" pts ["),
        "{line}"
    );
    let table = browser.find(r#"[data-testid="trials"]"#).text();
    assert!(
        !table.to_lowercase().contains("test"),
        "trials show validation only: {table}"
    );

    // Shared: the link opens the same sweep read-only.
    browser.find(r#"[data-testid="share-sweep"]"#).click();
    browser.wait_until("the share link", || {
        browser.find_all(r#"[data-testid="share-url"]"#).len() == 1
    });
    let url = browser
        .find(r#"[data-testid="share-url"]"#)
        .property("value");
    browser.goto(url.as_str().unwrap());
    browser.wait_until("the shared sweep", || {
        browser.find_all(r#"[data-testid="trials"] tbody tr"#).len() == 4
    });
    assert!(browser.find_all(".shared-banner").len() == 1);
    assert!(
        browser
            .find_all(r#"[data-testid="confirmation"] a"#)
            .is_empty(),
        "no links into the lab"
    );
}
