//! The OpenAPI document as a contract a generated client can trust. utoipa derives it from the
//! handlers and the `api` types; this module completes it with what the derive cannot know:
//! the bounds the validator enforces (from the engine's one table of them and the method
//! catalog), the rejections every JSON body, query string and path id can meet, exact query
//! parameter types, tagged enum variants written so that their tag is allowed, the string rules
//! the handlers check, the event stream in OpenAPI 3.1's form, a request example, and the
//! `links` between operations ([`links`]).

mod links;

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use engine::spec::{Bound, Rule, SchemaRule};

use crate::access::{policy, Need, SESSION_COOKIE};
use crate::jobs;
use crate::model_files::ModelFormat;
use serde_json::{json, Map, Value};

use super::{compare, curves, experiments, AppState};

/// This document (OpenAPI 3.1, generated from the code).
#[utoipa::path(get, path = "/api/openapi.json", tag = "system",
    responses((status = 200, description = "The OpenAPI document", content_type = "application/json")))]
pub(super) async fn openapi_get(State(state): State<AppState>) -> Response {
    let body = state.openapi.get().cloned().unwrap_or_default();
    (
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        body,
    )
        .into_response()
}

/// The generated document, completed.
pub(super) fn complete(document: utoipa::openapi::OpenApi) -> Value {
    let mut doc = serde_json::to_value(&document).expect("the OpenAPI document serializes");
    let schemas = &mut doc["components"]["schemas"];
    for rule in engine::spec::schema_rules().iter().chain(&server_rules()) {
        apply_rule(schemas, rule);
    }
    inline_tagged_variants(schemas);
    document_string_rules(schemas);
    links::link_operations(&mut doc);
    document_event_stream(&mut doc);
    // A spec that validates, for readers and for clients that start from examples (the
    // fuzzer's stateful phase creates an experiment from it, then follows the links).
    doc["paths"]["/api/experiments"]["post"]["requestBody"]["content"]["application/json"]
        ["example"] = serde_json::from_str(include_str!("../../../../examples/demo.json"))
        .expect("examples/demo.json is JSON");
    doc["paths"]["/api/sweeps"]["post"]["requestBody"]["content"]["application/json"]["example"] =
        serde_json::from_str(include_str!("../../../../examples/sweeps/demo.json"))
            .expect("examples/sweeps/demo.json is JSON");
    if let Some(paths) = doc["paths"].as_object_mut() {
        for (path, item) in paths.iter_mut() {
            for (method, operation) in item.as_object_mut().into_iter().flat_map(|m| m.iter_mut()) {
                type_query_parameters(operation);
                document_rejections(operation);
                let method = method.to_uppercase().parse().expect("an HTTP method");
                document_access(operation, policy(&method, path));
            }
        }
    }
    doc["components"]["securitySchemes"] = json!({
        "bearer": {"type": "http", "scheme": "bearer",
                   "description": "The owner token (printed by `distill serve`) or an API token (`POST /api/tokens`)."},
        "session": {"type": "apiKey", "in": "cookie", "name": SESSION_COOKIE,
                    "description": "The owner's browser session (from `/?token=…` or `POST /api/login`); unsafe requests must come from the lab's own origin."}
    });
    doc
}

/// The rules of strings the handlers check that the derive cannot see: a preset is one of the
/// zoo's names, a token's name has a visible character and at most 100, a share names exactly
/// one of an experiment and a list of runs.
fn document_string_rules(schemas: &mut Value) {
    let presets: Vec<&str> = engine::models::presets().iter().map(|p| p.name).collect();
    let preset = target(schemas, "Architecture.preset").expect("a preset variant");
    preset["properties"]["name"]["enum"] = json!(presets);
    let token = target(schemas, "NewApiToken").expect("NewApiToken");
    token["properties"]["name"]["pattern"] = json!("\\S");
    token["properties"]["name"]["maxLength"] = json!(super::access::TOKEN_NAME_MAX);
    let share = target(schemas, "ShareRequest").expect("ShareRequest");
    share["properties"]["runs"]["items"]["minLength"] = json!(1);
    share.insert(
        "oneOf".into(),
        json!([
            {"required": ["experiment_id"], "properties": {"experiment_id": {"type": "string"}}},
            {"required": ["runs"], "properties": {"runs": {"type": "array"}}},
            {"required": ["sweep_id"], "properties": {"sweep_id": {"type": "string"}}}
        ]),
    );
}

