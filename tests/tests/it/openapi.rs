//! What the real server says about itself: the OpenAPI document matches the router both ways,
//! and the catalog endpoints (datasets, architectures with parameter counts, method forms).

use distill_tests::Server;
use serde_json::Value;

/// Every `$ref` inside `value`.
fn refs(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, v) in map {
                match (key.as_str(), v) {
                    ("$ref", Value::String(r)) => out.push(r.clone()),
                    _ => refs(v, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| refs(v, out)),
        _ => {}
    }
}

#[test]
fn the_served_document_is_valid_openapi_3_1() {
    let meta: Value =
        serde_json::from_str(include_str!("../../fixtures/openapi-3.1-schema.json")).unwrap();
    let validator = jsonschema::options()
        .with_draft(jsonschema::Draft::Draft202012)
        .build(&meta)
        .expect("the OpenAPI 3.1 schema compiles");
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_in(dir.path(), &["--workers", "0"]);
    let document = server.get("/api/openapi.json").json;
    let errors: Vec<String> = validator
        .iter_errors(&document)
        .take(10)
        .map(|e| format!("at {}: {e}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{}", errors.join("\n"));

    // What a stateful client follows: from what it creates to the operations that take its id.
    let operations: Vec<&Value> = document["paths"]
        .as_object()
        .unwrap()
        .values()
        .flat_map(|item| item.as_object().unwrap().values())
        .collect();
    let operation_ids: Vec<&str> = operations
        .iter()
        .filter_map(|o| o["operationId"].as_str())
        .collect();
    let mut linked = Vec::new();
    for operation in &operations {
        for response in operation["responses"].as_object().unwrap().values() {
            for link in response["links"]
                .as_object()
                .into_iter()
                .flat_map(|l| l.values())
            {
                let target = link["operationId"].as_str().unwrap();
                assert!(operation_ids.contains(&target), "a link to {target}");
                linked.push(target);
            }
        }
    }
    for needs_an_id in [
        "experiment_get",
        "run_curves_get",
        "shared_get",
        "token_delete",
        "sweep_get",
    ] {
        assert!(
            linked.contains(&needs_an_id),
            "nothing links to {needs_an_id}"
        );
    }
}

#[test]
fn the_openapi_document_describes_every_route_the_server_answers_and_only_those() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_in(dir.path(), &[]);
    let document = server.get("/api/openapi.json");
    assert_eq!(document.status, 200);
    let doc = document.json;
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));

    // Every documented route exists: requests with placeholder ids reach a handler.
    let paths = doc["paths"].as_object().unwrap();
    let mut documented = Vec::new();
    for (path, item) in paths {
        for method in item.as_object().unwrap().keys() {
            let concrete = placeholder(path);
            let response = server.send(
                &method.to_uppercase(),
                &concrete,
                Some("application/json"),
                b"{}",
            );
            assert_ne!(
                response.status, 405,
                "{method} {path} is documented but not routed"
            );
            assert_ne!(
                response.code(),
                "no_such_route",
                "{method} {path} is documented but not routed"
            );
            documented.push(format!("{} {path}", method.to_uppercase()));
        }
    }
    // Every route of DESIGN.md §5 (and the extras) is documented.
    let routes = [
        "GET /api/health",
        "GET /api/system",
        "GET /api/datasets",
        "POST /api/datasets",
        "DELETE /api/datasets/{name}",
        "GET /api/datasets/{name}/preview.png",
        "GET /api/architectures",
        "POST /api/architectures/params",
        "GET /api/methods",
        "POST /api/experiments",
        "GET /api/experiments",
        "GET /api/experiments/{id}",
        "POST /api/experiments/{id}/cancel",
        "DELETE /api/experiments/{id}",
        "GET /api/experiments/{id}/events",
        "GET /api/runs",
        "GET /api/runs/{id}/curves",
        "GET /api/runs/{id}/model",
        "POST /api/models",
        "GET /api/compare",
        "POST /api/experiments/{id}/share",
        "POST /api/shares",
        "GET /api/shared/{token}",
        "GET /api/shared/{token}/runs/{id}/curves",
        "DELETE /api/shares/{token}",
        "GET /api/experiments/{id}/export",
        "GET /api/openapi.json",
        "GET /api/shares",
        "POST /api/login",
        "POST /api/logout",
        "GET /api/session",
        "GET /api/tokens",
        "POST /api/tokens",
        "DELETE /api/tokens/{id}",
        "POST /api/sweeps",
        "GET /api/sweeps",
        "GET /api/sweeps/{id}",
        "POST /api/sweeps/{id}/cancel",
        "DELETE /api/sweeps/{id}",
        "GET /api/sweeps/{id}/events",
        "POST /api/sweeps/{id}/share",
        "GET /api/experiments/{id}/curves",
        "GET /api/shared/{token}/curves",
        "PATCH /api/experiments/{id}",
    ];
    for route in routes {
        assert!(
            documented.contains(&route.to_string()),
            "{route} is not documented: {documented:?}"
        );
    }
    assert_eq!(documented.len(), routes.len(), "only those: {documented:?}");
    // Every schema referenced is defined.
    let mut all = Vec::new();
    refs(&doc, &mut all);
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    for r in all {
        let name = r.trim_start_matches("#/components/schemas/");
        assert!(
            schemas.contains_key(name),
            "{r} is referenced but not defined"
        );
    }
    for name in [
        "ExperimentSpec",
        "LossTerm",
        "ExperimentEvent",
        "RunCurves",
        "Comparison",
        "ErrorBody",
    ] {
        assert!(schemas.contains_key(name), "{name} missing");
    }
}

