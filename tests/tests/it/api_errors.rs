//! Malformed requests to the real server each get the right 4xx with a JSON error naming the
//! field, and never a 5xx.

use distill_tests::{three_stage_chain, ApiResponse, Server};
use serde_json::{json, Value};

/// One bad request and what it must get.
struct Case {
    what: &'static str,
    method: &'static str,
    path: String,
    content_type: Option<&'static str>,
    body: Vec<u8>,
    status: u16,
    code: &'static str,
    /// The blamed field must start with this ("" when there is none to blame).
    field: &'static str,
}

fn case(
    what: &'static str,
    method: &'static str,
    path: impl Into<String>,
    status: u16,
    code: &'static str,
    field: &'static str,
) -> Case {
    Case {
        what,
        method,
        path: path.into(),
        content_type: None,
        body: Vec::new(),
        status,
        code,
        field,
    }
}

fn submit(
    what: &'static str,
    spec: Value,
    status: u16,
    code: &'static str,
    field: &'static str,
) -> Case {
    Case {
        content_type: Some("application/json"),
        body: spec.to_string().into_bytes(),
        ..case(what, "POST", "/api/experiments", status, code, field)
    }
}

fn with_body(mut c: Case, content_type: Option<&'static str>, body: impl Into<Vec<u8>>) -> Case {
    c.content_type = content_type;
    c.body = body.into();
    c
}

/// The test chain with `edit` applied.
fn spec(edit: impl FnOnce(&mut Value)) -> Value {
    let mut spec = three_stage_chain(1, 300);
    edit(&mut spec);
    spec
}

fn check(server: &Server, c: &Case) -> Result<(), String> {
    let r: ApiResponse = server.send(c.method, &c.path, c.content_type, &c.body);
    let ok = r.status == c.status
        && r.code() == c.code
        && r.field().starts_with(c.field)
        && (c.field.is_empty() || !r.field().is_empty())
        && !r.json["error"]["message"].as_str().unwrap_or("").is_empty();
    if ok {
        Ok(())
    } else {
        Err(format!(
            "{}: {} {} → {} {} (wanted {} {} field `{}`)",
            c.what, c.method, c.path, r.status, r.text, c.status, c.code, c.field
        ))
    }
}