/// The event stream's schema as OpenAPI 3.1 means it for `text/event-stream`: one event
/// record (its `event` name and its `data` text), whose data is an `ExperimentEvent` as JSON.
fn document_event_stream(doc: &mut Value) {
    let experiment = &mut doc["paths"]["/api/experiments/{id}/events"]["get"]["responses"]["200"]
        ["content"]["text/event-stream"];
    let event = experiment["schema"].take();
    assert!(event.is_object(), "the event stream documents its events");
    experiment["schema"] = event_record(
        "One server-sent event: `event` is the JSON's `type`, `data` the event as JSON.",
        event,
    );
    let sweep = &mut doc["paths"]["/api/sweeps/{id}/events"]["get"]["responses"]["200"]["content"]
        ["text/event-stream"];
    let view = sweep["schema"].take();
    assert!(view.is_object(), "the sweep's stream documents its events");
    sweep["schema"] = event_record(
        "One server-sent event: `sweep` with the whole sweep as JSON, or, last, `end` with `{\"status\"}`.",
        json!({ "anyOf": [view, {
            "type": "object",
            "required": ["status"],
            "properties": { "status": { "$ref": "#/components/schemas/SweepStatus" } }
        }] }),
    );
}

/// The schema of an event stream's records: an event name and its data, JSON of `data`.
fn event_record(description: &str, data: Value) -> Value {
    json!({
        "type": "object",
        "description": description,
        "properties": {
            "event": {"type": "string"},
            "data": {"type": "string", "contentMediaType": "application/json",
                     "contentSchema": data},
        },
        "required": ["event", "data"],
    })
}

/// Documents who may call an operation and the refusals of the access rules: 421 for a host
/// this lab does not serve (every route); 401, 403 and 429 where credentials are needed.
fn document_access(operation: &mut Value, need: Need) {
    let responses = operation["responses"]
        .as_object_mut()
        .expect("every operation has responses");
    responses
        .entry("421")
        .or_insert_with(|| error_response("The request's Host is not one this lab answers for"));
    if need == Need::Nothing {
        operation["security"] = json!([]);
        return;
    }
    for (status, description) in [
        ("401", "No credentials, or credentials that are not valid"),
        ("403", "Credentials that may not do this (a read token on a change, a token on the owner's routes), or a cookie-authenticated request from another site"),
        ("429", "Too many failed logins from this address"),
    ] {
        responses
            .entry(status)
            .or_insert_with(|| error_response(description));
    }
    operation["security"] = json!([{"bearer": []}, {"session": []}]);
}

/// The rules of request bodies the server itself (not the engine) checks.
fn server_rules() -> Vec<SchemaRule> {
    vec![SchemaRule {
        schema: "ShareRequest",
        property: "runs".into(),
        rule: Rule::Count {
            min: 1,
            max: compare::MAX_COMPARED,
            unique: false,
        },
    }]
}

/// Writes `bound` into a JSON schema of a number (or an integer).
fn write_bound(schema: &mut Map<String, Value>, bound: &Bound) {
    if bound.integer {
        schema.insert("type".into(), numeric_type(schema, "integer"));
        schema.remove("format");
    }
    if let Some(min) = bound.min {
        let key = if bound.exclusive_min {
            "exclusiveMinimum"
        } else {
            "minimum"
        };
        schema.remove("minimum");
        schema.insert(key.into(), json!(min));
    }
    if let Some(max) = bound.max {
        let key = if bound.exclusive_max {
            "exclusiveMaximum"
        } else {
            "maximum"
        };
        schema.insert(key.into(), json!(max));
    }
}

/// `"integer"`, or `["integer", "null"]` where the schema allowed null.
fn numeric_type(schema: &Map<String, Value>, kind: &str) -> Value {
    match schema.get("type") {
        Some(Value::Array(kinds)) if kinds.iter().any(|k| k == "null") => json!([kind, "null"]),
        _ => json!(kind),
    }
}

