//! Requests generated from the served OpenAPI document are accepted: property-based specs whose
//! every field comes from the schema (types, bounds, enums, array lengths), adjusted only for the
//! rules across fields that the document states in words.

use distill_tests::Server;
use proptest::prelude::*;
use proptest::strategy::{BoxedStrategy, Union};
use proptest::test_runner::{Config, TestRunner};
use serde_json::{json, Map, Value};

/// The schema `$ref` points to, or the schema itself.
fn resolve<'a>(schema: &'a Value, doc: &'a Value) -> &'a Value {
    match schema["$ref"].as_str() {
        Some(r) => {
            let name = r.trim_start_matches("#/components/schemas/");
            resolve(&doc["components"]["schemas"][name], doc)
        }
        None => schema,
    }
}

/// A number inside the schema's bounds; open ends reach a few orders of magnitude.
fn number(schema: &Value) -> BoxedStrategy<Value> {
    let low = schema["minimum"]
        .as_f64()
        .or(schema["exclusiveMinimum"].as_f64());
    let high = schema["maximum"]
        .as_f64()
        .or(schema["exclusiveMaximum"].as_f64());
    let open_low = schema.get("exclusiveMinimum").is_some();
    let open_high = schema.get("exclusiveMaximum").is_some();
    let integer = schema["type"] == "integer"
        || schema["type"]
            .as_array()
            .is_some_and(|t| t.iter().any(|k| k == "integer"));
    if integer {
        let low = low.map_or(0, |l| l as i64 + i64::from(open_low));
        let high = high.map_or(low + 1000, |h| h as i64 - i64::from(open_high));
        return (low..=high).prop_map(|n| json!(n)).boxed();
    }
    match (low, high) {
        (Some(low), Some(high)) => (0.0..1.0f64)
            .prop_filter("inside open ends", move |u| {
                (!open_low || *u > 0.0) && (!open_high || *u < 1.0)
            })
            .prop_map(move |u| json!(low + (high - low) * u))
            .boxed(),
        (Some(low), None) => (-3.0..3.0f64)
            .prop_map(move |e| json!(low + 10f64.powf(e)))
            .boxed(),
        (None, Some(high)) => (-3.0..3.0f64)
            .prop_map(move |e| json!(high - 10f64.powf(e)))
            .boxed(),
        (None, None) => (-1e3..1e3f64).prop_map(|x| json!(x)).boxed(),
    }
}

/// Values the schema accepts.
fn strategy(schema: &Value, doc: &Value) -> BoxedStrategy<Value> {
    let schema = resolve(schema, doc);
    if let Some(values) = schema["enum"].as_array() {
        return proptest::sample::select(values.clone()).boxed();
    }
    if let Some(branches) = schema["oneOf"].as_array() {
        let strategies: Vec<BoxedStrategy<Value>> =
            branches.iter().map(|b| strategy(b, doc)).collect();
        return Union::new(strategies).boxed();
    }
    let kind = match &schema["type"] {
        Value::Array(kinds) => kinds
            .iter()
            .find(|k| *k != "null")
            .cloned()
            .unwrap_or(Value::Null),
        other => other.clone(),
    };
    match kind.as_str() {
        Some("null") => Just(Value::Null).boxed(),
        Some("boolean") => any::<bool>().prop_map(Value::Bool).boxed(),
        Some("integer") | Some("number") => number(schema),
        Some("string") => "[a-z]{1,8}".prop_map(Value::String).boxed(),
        Some("array") => {
            let min = schema["minItems"].as_u64().unwrap_or(0) as usize;
            let max = (schema["maxItems"].as_u64().unwrap_or(4) as usize).min(min + 3);
            let unique = schema["uniqueItems"] == true;
            proptest::collection::vec(strategy(&schema["items"], doc), min..=max)
                .prop_map(move |mut items| {
                    if unique {
                        let mut seen = Vec::new();
                        items.retain(|i| {
                            !seen.contains(i) && {
                                seen.push(i.clone());
                                true
                            }
                        });
                    }
                    Value::Array(items)
                })
                .boxed()
        }
        _ => object(schema, doc),
    }
}

