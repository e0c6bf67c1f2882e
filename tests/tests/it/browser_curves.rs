//! The experiment page's curves in a real headless Chromium: by default one line per model and
//! split — the mean over its seeds — with a band for the seeds' spread, a legend of models ×
//! splits, the band switched to ±1 standard deviation, and every seed a click away.
//! Needs the bundle (`scripts/build-dashboard.sh`) and `chromium` + `chromium-driver`.

use distill_tests::{kd_pair, Browser, Server};
use serde_json::json;

/// The legend entries of the chart titled `title`.
fn legend(browser: &Browser, title: &str) -> Vec<String> {
    browser
        .find_all(&format!(r#".chart[data-chart="{title}"] .legend li"#))
        .iter()
        .map(|entry| entry.text())
        .collect()
}

#[test]
fn curves_show_one_line_and_band_per_model_and_split_with_every_seed_a_click_away() {
    // Arrange: a teacher, a student and the baseline, three seeds each.
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_in(dir.path(), &["--workers", "2"]);
    assert_eq!(
        server.get("/").status,
        200,
        "run scripts/build-dashboard.sh first"
    );
    let mut spec = kd_pair(2);
    spec["seeds"] = json!([0, 1, 2]);
    spec["baseline"] = json!(true);
    let id = server.submit(&spec);
    server.ended(&id);
    let browser = Browser::start();
    browser.goto(&server.login_url());
    browser.wait_until("the login", || !browser.url().contains("token="));

    // Act: open the experiment.
    browser.goto(&server.url(&format!("/experiments/{id}")));
    let bands = r#".chart[data-chart="Accuracy"] path.band"#;
    browser.wait_until("the accuracy bands", || !browser.find_all(bands).is_empty());

    // Assert: one legend entry per model and split, one band behind each line.
    let entries = legend(&browser, "Accuracy");
    let expected = [
        "teacher · test",
        "student · test",
        "baseline · test",
        "teacher · val",
        "student · val",
        "baseline · val",
        "teacher · train",
        "student · train",
        "baseline · train",
    ];
    assert_eq!(entries.len(), expected.len(), "{entries:?}");
    for (entry, label) in entries.iter().zip(expected) {
        // Each entry is its label, then the line's last value.
        assert!(entry.starts_with(label), "{entry:?} is not {label:?}");
    }
    assert_eq!(browser.find_all(bands).len(), 9);
    let range = browser.find(bands).attribute("d");
    browser.screenshot("curves-by-model");

    // The band can span ±1 standard deviation instead of the seeds' range.
    browser
        .find(r#"[data-testid="band"] option[value="std"]"#)
        .click();
    browser.wait_until("a narrower band", || {
        browser.find(bands).attribute("d") != range
    });

    // Hover reads every visible line at the epoch under the pointer.
    let accuracy = r#".chart[data-chart="Accuracy"]"#;
    let plot = browser.find(&format!("{accuracy} svg"));
    plot.mouse("mousemove", 0.95);
    browser.wait_until("the readout", || {
        browser
            .text_of(&format!("{accuracy} .readout"))
            .is_some_and(|t| t.starts_with("epoch 2") && t.contains("student · test"))
    });

    // A legend entry hides its line and band, and shows them again.
    let lines = format!("{accuracy} .lines path");
    assert_eq!(browser.find_all(&lines).len(), 9);
    browser
        .find(&format!("{accuracy} .legend li:nth-child(2)"))
        .click();
    browser.wait_until("the student's test line hidden", || {
        browser.find_all(&lines).len() == 8 && browser.find_all(bands).len() == 8
    });
    assert!(!browser
        .text_of(&format!("{accuracy} .readout"))
        .unwrap_or_default()
        .contains("student · test"));
    browser
        .find(&format!("{accuracy} .legend li:nth-child(2)"))
        .click();
    browser.wait_until("the line back", || browser.find_all(&lines).len() == 9);

    // Dragging across the training loss zooms into those epochs; a double-click resets.
    let loss = r#".chart[data-chart="Training loss"]"#;
    let ticks = || {
        browser
            .find_all(&format!("{loss} .axes text.tick"))
            .iter()
            .map(|t| t.text())
            .collect::<Vec<_>>()
    };
    let full = ticks();
    let loss_plot = browser.find(&format!("{loss} svg"));
    loss_plot.mouse("mousedown", 0.5);
    loss_plot.mouse("mouseup", 0.8);
    browser.wait_until("the zoomed axis", || ticks() != full);
    loss_plot.mouse("dblclick", 0.5);
    browser.wait_until("the full axis back", || ticks() == full);

    // The loss on a log axis, and the chart at the page's width.
    browser
        .find(&format!(r#"{loss} [data-testid="log-y"]"#))
        .click();
    browser.wait_until("log ticks", || ticks() != full);
    browser
        .find(&format!(r#"{loss} [data-testid="widen"]"#))
        .click();
    browser.wait_until("the wide chart", || {
        !browser
            .find_all(r#".chart.wide[data-chart="Training loss"]"#)
            .is_empty()
    });
    browser.screenshot("curves-explored");

    // Every seed as its own line: the legend names the seeds, and no band is drawn.
    browser.find(r#"[data-testid="each-seed"]"#).click();
    browser.wait_until("a line per seed", || {
        legend(&browser, "Accuracy")
            .iter()
            .any(|e| e.contains("student · seed 2"))
    });
    assert_eq!(legend(&browser, "Accuracy").len(), 27, "9 runs × 3 splits");
    assert!(browser.find_all(bands).is_empty());
    browser.screenshot("curves-by-seed");

    // Compare two experiments × 3 seeds: one line and band per experiment's student and split,
    // each named by its experiment's short name.
    let mut other = kd_pair(2);
    other["name"] = json!("a second pair with a long name that legends shorten");
    other["seeds"] = json!([0, 1, 2]);
    let second = server.submit(&other);
    let students: Vec<String> = [&id, &second]
        .iter()
        .flat_map(|e| server.ended(e).runs)
        .filter(|r| r.stage_name == "student")
        .map(|r| r.id)
        .collect();
    assert_eq!(students.len(), 6);
    browser.goto(&server.url(&format!("/compare?runs={}", students.join(","))));
    browser.wait_until("the compared bands", || browser.find_all(bands).len() == 6);
    let entries = legend(&browser, "Accuracy");
    assert_eq!(entries.len(), 6, "2 models × 3 splits: {entries:?}");
    assert!(
        entries[1].starts_with("a second pair with a lo… · student · test"),
        "{entries:?}"
    );
    browser.screenshot("compare-by-model");
}