/// The object schema named `Schema` or, for `Schema.variant`, the branch of the tagged enum
/// `Schema` whose tag is `variant`.
fn target<'a>(schemas: &'a mut Value, name: &str) -> Option<&'a mut Map<String, Value>> {
    let (schema, variant) = match name.split_once('.') {
        Some((schema, variant)) => (schema, Some(variant)),
        None => (name, None),
    };
    let node = schemas.get_mut(schema)?;
    let Some(variant) = variant else {
        return node.as_object_mut();
    };
    node["oneOf"]
        .as_array_mut()?
        .iter_mut()
        .find(|branch| tag_of(branch).is_some_and(|(_, tag)| tag == variant))?
        .as_object_mut()
}

/// The tag property and value of an inline branch of a tagged enum.
fn tag_of(branch: &Value) -> Option<(String, String)> {
    let properties = branch["properties"].as_object()?;
    let required = branch["required"].as_array()?;
    properties.iter().find_map(|(name, p)| {
        let values = p["enum"].as_array()?;
        (values.len() == 1 && required.iter().any(|r| r == name))
            .then(|| Some((name.clone(), values[0].as_str()?.to_string())))
            .flatten()
    })
}

fn apply_rule(schemas: &mut Value, rule: &SchemaRule) {
    let Some(object) = target(schemas, rule.schema) else {
        panic!("the OpenAPI document has no schema {}", rule.schema);
    };
    let Some(property) = object
        .get_mut("properties")
        .and_then(|p| p.get_mut(&rule.property))
    else {
        panic!(
            "the OpenAPI schema {} has no property {}",
            rule.schema, rule.property
        );
    };
    // An optional field may be written as `oneOf [null, X]`; bounds go on the non-null part.
    let property = match property.get_mut("oneOf") {
        Some(Value::Array(branches)) => branches
            .iter_mut()
            .find(|b| b["type"] != "null")
            .expect("a non-null branch"),
        _ => property,
    };
    let property = property.as_object_mut().expect("a property schema");
    match &rule.rule {
        Rule::Range(bound) => match property.get_mut("items") {
            Some(Value::Object(items)) => write_bound(items, bound),
            _ => write_bound(property, bound),
        },
        Rule::Count { min, max, unique } => {
            property.insert("minItems".into(), json!(min));
            property.insert("maxItems".into(), json!(max));
            if *unique {
                property.insert("uniqueItems".into(), json!(true));
            }
        }
        Rule::OneOf(values) => {
            property.remove("minimum");
            property.insert("enum".into(), json!(values));
        }
        Rule::OneOfNumbers(values) => {
            property.remove("minimum");
            property.insert("enum".into(), json!(values));
        }
    }
}

/// utoipa writes a tagged variant that wraps a struct as `allOf [$ref Struct, {tag}]`. Where the
/// struct denies unknown fields (`additionalProperties: false`), no object can satisfy both
/// halves: the tag is unknown to the struct. Such variants are written out whole instead: the
/// struct's properties plus the tag, with the struct's strictness.
fn inline_tagged_variants(schemas: &mut Value) {
    let snapshot = schemas.clone();
    let Some(all) = schemas.as_object_mut() else {
        return;
    };
    for schema in all.values_mut() {
        let Some(branches) = schema.get_mut("oneOf").and_then(Value::as_array_mut) else {
            continue;
        };
        for branch in branches.iter_mut() {
            if let Some(merged) = merged_variant(branch, &snapshot) {
                *branch = merged;
            }
        }
    }
}

fn merged_variant(branch: &Value, schemas: &Value) -> Option<Value> {
    let parts = branch["allOf"].as_array()?;
    let [wrapped, tag] = parts.as_slice() else {
        return None;
    };
    let name = wrapped["$ref"]
        .as_str()?
        .strip_prefix("#/components/schemas/")?;
    let mut merged = schemas.get(name)?.as_object()?.clone();
    let (tag_name, tag_schema) = tag["properties"].as_object()?.iter().next()?;
    merged
        .entry("properties")
        .or_insert_with(|| json!({}))
        .as_object_mut()?
        .insert(tag_name.clone(), tag_schema.clone());
    let required = merged
        .entry("required")
        .or_insert_with(|| json!([]))
        .as_array_mut()?;
    required.push(json!(tag_name));
    if let Some(description) = branch.get("description") {
        merged.insert("description".into(), description.clone());
    }
    Some(Value::Object(merged))
}

