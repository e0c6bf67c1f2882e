//! Logging in to the dashboard in a real headless Chromium: a fresh profile meets the login
//! page, the URL `distill serve` printed logs it in and leaves the address bar, the System page
//! manages API tokens and share links, a second fresh browser opens a share link read-only and
//! cannot revoke it, and logging out brings the login page back.
//! Needs the bundle (`scripts/build-dashboard.sh`) and `chromium` + `chromium-driver`.

use distill_tests::{Browser, Server};
use serde_json::json;

#[test]
fn the_printed_url_logs_a_browser_in_and_a_share_link_opens_read_only_without_one() {
    // Arrange: a server with one experiment and one share link.
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_in(dir.path(), &["--workers", "0"]);
    assert_eq!(
        server.get("/").status,
        200,
        "run scripts/build-dashboard.sh first"
    );
    let experiment = server.submit(&json!({
        "name": "shared without login",
        "dataset": {"name": "synthetic", "train_subset": 100, "test_subset": 50},
        "chain": [{"architecture": {"kind": "preset", "name": "mlp-xs"}}]
    }));
    let share = server.post(
        &format!("/api/experiments/{experiment}/share"),
        &json!(null),
    );
    let share_token = share.json["token"].as_str().unwrap().to_string();

    // A fresh browser sees the login page; a wrong token is refused.
    let browser = Browser::start();
    browser.goto(&server.url("/"));
    browser.find(r#"[data-testid="login"]"#);
    browser
        .find(r#"[data-testid="login-token"]"#)
        .fill("not the token");
    browser.find(r#"[data-testid="login-submit"]"#).click();
    browser.wait_until("the refusal", || {
        browser
            .text_of(".login .notice")
            .is_some_and(|t| t.contains("not the lab's owner token"))
    });
    browser.screenshot("login");

    // The printed URL logs in, and the token leaves the address bar.
    browser.goto(&server.login_url());
    browser.wait_until("the experiment list", || {
        browser
            .text_of("main")
            .is_some_and(|t| t.contains("shared without login"))
    });
    assert!(!browser.url().contains("token="), "{}", browser.url());
    browser.find(r#"[data-testid="logout"]"#);

    // The System page creates a token (its secret shown once), lists and revokes it, and lists
    // the share link.
    browser.goto(&server.url("/system"));
    browser
        .find(r#"[data-testid="token-name"]"#)
        .fill("nightly report");
    browser
        .find(r#"[data-testid="token-scope"] option[value="write"]"#)
        .click();
    browser.find(r#"[data-testid="token-create"]"#).click();
    let secret = browser.find(r#"[data-testid="new-token-secret"]"#);
    browser.wait_until("the new token's secret", || {
        secret
            .property("value")
            .as_str()
            .is_some_and(|v| v.starts_with("dl_"))
    });
    let secret = secret.property("value").as_str().unwrap().to_string();
    let with_secret = server.send_with(
        "GET",
        "/api/experiments",
        &[("authorization", &format!("Bearer {secret}"))],
        b"",
    );
    assert_eq!(with_secret.status, 200, "the shown secret works");
    browser.wait_until("the token in the list", || {
        browser
            .text_of(r#"[data-testid="tokens"]"#)
            .is_some_and(|t| t.contains("nightly report") && t.contains("write"))
    });
    browser.find(&format!(r#"tr[data-share="{share_token}"]"#));
    browser.screenshot("system-access");
    browser.click_text(r#"[data-testid="tokens"] button"#, "Revoke");
    browser.wait_until("the token gone", || {
        browser
            .text_of("main")
            .is_some_and(|t| !t.contains("nightly report"))
    });
    let revoked = server.send_with(
        "GET",
        "/api/experiments",
        &[("authorization", &format!("Bearer {secret}"))],
        b"",
    );
    assert_eq!(revoked.status, 401, "a revoked token stops working");

    // A second fresh browser opens the share link without logging in, and cannot revoke it.
    let guest = Browser::start();
    guest.goto(&server.url(&format!("/s/{share_token}")));
    guest.wait_until("the shared experiment", || {
        guest
            .text_of(r#"[data-testid="experiment-name"]"#)
            .is_some_and(|t| t == "shared without login")
    });
    assert!(guest.find_all(r#"[data-testid="login"]"#).is_empty());
    assert_eq!(
        guest.find_all("main button").len(),
        guest.find_all("main .chart-tools button").len(),
        "read-only: no buttons but the charts' own"
    );
    let status = guest.execute(
        "return fetch(arguments[0], {method: 'DELETE'}).then(r => r.status)",
        json!([format!("/api/shares/{share_token}")]),
    );
    assert_eq!(status, 401, "the holder of a link cannot revoke it");
    assert_eq!(
        server.get(&format!("/api/shared/{share_token}")).status,
        200
    );

    // Logging out brings the login page back.
    browser.goto(&server.url("/"));
    browser.find(r#"[data-testid="logout"]"#).click();
    browser.find(r#"[data-testid="login"]"#);
}
