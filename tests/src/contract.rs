//! The served OpenAPI document as a contract: every response an end-to-end test receives from
//! a documented route must have a status the document lists for that operation, and a JSON body
//! the listed schema accepts (checked with a JSON-Schema 2020-12 validator). Server-sent events
//! are checked against the schema of the stream's events.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use serde_json::{json, Value};

/// The document of one server, with compiled validators.
pub struct Contract {
    document: Value,
    operations: Vec<Operation>,
    validators: Mutex<HashMap<String, jsonschema::Validator>>,
    checked: AtomicUsize,
}

struct Operation {
    template: String,
    segments: Vec<Option<String>>,
}

/// What a response was checked against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Checked {
    /// Its status and body against a documented operation.
    Operation,
    /// A path outside the document (the dashboard, an unknown `/api` route), or a method the
    /// document does not list for a documented path: only checked to be a JSON error.
    Undocumented,
}

fn segments(path: &str) -> Vec<Option<String>> {
    path.trim_matches('/')
        .split('/')
        .map(|s| (!(s.starts_with('{') && s.ends_with('}'))).then(|| s.to_string()))
        .collect()
}

impl Contract {
    /// The contract of `document` (the server's `/api/openapi.json`).
    pub fn new(document: Value) -> Contract {
        let mut operations = Vec::new();
        if let Some(paths) = document["paths"].as_object() {
            for (template, item) in paths {
                for _ in item.as_object().into_iter().flat_map(|m| m.keys()) {
                    operations.push(Operation {
                        template: template.clone(),
                        segments: segments(template),
                    });
                }
            }
        }
        Contract {
            document,
            operations,
            validators: Mutex::default(),
            checked: AtomicUsize::new(0),
        }
    }

    /// Responses checked so far.
    pub fn checked(&self) -> usize {
        self.checked.load(Ordering::SeqCst)
    }

    fn matches(template: &[Option<String>], path: &str) -> bool {
        let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
        parts.len() == template.len()
            && template
                .iter()
                .zip(&parts)
                .all(|(t, p)| t.as_deref().is_none_or(|t| t == *p))
    }

    /// The documented template of `path` (query stripped), if any, preferring literal segments
    /// over parameters (`/api/shares` over `/api/shares/{token}` is a different length anyway).
    fn template_of(&self, path: &str) -> Option<&str> {
        let path = path.split('?').next().unwrap_or(path);
        self.operations
            .iter()
            .filter(|o| Self::matches(&o.segments, path))
            .max_by_key(|o| o.segments.iter().filter(|s| s.is_some()).count())
            .map(|o| o.template.as_str())
    }

    /// A validator for `schema`, whose `$ref`s point into the document's components.
    fn validate(&self, key: &str, schema: &Value, instance: &Value) -> Result<(), String> {
        let mut validators = self.validators.lock().unwrap();
        if !validators.contains_key(key) {
            let mut root = schema.clone();
            if let Value::Object(map) = &mut root {
                map.insert("components".into(), self.document["components"].clone());
            } else {
                root = json!({ "allOf": [schema], "components": self.document["components"] });
            }
            let validator = jsonschema::options()
                .with_draft(jsonschema::Draft::Draft202012)
                .build(&root)
                .unwrap_or_else(|e| panic!("the schema of {key} does not compile: {e}"));
            validators.insert(key.to_string(), validator);
        }
        let errors: Vec<String> = validators[key]
            .iter_errors(instance)
            .take(5)
            .map(|e| format!("at {}: {e}", e.instance_path()))
            .collect();
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors.join("; "))
        }
    }

    /// Checks one response; panics, naming the route and what is wrong, when it breaks the
    /// contract.
    pub fn check(
        &self,
        method: &str,
        path: &str,
        status: u16,
        content_type: &str,
        body: &[u8],
    ) -> Checked {
        let undocumented = || {
            let json: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
            if path.starts_with("/api/") && status >= 400 {
                let error = &self.document["components"]["schemas"]["ErrorBody"];
                if let Err(e) = self.validate("ErrorBody", error, &json) {
                    panic!("{method} {path} → {status}: not an error body ({e}): {json}");
                }
            }
            Checked::Undocumented
        };
        let Some(template) = self.template_of(path) else {
            return undocumented();
        };
        let item = &self.document["paths"][template];
        let Some(operation) = item.get(method.to_lowercase()) else {
            assert_eq!(
                status, 405,
                "{method} {path}: the document has no {method} for {template}, so the server must answer 405"
            );
            return undocumented();
        };
        let response = operation["responses"]
            .get(status.to_string())
            .unwrap_or_else(|| {
                let listed: Vec<&String> = operation["responses"]
                    .as_object()
                    .map(|m| m.keys().collect())
                    .unwrap_or_default();
                panic!(
                    "{method} {template} answered {status}, which the document does not list ({listed:?}): {}",
                    String::from_utf8_lossy(body)
                )
            });
        self.checked.fetch_add(1, Ordering::SeqCst);
        let essence = content_type.split(';').next().unwrap_or("").trim();
        let Some(content) = response["content"].as_object() else {
            assert!(
                body.is_empty(),
                "{method} {template} → {status} documents no body, and one came: {}",
                String::from_utf8_lossy(body)
            );
            return Checked::Operation;
        };
        let media = content.get(essence).unwrap_or_else(|| {
            panic!(
                "{method} {template} → {status} came as `{essence}`, documented as {:?}",
                content.keys().collect::<Vec<_>>()
            )
        });
        // A media type without a schema (the document itself) has nothing more to check.
        if essence == "application/json" && media.get("schema").is_some() {
            let json: Value = serde_json::from_slice(body).unwrap_or_else(|e| {
                panic!("{method} {path} → {status}: the body is not JSON ({e})")
            });
            let key = format!("{method} {template} {status}");
            if let Err(e) = self.validate(&key, &media["schema"], &json) {
                panic!("{method} {path} → {status} breaks its schema: {e}\nbody: {json}");
            }
        }
        Checked::Operation
    }

    /// Checks one event of an experiment's event stream against the stream's schema: the
    /// event record's, and its data's (`contentSchema`, the JSON the data holds).
    pub fn check_event(&self, name: &str, data: &Value) {
        let template = "/api/experiments/{id}/events";
        let record = &self.document["paths"][template]["get"]["responses"]["200"]["content"]
            ["text/event-stream"]["schema"];
        let schema = &record["properties"]["data"]["contentSchema"];
        assert!(
            !schema.is_null(),
            "the document gives no schema for the events of {template}"
        );
        let sse = json!({ "event": name, "data": data.to_string() });
        if let Err(e) = self.validate("event record", record, &sse) {
            panic!("the `{name}` event's record breaks its schema: {e}");
        }
        if let Err(e) = self.validate("event", schema, data) {
            panic!("the `{name}` event breaks its schema: {e}\ndata: {data}");
        }
        assert_eq!(
            data["type"], name,
            "an event's SSE name is its `type` field"
        );
        self.checked.fetch_add(1, Ordering::SeqCst);
    }
}