#[test]
fn every_malformed_request_gets_the_right_4xx_naming_the_field_and_none_gets_a_5xx() {
    // Arrange: a server with one finished experiment (ids to poke at) and one revoked link.
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_in(dir.path(), &["--data-dir", dir.path().to_str().unwrap()]);
    let mut small = spec(|s| s["baseline"] = false.into());
    small["chain"] = json!([small["chain"][0].clone()]);
    let experiment = server.submit(&small);
    let detail = server.wait_until_ended(&experiment);
    let run = detail["runs"][0]["id"].as_str().unwrap().to_string();
    let token = server
        .post(
            &format!("/api/experiments/{experiment}/share"),
            &Value::Null,
        )
        .json["token"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(server.delete(&format!("/api/shares/{token}")).status, 204);
    let missing_dataset = server
        .get("/api/datasets")
        .json
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["available"] == false)
        .map(|d| d["name"].as_str().unwrap().to_string());
    let unknown_id = "0123456789abcdef";
    let many_runs = vec![run.clone(); 21].join(",");

    #[rustfmt::skip]
    let mut cases = vec![
        with_body(case("no content type", "POST", "/api/experiments", 415, "unsupported_media_type", "content-type"), None, small.to_string()),
        with_body(case("text content type", "POST", "/api/experiments", 415, "unsupported_media_type", "content-type"), Some("text/plain"), small.to_string()),
        with_body(case("truncated JSON", "POST", "/api/experiments", 400, "malformed_json", ""), Some("application/json"), "{\"chain\": ["),
        with_body(case("not UTF-8", "POST", "/api/experiments", 400, "malformed_json", ""), Some("application/json"), vec![0xff, 0xfe, 0x00]),
        with_body(case("empty body", "POST", "/api/experiments", 400, "malformed_json", ""), Some("application/json"), ""),
        with_body(case("over 1 MiB", "POST", "/api/experiments", 413, "body_too_large", ""), Some("application/json"), format!("{{\"name\": \"{}\"}}", "x".repeat(1 << 20))),
        submit("an array, not an object", json!([]), 422, "invalid_field", "spec"),
        submit("an unknown top-level field", spec(|s| s["chane"] = json!([])), 422, "invalid_field", "chane"),
        submit("an unknown method", spec(|s| s["chain"][1]["link"]["terms"][0]["method"] = "kdd".into()), 422, "invalid_field", "chain[1].link.terms[0]"),
        submit("an unknown preset", spec(|s| s["chain"][0]["architecture"]["name"] = "cnn-xxl".into()), 422, "invalid_field", "chain[0].architecture.name"),
        submit("an unknown architecture kind", spec(|s| s["chain"][0]["architecture"] = json!({"kind": "vit"})), 422, "invalid_field", "chain[0].architecture"),
        submit("an unknown dataset", spec(|s| s["dataset"]["name"] = "imagenet".into()), 422, "invalid_field", "dataset.name"),
        submit("a negative temperature", spec(|s| s["chain"][1]["link"]["terms"][0]["temperature"] = (-1.0).into()), 422, "invalid_field", "chain[1].link.terms[0].temperature"),
        submit("a DKD weight that is text", spec(|s| s["chain"][2]["link"]["terms"][0]["alpha"] = "big".into()), 422, "invalid_field", "chain[2].link.terms[0].alpha"),
        submit("an MGD mask ratio of 1.5", spec(|s| s["chain"][1]["link"]["terms"][0] = json!({"method": "mgd", "lambda": 1.5})), 422, "invalid_field", "chain[1].link.terms[0].lambda"),
        submit("attention transfer into an MLP", spec(|s| s["chain"][2]["link"]["terms"][0] = json!({"method": "at"})), 422, "invalid_field", "chain[2].link.terms[0].method"),
        submit("zero epochs", spec(|s| s["budget"]["epochs"] = 0.into()), 422, "invalid_field", "budget.epochs"),
        submit("a negative batch size", spec(|s| s["budget"]["batch_size"] = (-5).into()), 422, "invalid_field", "budget.batch_size"),
        submit("a zero learning rate", spec(|s| s["budget"]["optimizer"] = json!({"kind": "adam", "lr": 0})), 422, "invalid_field", "budget.optimizer.lr"),
        submit("an empty chain", spec(|s| s["chain"] = json!([])), 422, "invalid_field", "chain"),
        submit("a teacher with distillation terms", spec(|s| s["chain"][0]["link"] = json!({"terms": [{"method": "kd"}]})), 422, "invalid_field", "chain[0].link"),
        submit("a model too large to train", spec(|s| { s["chain"][0]["architecture"] = json!({"kind": "mlp", "hidden": [16000, 16000, 16000]}) }), 422, "invalid_field", "chain[0].architecture"),
        submit("a curriculum starting at 0", spec(|s| s["chain"][1]["link"]["curriculum"] = json!({"start": 0})), 422, "invalid_field", "chain[1].link.curriculum.start"),
        case("a malformed experiment id", "GET", "/api/experiments/not-an-id", 404, "not_found", "id"),
        case("an unknown experiment", "GET", format!("/api/experiments/{unknown_id}"), 404, "not_found", "id"),
        case("events of an unknown experiment", "GET", format!("/api/experiments/{unknown_id}/events"), 404, "not_found", "id"),
        case("cancelling an unknown experiment", "POST", format!("/api/experiments/{unknown_id}/cancel"), 404, "not_found", "id"),
        case("deleting an unknown experiment", "DELETE", format!("/api/experiments/{unknown_id}"), 404, "not_found", "id"),
        case("cancelling a finished experiment", "POST", format!("/api/experiments/{experiment}/cancel"), 409, "already_ended", ""),
        case("a page size of 0", "GET", "/api/experiments?limit=0", 400, "invalid_parameter", "limit"),
        case("a page size that is text", "GET", "/api/experiments?limit=ten", 400, "invalid_parameter", "limit"),
        case("an unknown status filter", "GET", "/api/experiments?status=done", 400, "invalid_parameter", "status"),
        case("a forged cursor", "GET", "/api/experiments?cursor=yesterday", 400, "invalid_parameter", "cursor"),
        case("an unknown query parameter", "GET", "/api/experiments?sort=name", 400, "invalid_parameter", "sort"),
        case("curves of an unknown run", "GET", "/api/runs/zzz/curves", 404, "not_found", "id"),
        case("one curve point", "GET", format!("/api/runs/{run}/curves?max_points=1"), 400, "invalid_parameter", "max_points"),
        case("a metric the run does not have", "GET", format!("/api/runs/{run}/curves?metrics=perplexity"), 404, "not_found", "metrics"),
        case("comparing nothing", "GET", "/api/compare", 400, "invalid_parameter", "runs"),
        case("comparing unknown runs", "GET", format!("/api/compare?runs={run},{unknown_id}"), 404, "not_found", "runs"),
        case("comparing 21 runs", "GET", format!("/api/compare?runs={many_runs}"), 400, "invalid_parameter", "runs"),
        case("exporting as XML", "GET", format!("/api/experiments/{experiment}/export?format=xml"), 400, "invalid_parameter", "format"),
        case("the model of an unknown run", "GET", format!("/api/runs/{unknown_id}/model"), 404, "not_found", "id"),
        case("a malformed share token", "GET", "/api/shared/letmein", 404, "not_found", "token"),
        case("an unknown share token", "GET", format!("/api/shared/{}", "ab".repeat(16)), 404, "not_found", "token"),
        case("a revoked share token", "GET", format!("/api/shared/{token}"), 410, "revoked", "token"),
        case("revoking an unknown share", "DELETE", format!("/api/shares/{}", "cd".repeat(16)), 404, "not_found", "token"),
        with_body(case("sharing nothing", "POST", "/api/shares", 422, "invalid_field", "experiment_id"), Some("application/json"), "{}"),
        with_body(case("sharing an unknown experiment", "POST", "/api/shares", 404, "not_found", "experiment_id"), Some("application/json"), format!("{{\"experiment_id\": \"{unknown_id}\"}}")),
        with_body(case("sharing an empty comparison", "POST", "/api/shares", 422, "invalid_field", "runs"), Some("application/json"), "{\"runs\": []}"),
        case("an unknown dataset for parameter counts", "GET", "/api/architectures?dataset=imagenet", 404, "not_found", "dataset"),
        case("a malformed dataset name for parameter counts", "GET", "/api/architectures?dataset=Image%20Net", 400, "invalid_parameter", "dataset"),
        with_body(case("counting an unknown preset", "POST", "/api/architectures/params", 422, "invalid_field", "architecture"), Some("application/json"), r#"{"architecture": {"kind": "preset", "name": "gpt"}}"#),
        case("a method the route does not take", "PUT", "/api/experiments", 405, "method_not_allowed", ""),
        case("cancelling through a share link", "POST", format!("/api/shared/{token}/cancel"), 404, "no_such_route", ""),
        case("an unknown route", "GET", "/api/experimentz", 404, "no_such_route", ""),
    ];
    if let Some(name) = missing_dataset {
        cases.push(submit(
            "a dataset this server does not have",
            spec(|s| s["dataset"] = json!({"name": name})),
            422,
            "invalid_field",
            "dataset.name",
        ));
    }

    // Act
    let failures: Vec<String> = cases
        .iter()
        .filter_map(|c| check(&server, c).err())
        .collect();

    // Assert
    assert!(cases.len() >= 50, "{} cases", cases.len());
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
    assert!(
        !server.logs().contains("internal error"),
        "{}",
        server.logs()
    );
    let still_there = server.get(&format!("/api/experiments/{experiment}"));
    assert_eq!(
        still_there.json["summary"]["status"], "succeeded",
        "nothing was lost"
    );
}
