//! The dashboard in a real headless Chromium against the real server: compose a chain, watch
//! it train live, compare runs, share read-only, cancel and delete (after asking), see the
//! server's field errors in the form, read a note all seeds' students share once, follow
//! each run to the run that taught it, the runs it taught and the run it reuses, and list the
//! experiments that share a teacher.
//! Needs the bundle (`scripts/build-dashboard.sh`) and `chromium` + `chromium-driver`.

use std::collections::BTreeSet;
use std::time::Duration;

use distill_tests::{three_stage_chain, Browser, Server};
use serde_json::json;

/// Opens the login URL `distill serve` printed: the session cookie is set and the token leaves
/// the address bar.
fn log_in(browser: &Browser, server: &Server) {
    browser.goto(&server.login_url());
    browser.wait_until("the token to leave the address bar", || {
        !browser.url().contains("token=")
    });
}

/// Training the chain on 2 cores takes about a minute; this leaves room on a busy machine.
const TRAINING: Duration = Duration::from_secs(600);

fn start_server(dir: &std::path::Path) -> Server {
    let server = Server::start_in(dir, &["--workers", "2"]);
    let index = server.get("/");
    assert_eq!(
        index.status, 200,
        "the dashboard bundle is missing: run scripts/build-dashboard.sh ({})",
        index.text
    );
    server
}

/// Picks `value` in the select of the field at `path`.
fn choose(browser: &Browser, path: &str, value: &str) {
    browser
        .find(&format!(
            r#".field[data-field="{path}"] select option[value="{value}"]"#
        ))
        .click();
}