#[test]
fn the_catalog_endpoints_describe_datasets_architectures_and_method_forms() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_in(dir.path(), &[]);

    let datasets = server.get("/api/datasets").json;
    let synthetic = datasets
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["name"] == "synthetic")
        .unwrap();
    assert_eq!(synthetic["available"], true);

    let presets = server.get("/api/architectures?dataset=fashion-mnist").json;
    let cnn_m = presets
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "cnn-m")
        .unwrap();
    assert_eq!(
        cnn_m["params"], 421_738,
        "counted from the model, as PyTorch counts"
    );
    let cifar = server.get("/api/architectures?dataset=cifar10").json;
    let cifar_cnn_m = cifar
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "cnn-m")
        .unwrap();
    assert_ne!(
        cifar_cnn_m["params"], cnn_m["params"],
        "the input shape changes the count"
    );
    let custom = server.post(
        "/api/architectures/params",
        &serde_json::json!({ "architecture": { "kind": "mlp", "hidden": [32] } }),
    );
    assert_eq!(custom.json["params"], 784 * 32 + 32 + 32 * 10 + 10);

    let methods = server.get("/api/methods").json;
    let dkd = methods
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == "dkd")
        .unwrap();
    let beta = dkd["params"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "beta")
        .unwrap();
    assert_eq!(
        (beta["default"].as_str(), beta["minimum"].as_f64()),
        (Some("8"), Some(0.0))
    );
    // The catalogue serves exactly the loss terms the wire format has, plus CE and the options.
    let served: Vec<&str> = methods
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["placement"] == "term")
        .map(|m| m["name"].as_str().unwrap())
        .collect();
    let document = server.get("/api/openapi.json").json;
    let mut on_the_wire = Vec::new();
    method_tags(
        &document["components"]["schemas"]["LossTerm"],
        &mut on_the_wire,
    );
    assert!(on_the_wire.len() >= 10, "{on_the_wire:?}");
    assert_eq!(served, on_the_wire);
    let others: Vec<&str> = methods
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["placement"] != "term")
        .map(|m| m["name"].as_str().unwrap())
        .collect();
    assert_eq!(others, ["ce", "ctkd", "curriculum", "dot"]);

    let system = server.get("/api/system").json;
    assert_eq!(
        (system["backend"].as_str(), system["workers"].as_u64()),
        (
            Some("cpu"),
            Some(std::thread::available_parallelism().unwrap().get() as u64)
        ),
        "by default one worker slot per core, each run on one thread"
    );
}

/// An id that names nothing, in the shape the route's parameter expects.
fn placeholder(path: &str) -> String {
    path.replace("{id}", "0123456789abcdef")
        .replace("{token}", &"ab".repeat(16))
        .replace("{name}", "no-such-dataset")
}