/// The schema of every query parameter, as the handler of `operation` parses it (the handlers
/// read them as text, to name a bad one in the error).
fn query_schema(operation: &str, name: &str) -> Option<Value> {
    Some(match (operation, name) {
        ("run_model", "format") => {
            let formats: Vec<&str> = ModelFormat::ALL.iter().map(|f| f.as_str()).collect();
            json!({"type": "string", "enum": formats, "default": "burn"})
        }
        // A model's name is free text; its file name tells the format.
        ("models_create", "name") => json!({"type": "string"}),
        // As `WeightsFormat::of_file_name` and `is_onnx` read it: a model file's ending, in
        // any case.
        ("models_create", "filename") => json!({"type": "string",
            "pattern": "^.+\\.([sS][aA][fF][eE][tT][eE][nN][sS][oO][rR][sS]|[pP][tT][hH]?|[oO][nN][nN][xX])$"}),
        // ONNX outputs: any names (unknown ones are a 422 listing the graph's).
        ("models_create", "logits" | "features") => json!({"type": "string"}),
        ("models_create", "size") => json!({"type": "string", "pattern": jobs::SIZE_PATTERN}),
        ("models_create", "mean" | "std") => {
            json!({"type": "string", "pattern": jobs::NUMBERS_PATTERN})
        }
        ("models_create", "grey_to_rgb") => json!({"type": "boolean", "default": false}),
        // A preset's name or an architecture's JSON.
        (_, "architecture") => json!({"type": "string"}),
        (_, name) => return query_schema_by_name(name),
    })
}

/// The schema of a query parameter that means the same in every operation.
fn query_schema_by_name(name: &str) -> Option<Value> {
    let statuses: Vec<&str> = api::RunStatus::ALL.iter().map(|s| s.as_str()).collect();
    Some(match name {
        "limit" => {
            json!({"type": "integer", "minimum": 1, "maximum": experiments::MAX_PAGE, "default": 50})
        }
        "max_points" => json!({"type": "integer", "minimum": 2, "maximum": curves::MAX_POINTS,
                               "default": curves::DEFAULT_POINTS}),
        "runs" => json!({"type": "array", "items": {"type": "string"}, "minItems": 1,
                         "maxItems": compare::MAX_COMPARED}),
        "metrics" => json!({"type": "array", "items": {"type": "string"}}),
        "status" => json!({"type": "string", "enum": statuses}),
        "dataset" | "name" => json!({"type": "string", "pattern": "^[a-z0-9][a-z0-9-]{0,62}$"}),
        "resize" => json!({"type": "string", "pattern": "^[0-9]{1,4}[xX][0-9]{1,4}$"}),
        "colour" => json!({"type": "string", "enum": ["grey", "rgb"]}),
        "test_fraction" => json!({"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1,
                                  "default": 0.2}),
        "filename" => json!({"type": "string"}),
        "force" => json!({"type": "boolean", "default": false}),
        "format" => json!({"type": "string", "enum": ["json", "csv"], "default": "json"}),
        "q" => json!({"type": "string"}),
        // A run id, as `ids::is_id` reads it.
        "teacher" => json!({"type": "string", "pattern": "^[0-9a-f]{16}$"}),
        // As `api::Tag::problem` reads it.
        "tag" => json!({"type": "string", "pattern": "^[a-z0-9][a-z0-9._-]{0,39}$"}),
        // `next_cursor` as `experiments::parse_cursor` reads it: creation time, `-`, an id.
        "cursor" => json!({"type": "string", "pattern": "^[0-9]{1,18}-[0-9a-f]{16}$"}),
        _ => return None,
    })
}

/// Whether `operation` refuses a request without the query parameter `name`.
fn is_required(operation: &str, name: &str) -> bool {
    match (operation, name) {
        // The file's name and its dataset; an architecture only for weights files.
        ("models_create", name) => name == "filename" || name == "dataset",
        (_, name) => name == "runs" || name == "name",
    }
}

