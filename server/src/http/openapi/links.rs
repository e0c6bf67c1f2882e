//! The document's `links`: from the operations that create things to those that take their
//! ids, so that a stateful client (a fuzzer, a generated SDK) can follow what it created.

use serde_json::{json, Map, Value};

/// Where the id an operation answers with can be used: (path, method, status, the id as a
/// runtime expression, the operations that take it as their path parameter). A stateful client
/// (a fuzzer, a generated SDK) follows these from what it created to what needs its id.
const LINKS: &[(&str, &str, &str, &str, &[&str])] = &[
    (
        "/api/experiments",
        "post",
        "201",
        "$response.body#/summary/id",
        &[
            "experiment_get",
            "experiment_cancel",
            "experiment_delete",
            "experiment_events",
            "experiment_export",
            "experiment_share",
            "experiment_curves_get",
            "experiment_patch",
        ],
    ),
    (
        "/api/experiments",
        "post",
        "201",
        "$response.body#/runs/0/id",
        &["run_curves_get", "run_model"],
    ),
    (
        "/api/models",
        "post",
        "201",
        "$response.body#/summary/id",
        &["experiment_get", "experiment_events", "experiment_delete"],
    ),
    (
        "/api/models",
        "post",
        "201",
        "$response.body#/runs/0/id",
        &["run_curves_get", "run_model"],
    ),
    (
        "/api/experiments",
        "get",
        "200",
        "$response.body#/experiments/0/id",
        &["experiment_get", "experiment_export"],
    ),
    (
        "/api/experiments/{id}/share",
        "post",
        "201",
        "$response.body#/token",
        &["shared_get", "shared_experiment_curves_get", "share_delete"],
    ),
    (
        "/api/sweeps/{id}/share",
        "post",
        "201",
        "$response.body#/token",
        &["shared_get", "share_delete"],
    ),
    (
        "/api/shares",
        "post",
        "201",
        "$response.body#/token",
        &["shared_get", "share_delete"],
    ),
    (
        "/api/sweeps",
        "post",
        "201",
        "$response.body#/id",
        &[
            "sweep_get",
            "sweep_cancel",
            "sweep_delete",
            "sweep_events",
            "sweep_share",
        ],
    ),
    (
        "/api/sweeps",
        "get",
        "200",
        "$response.body#/0/id",
        &["sweep_get", "sweep_events"],
    ),
    (
        "/api/tokens",
        "post",
        "201",
        "$response.body#/info/id",
        &["token_delete"],
    ),
];

/// Adds [`LINKS`] to the responses they start from. Each link fills the target's one path
/// parameter (`id` or `token`) with the expression.
pub(super) fn link_operations(doc: &mut Value) {
    let targets: Map<String, Value> = doc["paths"]
        .as_object()
        .into_iter()
        .flat_map(|paths| paths.values())
        .flat_map(|item| item.as_object().into_iter().flat_map(|m| m.values()))
        .filter_map(|operation| {
            let id = operation["operationId"].as_str()?.to_string();
            let parameter = operation["parameters"]
                .as_array()?
                .iter()
                .rfind(|p| p["in"] == "path")?["name"]
                .clone();
            Some((id, parameter))
        })
        .collect();
    for (path, method, status, expression, operations) in LINKS {
        let response = &mut doc["paths"][path][method]["responses"][status];
        assert!(
            response.is_object(),
            "no {method} {path} {status} to link from"
        );
        for operation in *operations {
            let parameter = targets[*operation]
                .as_str()
                .unwrap_or_else(|| panic!("{operation} takes no path parameter"));
            response["links"][operation] = json!({
                "operationId": operation,
                "parameters": { parameter: expression },
            });
        }
    }
}