/// Every `method` tag value in a schema, in document order.
fn method_tags<'a>(schema: &'a Value, found: &mut Vec<&'a str>) {
    match schema {
        Value::Object(fields) => {
            if let Some(tags) = fields
                .get("properties")
                .and_then(|p| p["method"]["enum"].as_array())
            {
                found.extend(tags.iter().filter_map(Value::as_str));
            }
            fields.values().for_each(|v| method_tags(v, found));
        }
        Value::Array(items) => items.iter().for_each(|v| method_tags(v, found)),
        _ => {}
    }
}

#[test]
fn every_rejection_the_server_gives_is_documented_for_its_route() {
    // Arrange: a server that trains nothing (the requests only probe the API's edges).
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_in(dir.path(), &["--workers", "0"]);
    let doc = server.get("/api/openapi.json").json;
    let before = server.responses_checked();

    // Act: every documented operation meets the rejections its extractors can give; the
    // harness panics on any status the document does not list, and on any body that breaks
    // the listed schema.
    let mut probes = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let method = method.to_uppercase();
            let concrete = placeholder(path);
            let mut statuses = Vec::new();
            if operation.get("requestBody").is_some() {
                for (content_type, body) in [
                    (Some("text/plain"), b"{}".to_vec()),
                    (None, b"{}".to_vec()),
                    (Some("application/json"), b"{\"chain\": [".to_vec()),
                    (Some("application/json"), b"{\"unknown\": 1}".to_vec()),
                    // Just over the 1 MiB limit: the server stops reading there.
                    (Some("application/json"), vec![b' '; (1 << 20) + 64]),
                ] {
                    let r = server.send(&method, &concrete, content_type, &body);
                    statuses.push(r.status);
                }
            }
            let parameters = operation["parameters"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            for parameter in parameters.iter().filter(|p| p["in"] == "query") {
                let name = parameter["name"].as_str().unwrap();
                let with_bad_value = format!("{concrete}?{name}=%00not-valid");
                let r = server.send(&method, &with_bad_value, None, b"");
                statuses.push(r.status);
            }
            if operation.get("requestBody").is_none() && method == "GET" {
                statuses.push(
                    server
                        .get(&format!("{concrete}?no_such_parameter=1"))
                        .status,
                );
            }
            statuses.push(server.send(&method, &concrete, None, b"").status);
            // Assert: never a 5xx, whatever came.
            assert!(
                statuses.iter().all(|&s| s < 500),
                "{method} {path} answered {statuses:?}"
            );
            probes += statuses.len();
        }
    }
    assert!(probes > 40, "{probes} probes");
    assert!(
        server.responses_checked() - before >= probes,
        "every probe was checked against the document"
    );
}

#[test]
fn the_document_carries_the_bounds_the_validator_enforces() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_in(dir.path(), &["--workers", "0"]);
    let doc = server.get("/api/openapi.json").json;
    let schemas = &doc["components"]["schemas"];
    let budget = &schemas["Budget"]["properties"];
    assert_eq!(budget["epochs"]["minimum"], 1.0);
    assert_eq!(budget["epochs"]["maximum"], 100_000.0);
    assert_eq!(budget["batch_size"]["maximum"], 65_536.0);
    let spec = &schemas["ExperimentSpec"]["properties"];
    assert_eq!(spec["seeds"]["minItems"], 1);
    assert_eq!(spec["seeds"]["uniqueItems"], true);
    assert_eq!(spec["chain"]["minItems"], 1);
    let kd = &schemas["KdParams"]["properties"]["temperature"];
    assert_eq!(kd["exclusiveMinimum"], 0.0, "{kd}");
    // The method catalog serves the same bound.
    let methods = server.get("/api/methods").json;
    let catalog_kd = methods
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == "kd")
        .unwrap();
    let temperature = catalog_kd["params"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "temperature")
        .unwrap();
    assert_eq!(
        (
            temperature["minimum"].as_f64(),
            temperature["exclusive_minimum"].as_bool()
        ),
        (Some(0.0), Some(true))
    );
    let compare = doc["paths"]["/api/compare"]["get"]["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "runs")
        .unwrap()
        .clone();
    assert_eq!(compare["in"], "query");
    assert_eq!(
        (
            compare["schema"]["minItems"].as_u64(),
            compare["schema"]["maxItems"].as_u64()
        ),
        (Some(1), Some(20))
    );
}