fn type_query_parameters(operation: &mut Value) {
    // `get_mut`, not `operation["parameters"]`: indexing a JSON object mutably inserts the key
    // as `null` when it is missing, which is not valid OpenAPI.
    let id = operation["operationId"].as_str().unwrap_or("").to_string();
    let Some(parameters) = operation
        .get_mut("parameters")
        .and_then(Value::as_array_mut)
    else {
        return;
    };
    for parameter in parameters.iter_mut().filter(|p| p["in"] == "query") {
        let name = parameter["name"].as_str().unwrap_or("").to_string();
        let schema = query_schema(&id, &name)
            .unwrap_or_else(|| panic!("query parameter `{name}` of {id} has no documented type"));
        if schema["type"] == "array" {
            // Comma-separated: `?runs=a,b,c`.
            parameter["style"] = json!("form");
            parameter["explode"] = json!(false);
        }
        parameter["required"] = json!(is_required(&id, &name));
        parameter["schema"] = non_empty(schema);
    }
}

/// A query value's schema with the server's rule that no value, nor an item of a
/// comma-separated list, is empty (`ApiQuery`, `curves::comma_list`).
fn non_empty(mut schema: Value) -> Value {
    let is_list = schema["type"] == "array";
    let strings = if is_list {
        schema["minItems"] = json!(1);
        &mut schema["items"]
    } else {
        &mut schema
    };
    if strings["type"] == "string" && strings.get("enum").is_none() {
        strings["minLength"] = json!(1);
        // Items of a comma-separated list hold no comma, and are trimmed: one of blanks alone
        // is empty.
        if is_list {
            strings["pattern"] = json!("^[^,]*\\S[^,]*$");
        }
    }
    schema
}

fn error_response(description: &str) -> Value {
    json!({
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}
    })
}

/// Documents the answers the extractors give before a handler runs: a JSON body can be
/// malformed (400), too large (413), not declared as JSON (415) or have a wrong field (422); a
/// query string can have an unknown or bad parameter (400); an id in the path can name nothing
/// (404).
fn document_rejections(operation: &mut Value) {
    let has_body = operation.get("requestBody").is_some();
    let parameters = operation["parameters"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let has = |place: &str| parameters.iter().any(|p| p["in"] == place);
    let mut add = |status: &str, description: &str| {
        let responses = operation["responses"]
            .as_object_mut()
            .expect("every operation has responses");
        responses
            .entry(status)
            .or_insert_with(|| error_response(description));
    };
    if has_body {
        add("400", "The body is not JSON");
        add("413", "The body is larger than 1 MiB");
        add(
            "415",
            "The body is not declared as JSON (`Content-Type: application/json`)",
        );
        add("422", "A field of the body is wrong; `field` names it");
    }
    if has("query") {
        add("400", "An unknown or bad query parameter; `field` names it");
    }
    if has("path") {
        add("404", "Nothing has this id; `field` names it");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tagged_variant_of_a_strict_struct_is_written_out_with_its_tag() {
        let schemas = json!({
            "MlpSpec": {"type": "object", "required": ["hidden"],
                        "properties": {"hidden": {"type": "array"}}, "additionalProperties": false},
        });
        let branch = json!({"allOf": [
            {"$ref": "#/components/schemas/MlpSpec"},
            {"type": "object", "required": ["kind"],
             "properties": {"kind": {"type": "string", "enum": ["mlp"]}}}]});
        let merged = merged_variant(&branch, &schemas).unwrap();
        assert_eq!(merged["required"], json!(["hidden", "kind"]));
        assert_eq!(merged["properties"]["kind"]["enum"], json!(["mlp"]));
        assert_eq!(merged["additionalProperties"], false);
        assert_eq!(tag_of(&merged), Some(("kind".into(), "mlp".into())));
    }

    #[test]
    fn an_open_lower_bound_becomes_an_exclusive_minimum() {
        let mut schema = Map::new();
        schema.insert("type".into(), json!("number"));
        write_bound(&mut schema, &Bound::above(0.0).up_to(16.0));
        assert_eq!(schema["exclusiveMinimum"], json!(0.0));
        assert_eq!(schema["maximum"], json!(16.0));
        assert!(!schema.contains_key("minimum"));
    }
}
