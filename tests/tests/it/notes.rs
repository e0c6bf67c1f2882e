//! An experiment's notes through the real `distill serve`: a description and tags set with
//! `PATCH`, found by the list's search and tag filter, shown through a share link, and bad
//! notes refused at the field that is wrong, with nothing changed.

use api::{ExperimentDetail, ExperimentPage, SharedView};
use distill_tests::{kd_pair, Server};
use serde_json::{json, Value};

#[test]
fn notes_are_set_searched_filtered_shared_and_refused_by_field() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_in(dir.path(), &["--workers", "0"]);
    let noted = server.submit(&kd_pair(1));
    let other = server.submit(&kd_pair(1));

    // Set: a description on two lines and tags, a duplicate counted once.
    let description = "Teacher from the 6-epoch recipe.\nStudent sees 600 images.";
    let response = server.patch(
        &format!("/api/experiments/{noted}"),
        &json!({"description": description, "tags": ["baseline-check", "kd", "kd"]}),
    );
    assert_eq!(response.status, 200, "{}", response.text);
    let detail: ExperimentDetail = response.parse();
    assert_eq!(detail.summary.description, description);
    assert_eq!(detail.summary.tags, ["baseline-check", "kd"]);

    // A field left out stays as it is.
    let tags_only: ExperimentDetail = server
        .patch(
            &format!("/api/experiments/{noted}"),
            &json!({"tags": ["kd"]}),
        )
        .parse();
    assert_eq!(tags_only.summary.description, description);
    assert_eq!(tags_only.summary.tags, ["kd"]);

    // The list finds it by a word of its description, by tag, and not the other.
    let listed = |query: &str| -> Vec<String> {
        let page: ExperimentPage = server.get(&format!("/api/experiments?{query}")).parse();
        page.experiments.into_iter().map(|e| e.id).collect()
    };
    assert_eq!(listed("q=recipe"), std::slice::from_ref(&noted));
    assert_eq!(listed("tag=kd"), std::slice::from_ref(&noted));
    assert!(listed("tag=baseline-check").is_empty());
    assert_eq!(listed("").len(), 2);
    let bad_filter = server.get("/api/experiments?tag=Not%20A%20Tag");
    assert_eq!(
        (
            bad_filter.status,
            bad_filter.json["error"]["field"].as_str()
        ),
        (400, Some("tag"))
    );

    // A share link shows the notes read-only.
    let link: Value = server
        .post(&format!("/api/experiments/{noted}/share"), &Value::Null)
        .json;
    let shared: SharedView = server
        .get(&format!("/api/shared/{}", link["token"].as_str().unwrap()))
        .parse();
    match shared {
        SharedView::Experiment { experiment } => {
            assert_eq!(experiment.summary.description, description)
        }
        other => panic!("an experiment's link shows {other:?}"),
    }

    // Refusals name the field, and change nothing.
    let refused = |body: Value, field: &str| {
        let response = server.patch(&format!("/api/experiments/{noted}"), &body);
        assert_eq!(response.status, 422, "{}", response.text);
        assert_eq!(response.json["error"]["field"], field, "{}", response.text);
    };
    refused(json!({"tags": ["kd", "Upper Case"]}), "tags[1]");
    refused(json!({"description": "x".repeat(10_001)}), "description");
    refused(
        json!({"tags": (0..21).map(|i| format!("t{i}")).collect::<Vec<_>>()}),
        "tags",
    );
    refused(json!({"title": "no such field"}), "title");
    let unchanged = server.detail(&noted);
    assert_eq!(unchanged.summary.tags, ["kd"]);
    assert_eq!(unchanged.summary.description, description);
    let missing = server.patch("/api/experiments/0123456789abcdef", &json!({"tags": []}));
    assert_eq!(missing.status, 404);
    assert!(server.detail(&other).summary.tags.is_empty());
}