/// An object with every required property and any of the optional ones.
fn object(schema: &Value, doc: &Value) -> BoxedStrategy<Value> {
    let required: Vec<String> = schema["required"]
        .as_array()
        .map(|r| {
            r.iter()
                .filter_map(|v| v.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default();
    let properties: Vec<BoxedStrategy<Option<(String, Value)>>> = schema["properties"]
        .as_object()
        .map(|p| p.iter().collect::<Vec<_>>())
        .unwrap_or_default()
        .into_iter()
        .map(|(name, property)| {
            let name = name.clone();
            let value = strategy(property, doc);
            if required.contains(&name) {
                value.prop_map(move |v| Some((name.clone(), v))).boxed()
            } else {
                proptest::option::of(value.prop_map(move |v| (name.clone(), v))).boxed()
            }
        })
        .collect();
    properties
        .prop_map(|fields| Value::Object(fields.into_iter().flatten().collect::<Map<_, _>>()))
        .boxed()
}

/// The rules across fields the document states in words, applied to a generated spec: data this
/// server has, models it can train (a convolutional preset, so feature methods apply), a first
/// stage without distillation, each method once per link, one learned temperature per link,
/// `lambda_max ≥ lambda_min`, DOT only beside a term and with SGD, no hint stage (its range depends on the student), no `from_run`
/// (it names a run this lab has), and no validation count or budget `samples` (they depend on
/// the training samples there are).
fn within_cross_field_rules(mut spec: Value, presets: &[String]) -> Value {
    spec["dataset"]["name"] = json!("synthetic");
    // At most half of the training samples can be held out (so at least two are used), and a
    // budget's samples are at most those left.
    if let Some(dataset) = spec.get_mut("dataset").and_then(Value::as_object_mut) {
        dataset.remove("validation");
        if let Some(used) = dataset.get_mut("train_subset") {
            *used = json!(used.as_u64().unwrap_or(2).max(2));
        }
    }
    if let Some(budget) = spec.get_mut("budget").and_then(Value::as_object_mut) {
        budget.remove("samples");
    }
    let stages = spec["chain"].as_array_mut().expect("a chain");
    for (i, stage) in stages.iter_mut().enumerate() {
        stage["architecture"] = json!({"kind": "preset", "name": presets[i % presets.len()]});
        stage.as_object_mut().unwrap().remove("from_run");
        if let Some(budget) = stage.get_mut("budget").and_then(Value::as_object_mut) {
            budget.remove("samples");
        }
        let Some(link) = stage.get_mut("link") else {
            continue;
        };
        if i == 0 {
            stage.as_object_mut().unwrap().remove("link");
            continue;
        }
        let mut seen = Vec::new();
        let mut learned = false;
        if let Some(terms) = link.get_mut("terms").and_then(Value::as_array_mut) {
            terms.retain(|t| {
                let method = t["method"].clone();
                !seen.contains(&method) && {
                    seen.push(method);
                    true
                }
            });
            for term in terms.iter_mut() {
                let term = term.as_object_mut().unwrap();
                term.remove("hint_stage");
                match term.get_mut("ctkd") {
                    Some(Value::Object(ctkd)) if !learned => {
                        learned = true;
                        let min = ctkd
                            .get("lambda_min")
                            .and_then(Value::as_f64)
                            .unwrap_or(0.0);
                        let max = ctkd
                            .get("lambda_max")
                            .and_then(Value::as_f64)
                            .unwrap_or(1.0);
                        ctkd.insert("lambda_max".into(), json!(min + max));
                    }
                    Some(_) => {
                        term.remove("ctkd");
                    }
                    None => {}
                }
            }
        }
        // DOT needs a distillation term, and SGD with room for Δ (< 0.5) around its momentum.
        let has_terms = link
            .get("terms")
            .and_then(Value::as_array)
            .is_some_and(|t| !t.is_empty());
        if !has_terms {
            link.as_object_mut().unwrap().remove("dot");
        }
        if stage["link"].get("dot").is_some() {
            stage["budget"]["optimizer"] = json!({"kind": "sgd", "momentum": 0.5});
        }
    }
    spec
}

#[test]
fn specs_generated_from_the_openapi_schema_are_accepted() {
    // Arrange: a server that only queues (nothing trains), its document, its conv presets.
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_in(dir.path(), &["--workers", "0"]);
    let doc = server.get("/api/openapi.json").json;
    let presets: Vec<String> = server
        .get("/api/architectures?dataset=synthetic")
        .json
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["architecture"]["kind"] == "cnn" && p["params"].as_u64() < Some(600_000))
        .map(|p| p["name"].as_str().unwrap().to_string())
        .collect();
    assert!(presets.len() >= 2, "{presets:?}");
    let spec = strategy(
        &json!({"$ref": "#/components/schemas/ExperimentSpec"}),
        &doc,
    );
    let mut runner = TestRunner::new(Config {
        cases: 48,
        failure_persistence: None,
        ..Config::default()
    });

    // Act + Assert: each generated spec is accepted, then deleted.
    let accepted = std::cell::Cell::new(0);
    runner
        .run(&spec, |spec| {
            let spec = within_cross_field_rules(spec, &presets);
            let response = server.post("/api/experiments", &spec);
            prop_assert_eq!(
                response.status,
                201,
                "the document allows this spec, the server refused it: {}\nspec: {}",
                response.text,
                spec
            );
            let id = response.json["summary"]["id"].as_str().unwrap().to_string();
            prop_assert_eq!(server.delete(&format!("/api/experiments/{id}")).status, 204);
            accepted.set(accepted.get() + 1);
            Ok(())
        })
        .unwrap();
    assert!(accepted.get() >= 48, "{} specs accepted", accepted.get());
}