/// Types `text` into the input of the field at `path`.
fn type_into(browser: &Browser, path: &str, text: &str) {
    browser
        .find(&format!(r#".field[data-field="{path}"] input"#))
        .fill(text);
}

/// Clicks the first element matching `css` whose text is `text`.
fn click_text(browser: &Browser, css: &str, text: &str) {
    browser.click_text(css, text);
}

/// The read-only link the page just created.
fn share_link(browser: &Browser) -> String {
    let input = browser.find(r#"[data-testid="share-url"]"#);
    browser.wait_until("a share link", || {
        input
            .property("value")
            .as_str()
            .is_some_and(|v| v.contains("/s/"))
    });
    input.property("value").as_str().unwrap().to_string()
}

/// What `format::count` in the dashboard writes for `n` parameters.
fn count_text(n: u64) -> String {
    match n {
        n if n >= 1_000_000 => format!("{:.2} M parameters", n as f64 / 1e6),
        n if n >= 10_000 => format!("{:.1} k parameters", n as f64 / 1e3),
        n => format!("{n} parameters"),
    }
}

#[test]
fn a_chain_composed_in_the_browser_trains_live_compares_and_shares_read_only() {
    let dir = tempfile::tempdir().unwrap();
    let server = start_server(dir.path());
    let browser = Browser::start();
    log_in(&browser, &server);

    // Compose: the KD template, a teaching assistant added between, sizes set by hand.
    browser.goto(&server.url("/experiments/new"));
    click_text(&browser, "button.template", "Quick KD");
    type_into(&browser, "name", "browser chain");
    choose(&browser, "dataset.name", "synthetic");
    type_into(&browser, "dataset.train_subset", "1500");
    type_into(&browser, "dataset.test_subset", "300");
    click_text(&browser, "button", "+ Add a teaching assistant");
    browser.wait_until("three stage cards", || {
        browser.find_all("article.stage-card").len() == 3
    });
    choose(&browser, "chain[0].architecture.name", "cnn-s");
    type_into(&browser, "chain[1].name", "ta");
    let name_at = |i: usize| {
        browser
            .find(&format!(r#".field[data-field="chain[{i}].name"] input"#))
            .property("value")
    };
    browser
        .find(r#"article[data-stage-index="1"] button[title="Move towards the student"]"#)
        .click();
    browser.wait_until("the assistant moved last", || {
        name_at(2) == "ta" && name_at(1) == "student"
    });
    browser
        .find(r#"article[data-stage-index="2"] button[title="Move towards the teacher"]"#)
        .click();
    browser.wait_until("the assistant back in the middle", || name_at(1) == "ta");
    choose(&browser, "chain[1].architecture.name", "cnn-xs");
    choose(&browser, "chain[2].architecture", "mlp");
    type_into(&browser, "chain[2].architecture.hidden", "64");
    let expected = server.post(
        "/api/architectures/params",
        &json!({"architecture": {"kind": "mlp", "hidden": [64]}, "dataset": "synthetic"}),
    );
    let expected = count_text(expected.json["params"].as_u64().unwrap());
    browser.wait_until("the student's live parameter count", || {
        browser.text_of(r#"article[data-stage-index="2"] [data-testid="param-count"]"#)
            == Some(expected.clone())
    });
    type_into(&browser, "budget.epochs", "3");
    type_into(&browser, "budget.batch_size", "64");
    assert_eq!(
        browser
            .find(r#"[data-testid="baseline"]"#)
            .property("checked"),
        true
    );
    browser.screenshot("composer");
    browser.find(r#"[data-testid="submit"]"#).click();

    // Watch: the page follows the server's events; nothing reloads it.
    browser.wait_until("the experiment page", || {
        let url = browser.url();
        url.contains("/experiments/") && !url.ends_with("/new")
    });
    let experiment_url = browser.url();
    let id = experiment_url.rsplit('/').next().unwrap().to_string();
    assert_eq!(
        browser.find(r#"[data-testid="experiment-name"]"#).text(),
        "browser chain"
    );
    let mut accuracy_lines = BTreeSet::new();
    let mut saw_progress = false;
    let mut saw_running = false;
    browser.wait_longer("the experiment to succeed", TRAINING, || {
        saw_progress |= !browser.find_all(".progress-cell .progress").is_empty();
        saw_running |= !browser
            .find_all(r#"tr[data-run] [data-status="running"]"#)
            .is_empty();
        accuracy_lines.insert(
            browser
                .find_all(r#"figure[data-chart="Accuracy"] .legend li"#)
                .len(),
        );
        browser.text_of(".page-head .badge").as_deref() == Some("succeeded")
    });
    assert!(
        saw_running && saw_progress,
        "runs were seen running with a progress bar"
    );
    assert!(
        accuracy_lines.len() >= 3,
        "the accuracy chart grew while the page was open: {accuracy_lines:?}"
    );
    browser.wait_until("results of 4 models", || {
        browser.find_all("table.models tbody tr").len() == 4
    });
    let boxes = browser.find_all(".chain .stage-box");
    assert_eq!(
        boxes.len(),
        4,
        "teacher, ta, student and the baseline are drawn"
    );
    assert!(boxes.iter().all(|b| b.text().contains("succeeded")));
    for chart in [
        "Training loss",
        "Accuracy",
        "Loss terms (weighted)",
        "Learning rate",
    ] {
        let figure = browser.find(&format!(r#"figure[data-chart="{chart}"]"#));
        assert!(
            !figure.find_all("path[stroke]").is_empty(),
            "{chart} has lines"
        );
        assert!(!figure.find_all(".tick").is_empty(), "{chart} has axes");
        assert!(
            !figure.find_all(".legend li").is_empty(),
            "{chart} has a legend"
        );
    }
    browser.screenshot("experiment");

    // Compare the student with the baseline.
    for label in ["student", "baseline"] {
        let row = browser
            .find_all("tr[data-run]")
            .into_iter()
            .find(|r| {
                r.find_all("th")
                    .first()
                    .is_some_and(|th| th.text() == label)
            })
            .unwrap_or_else(|| panic!("a {label} row"));
        row.find_all("input[type=checkbox]")[0].click();
    }
    click_text(&browser, "a.button", "Compare selected runs (2)");
    browser.wait_until("the compare page", || {
        browser.url().contains("/compare?runs=")
    });
    let compare_url = browser.url();
    browser.wait_until("two compared runs", || {
        browser.find_all("table.compare tbody tr").len() == 2
    });
    for chart in ["Accuracy vs latency", "Accuracy vs size"] {
        let figure = browser.find(&format!(r#"figure[data-chart="{chart}"]"#));
        assert_eq!(
            figure.find_all("circle").len(),
            2,
            "{chart} plots both models"
        );
        assert!(figure.text().contains("Pareto"), "{chart} marks the front");
    }
    browser.find(r#"figure[data-chart="Training loss"]"#);
    browser.screenshot("compare");
    browser.goto(&compare_url);
    browser.wait_until("the compare page again after a reload", || {
        browser.find_all("table.compare tbody tr").len() == 2
    });
    click_text(&browser, ".actions button", "Share comparison");
    let shared_comparison = share_link(&browser);

    // Clone it into the composer.
    browser.goto(&experiment_url);
    click_text(&browser, ".actions a", "Clone");
    browser.wait_until("the composer with the cloned chain", || {
        browser.url().contains("/experiments/new?from=")
            && browser.find_all("article.stage-card").len() == 3
            && browser
                .find(r#".field[data-field="name"] input"#)
                .property("value")
                == "browser chain (copy)"
    });
    let hidden = browser.find(r#".field[data-field="chain[2].architecture.hidden"] input"#);
    assert_eq!(hidden.property("value"), "64");

    // Share, and open the link in a fresh profile: the same experiment, no actions.
    browser.goto(&experiment_url);
    click_text(&browser, ".actions button", "Share");
    let share_url = share_link(&browser);
    let guest = Browser::start();
    guest.goto(&share_url);
    guest.wait_until("the shared experiment", || {
        guest.find(r#"[data-testid="experiment-name"]"#).text() == "browser chain"
    });
    guest.wait_until("its results", || {
        guest.find_all("table.models tbody tr").len() == 4
    });
    guest.find(r#"figure[data-chart="Accuracy"]"#);
    // Reading controls only: the charts' own tools and the seeds switch change nothing.
    assert_eq!(
        guest.find_all("main button").len(),
        guest.find_all("main .chart-tools button").len(),
        "a shared view has no buttons but the charts' own"
    );
    assert!(guest.find_all("main .actions").is_empty());
    assert_eq!(
        guest.find_all("main input[type=checkbox]").len(),
        guest
            .find_all("main .curves-tools input[type=checkbox]")
            .len(),
        "no checkbox but the seeds switch"
    );
    assert!(
        guest.find_all("main a[download]").is_empty(),
        "nor downloads"
    );
    guest.screenshot("shared");
    guest.goto(&shared_comparison);
    guest.wait_until("the shared comparison", || {
        guest.find_all("table.compare tbody tr").len() == 2
    });
    guest.find(r#"figure[data-chart="Accuracy vs size"]"#);
    assert_eq!(
        guest.find_all("main button").len(),
        guest.find_all("main .chart-tools button").len(),
        "a shared comparison has no buttons but the charts' own"
    );
    assert!(
        guest.find_all("main a[href^='/experiments/']").is_empty(),
        "nor links into the lab"
    );
    guest.screenshot("shared-comparison");

    // The list and the system page.
    browser.goto(&server.url("/"));
    let row_css = format!(r#"tr[data-experiment="{id}"]"#);
    browser.wait_until("the experiment listed as succeeded", || {
        browser
            .text_of(&row_css)
            .is_some_and(|t| t.contains("succeeded"))
    });
    let row = browser.find(&row_css);
    assert!(
        row.text().contains("teacher"),
        "the chain is listed: {}",
        row.text()
    );
    browser.screenshot("experiments");
    row.find_all("input[type=checkbox]")[0].click();
    click_text(&browser, ".toolbar button", "Compare selected (1)");
    browser.wait_until("its student and baseline compared", || {
        browser.url().contains("/compare?runs=")
            && browser.find_all("table.compare tbody tr").len() == 2
    });
    browser.goto(&server.url("/system"));
    assert_eq!(browser.find(r#"[data-fact="backend"]"#).text(), "cpu");
    browser.screenshot("system");
}

#[test]
fn an_invalid_form_shows_the_error_next_to_its_field_and_keeps_what_was_typed() {
    let dir = tempfile::tempdir().unwrap();
    let server = start_server(dir.path());
    let browser = Browser::start();
    log_in(&browser, &server);
    browser.goto(&server.url("/experiments/new"));
    choose(&browser, "dataset.name", "synthetic");

    // Checked as typed, against the method catalog's range.
    let temperature = "chain[1].link.terms[0].temperature";
    type_into(&browser, temperature, "0");
    let local = browser.find(&format!(
        r#".field[data-field="{temperature}"] .field-error"#
    ));
    assert_eq!(local.text(), "must be > 0");
    type_into(&browser, temperature, "4");
    browser.wait_until("the temperature error to clear", || {
        browser
            .find_all(&format!(
                r#".field[data-field="{temperature}"] .field-error"#
            ))
            .is_empty()
    });

    // Checked by the server on submit, shown at the field it names.
    type_into(&browser, "budget.epochs", "0");
    browser.find(r#"[data-testid="submit"]"#).click();
    let error = browser.find(r#".field[data-field="budget.epochs"] .field-error"#);
    assert_eq!(
        error.text(),
        "must be a whole number from 1 to 100000, got 0"
    );
    assert!(browser
        .find(".notice.error")
        .text()
        .contains("budget.epochs"));
    assert!(browser.url().ends_with("/experiments/new"));
    let epochs = browser.find(r#".field[data-field="budget.epochs"] input"#);
    assert_eq!(epochs.property("value"), "0", "what was typed stays");
    browser.screenshot("composer-error");
    assert_eq!(
        server.get("/api/experiments").json["total"],
        0,
        "nothing was submitted"
    );

    // Fixing the field clears its error.
    type_into(&browser, "budget.epochs", "1");
    browser.wait_until("the epochs error to clear", || {
        browser
            .find_all(r#".field[data-field="budget.epochs"] .field-error"#)
            .is_empty()
    });

    // A link option from the catalogue: DOT, switched on, shows its Δ; under the default Adam
    // the server refuses it and names the option.
    browser.find(r#"[data-option="dot"] input"#).click();
    browser.find(r#".field[data-field="chain[1].link.dot.delta"] input"#);
    browser.find(r#"[data-testid="submit"]"#).click();
    browser.wait_until("the refusal to name link.dot", || {
        browser
            .find_all(".notice.error")
            .iter()
            .any(|notice| notice.text().contains("chain[1].link.dot"))
    });
    assert_eq!(server.get("/api/experiments").json["total"], 0);
}

#[test]
fn cancel_stops_a_running_experiment_and_delete_asks_before_removing_it() {
    let dir = tempfile::tempdir().unwrap();
    let server = start_server(dir.path());
    // Long enough that it is still training when the button is clicked.
    let id = server.submit(&three_stage_chain(200, 3000));
    let browser = Browser::start();
    log_in(&browser, &server);
    let page = server.url(&format!("/experiments/{id}"));
    browser.goto(&page);
    let status = || browser.text_of(".page-head .badge");
    browser.wait_longer("the experiment to run", TRAINING, || {
        status().as_deref() == Some("running")
    });

    click_text(&browser, ".actions button", "Cancel");
    browser.wait_until("the experiment cancelled", || {
        status().as_deref() == Some("cancelled")
    });
    let detail = server.get(&format!("/api/experiments/{id}")).json;
    assert_eq!(detail["summary"]["status"], "cancelled");
    browser.wait_until("every run shown cancelled", || {
        let badges = browser.find_all(r#"tr[data-run] [data-status]"#);
        !badges.is_empty() && badges.iter().all(|b| b.text() == "cancelled")
    });
    assert!(
        browser
            .find_all(".actions button")
            .into_iter()
            .any(|b| b.text() == "Cancel" && b.property("disabled") == true),
        "Cancel is disabled once the experiment ended"
    );
    browser.screenshot("experiment-cancelled");

    // Delete asks first; saying no keeps everything.
    click_text(&browser, ".actions button", "Delete");
    assert_eq!(
        browser.dialog_text(),
        "Delete this experiment, its runs, curves and models?"
    );
    browser.answer_dialog(false);
    assert_eq!(browser.url(), page, "still on the experiment");
    assert_eq!(server.get(&format!("/api/experiments/{id}")).status, 200);

    // Saying yes removes it and returns to the list, where it is gone.
    click_text(&browser, ".actions button", "Delete");
    browser.dialog_text();
    browser.answer_dialog(true);
    browser.wait_until("the experiment list", || browser.url() == server.url("/"));
    browser.find(".empty");
    assert!(browser
        .find_all(&format!(r#"tr[data-experiment="{id}"]"#))
        .is_empty());
    assert_eq!(server.get(&format!("/api/experiments/{id}")).status, 404);
}

#[test]
fn a_note_all_students_share_is_said_once_and_each_row_says_where_its_model_came_from() {
    let dir = tempfile::tempdir().unwrap();
    let server = start_server(dir.path());
    let id = server.submit(&json!({
        "name": "two seeds of one pair",
        "dataset": {"name": "synthetic", "train_subset": 300, "test_subset": 100},
        "budget": {"epochs": 1, "batch_size": 50},
        "seeds": [0, 1],
        "chain": [
            {"architecture": {"kind": "preset", "name": "cnn-xs"}},
            {"architecture": {"kind": "preset", "name": "mlp-xs"}, "link": {"terms": [{"method": "kd"}]}}
        ]
    }));
    let detail = server.ended(&id);
    let students: Vec<_> = detail
        .runs
        .iter()
        .filter(|r| r.stage_name == "student")
        .collect();
    assert!(
        students.iter().all(|r| r
            .message
            .as_deref()
            .is_some_and(|m| m.contains("computed once"))),
        "each student carries the teacher cache's note: {students:?}"
    );

    let browser = Browser::start();
    log_in(&browser, &server);
    browser.goto(&server.url(&format!("/experiments/{id}")));
    browser.wait_until("the shared note", || {
        browser
            .text_of(r#"[data-testid="run-notes"]"#)
            .is_some_and(|t| {
                t.contains("student · seed 0, student · seed 1") && t.contains("computed once")
            })
    });
    for student in &students {
        let cell = browser.find(&format!(r#"tr[data-run="{}"] td.message"#, student.id));
        assert_eq!(cell.text(), "", "the note is not repeated on the row");
    }

    // Each row says which run taught it and which runs it taught.
    let lineage = |run: &str| {
        browser
            .find(&format!(r#"tr[data-run="{run}"] [data-testid="lineage"]"#))
            .text()
    };
    let student = students.iter().find(|r| r.seed == 0).unwrap();
    let teacher = student
        .teacher_run
        .clone()
        .expect("a student has a teacher");
    assert!(
        lineage(&student.id).contains("taught by teacher · seed 0"),
        "{}",
        lineage(&student.id)
    );
    assert!(
        lineage(&teacher).contains("taught student · seed 0"),
        "{}",
        lineage(&teacher)
    );

    // The same pair again: its teacher is the first one's, and says so with a link.
    let mut spec = serde_json::to_value(&detail.spec).unwrap();
    spec["name"] = json!("the same pair again");
    let second = server.submit(&spec);
    let reran = server.ended(&second);
    let reused = reran
        .runs
        .iter()
        .find(|r| r.stage_name == "teacher" && r.seed == 0)
        .unwrap();
    assert_eq!(reused.reused_from.as_deref(), Some(teacher.as_str()));
    browser.goto(&server.url(&format!("/experiments/{second}")));
    browser.wait_until("the reused teacher's link", || {
        browser
            .find_all(&format!(
                r#"tr[data-run="{}"] [data-testid="lineage"] a[href^="/compare?runs={teacher},"]"#,
                reused.id
            ))
            .len()
            == 1
    });
    // The chain diagram says so too, with a link to the runs it came from.
    let reused_box = r#".stage-box[data-stage="teacher"] [data-testid="stage-reused"]"#;
    browser.wait_until("the diagram's reuse link", || {
        browser
            .find_all(reused_box)
            .first()
            .is_some_and(|link| link.attribute("href").contains(teacher.as_str()))
    });
    browser.screenshot("experiment-lineage");

    // The teacher links to the experiments that share it: both, and only them.
    let third = server.submit(&json!({
        "name": "another teacher",
        "dataset": {"name": "synthetic", "train_subset": 300, "test_subset": 100},
        "budget": {"epochs": 1, "batch_size": 50},
        "chain": [
            {"architecture": {"kind": "preset", "name": "cnn-s"}},
            {"architecture": {"kind": "preset", "name": "mlp-xs"}, "link": {"terms": [{"method": "kd"}]}}
        ]
    }));
    browser
        .find(r#".stage-box[data-stage="teacher"] [data-testid="same-teacher"]"#)
        .click();
    browser.wait_until("the experiments sharing the teacher", || {
        browser.find_all(r#"[data-testid="teacher-filter"]"#).len() == 1
            && browser.find_all("tr[data-experiment]").len() == 2
    });
    for experiment in [&id, &second] {
        browser.find(&format!(r#"tr[data-experiment="{experiment}"]"#));
    }
    assert!(browser
        .find_all(&format!(r#"tr[data-experiment="{third}"]"#))
        .is_empty());
}

#[test]
fn notes_are_edited_in_place_their_tags_filter_the_list_and_shares_show_them_read_only() {
    let dir = tempfile::tempdir().unwrap();
    let server = start_server(dir.path());
    let id = server.submit(&distill_tests::kd_pair(1));
    let untagged = server.submit(&distill_tests::kd_pair(1));
    let browser = Browser::start();
    log_in(&browser, &server);
    browser.goto(&server.url(&format!("/experiments/{id}")));

    // Edit: a description on two lines and two tags, saved in place.
    browser.find(r#"[data-testid="edit-notes"]"#).click();
    browser
        .find(r#"[data-testid="description-input"]"#)
        .fill("first line\nsecond line");
    browser
        .find(r#"[data-testid="tags-input"]"#)
        .fill("recipe, kd-check");
    browser.find(r#"[data-testid="save-notes"]"#).click();
    browser.wait_until("the saved notes", || {
        browser
            .text_of(r#"[data-testid="description"]"#)
            .is_some_and(|t| t == "first line\nsecond line")
    });
    let tags: Vec<String> = browser
        .find_all(r#"[data-testid="notes"] .tag"#)
        .iter()
        .map(|t| t.text())
        .collect();
    assert_eq!(tags, ["recipe", "kd-check"]);
    assert_eq!(server.detail(&id).summary.tags, ["recipe", "kd-check"]);

    // A tag lists the experiments that carry it.
    browser.click_text(r#"[data-testid="notes"] a.tag"#, "kd-check");
    browser.wait_until("the tagged list", || {
        browser.find_all(r#"[data-testid="tag-filter"]"#).len() == 1
            && browser.find_all("tr[data-experiment]").len() == 1
    });
    browser.find(&format!(r#"tr[data-experiment="{id}"] .tag"#));
    assert!(browser
        .find_all(&format!(r#"tr[data-experiment="{untagged}"]"#))
        .is_empty());

    // A share link shows the notes, with nothing to edit.
    let link = server.post(
        &format!("/api/experiments/{id}/share"),
        &serde_json::Value::Null,
    );
    let guest = Browser::start();
    guest.goto(&server.url(link.json["path"].as_str().unwrap()));
    guest.wait_until("the shared notes", || {
        guest
            .text_of(r#"[data-testid="description"]"#)
            .is_some_and(|t| t.starts_with("first line"))
    });
    assert!(guest.find_all(r#"[data-testid="edit-notes"]"#).is_empty());
    assert!(guest.find_all(r#"[data-testid="notes"] a.tag"#).is_empty());
}
