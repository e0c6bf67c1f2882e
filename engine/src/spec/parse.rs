//! JSON → [`api::ExperimentSpec`], with the path of the first bad field in the error — also
//! inside tagged terms and architectures, whose fields serde reports only at the enum.

use api::{
    AtParams, CnnSpec, DistParams, DkdParams, ExperimentSpec, FitnetParams, KdParams, MgdParams,
    MlpSpec, ResnetSpec,
};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use serde_path_to_error::Segment;

use super::SpecError;

/// Parses a spec; unknown fields, methods, architectures and datasets are errors naming the
/// field.
pub fn parse_spec(json: &str) -> Result<ExperimentSpec, SpecError> {
    let value: Value =
        serde_json::from_str(json).map_err(|e| SpecError::new("spec", e.to_string()))?;
    parse_spec_value(value)
}

/// Parses a spec already read as JSON.
pub fn parse_spec_value(value: Value) -> Result<ExperimentSpec, SpecError> {
    if !value.is_object() {
        return Err(SpecError::new(
            "spec",
            "a spec is a JSON object with at least a `chain` of stages",
        ));
    }
    serde_path_to_error::deserialize(&value).map_err(|err| {
        let path = err.path().to_string();
        let field = if path == "." {
            "spec".to_string()
        } else {
            path
        };
        let node = err
            .path()
            .iter()
            .try_fold(&value, |node, segment| match segment {
                Segment::Seq { index } => node.get(index),
                Segment::Map { key } => node.get(key),
                _ => Some(node),
            });
        node.and_then(Value::as_object)
            .and_then(|object| inside_tagged(object, &field))
            .unwrap_or_else(|| SpecError::new(field, err.into_inner().to_string()))
    })
}

/// The first bad field of `rest` read as a `T`, as (path, message).
fn first_error<T: DeserializeOwned>(rest: Map<String, Value>) -> Option<(String, String)> {
    serde_path_to_error::deserialize::<_, T>(Value::Object(rest))
        .err()
        .map(|e| (e.path().to_string(), e.into_inner().to_string()))
}

/// The error inside a loss term (`method`) or an architecture (`kind`) at `at`, by reading
/// the object as its variant's parameters.
fn inside_tagged(object: &Map<String, Value>, at: &str) -> Option<SpecError> {
    let tag = |name: &str| object.get(name).and_then(Value::as_str);
    let mut rest = object.clone();
    let found = if let Some(method) = tag("method") {
        rest.remove("method");
        match method {
            "kd" => first_error::<KdParams>(rest),
            "dkd" => first_error::<DkdParams>(rest),
            "at" => first_error::<AtParams>(rest),
            "mgd" => first_error::<MgdParams>(rest),
            "fitnet" => first_error::<FitnetParams>(rest),
            "dist" => first_error::<DistParams>(rest),
            _ => None,
        }
    } else if let Some(kind) = tag("kind") {
        rest.remove("kind");
        match kind {
            "mlp" => first_error::<MlpSpec>(rest),
            "cnn" => first_error::<CnnSpec>(rest),
            "resnet" => first_error::<ResnetSpec>(rest),
            _ => None,
        }
    } else {
        None
    };
    found.map(|(path, message)| {
        let field = if path == "." {
            at.to_string()
        } else {
            format!("{at}.{path}")
        };
        SpecError::new(field, message)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unknown_method_names_its_term() {
        let err = parse_spec(
            r#"{"chain": [{"architecture": {"kind": "preset", "name": "cnn-m"}},
                          {"architecture": {"kind": "preset", "name": "mlp-s"},
                           "link": {"terms": [{"method": "kdd"}]}}]}"#,
        )
        .unwrap_err();
        assert!(err.field.starts_with("chain[1].link.terms[0]"), "{err}");
        assert!(err.message.contains("kdd"), "{err}");
    }

    #[test]
    fn a_bad_parameter_of_a_term_is_named_inside_the_term() {
        let err = parse_spec(
            r#"{"chain": [{"architecture": {"kind": "preset", "name": "cnn-m"}},
                          {"architecture": {"kind": "preset", "name": "mlp-s"},
                           "link": {"terms": [{"method": "dkd", "alpha": "big"}]}}]}"#,
        )
        .unwrap_err();
        assert_eq!(err.field, "chain[1].link.terms[0].alpha", "{err}");
    }

    #[test]
    fn an_unknown_field_of_an_architecture_is_named_inside_it() {
        let err = parse_spec(r#"{"chain": [{"architecture": {"kind": "mlp", "hiden": [4]}}]}"#)
            .unwrap_err();
        assert!(err.field.starts_with("chain[0].architecture"), "{err}");
        assert!(err.message.contains("hiden"), "{err}");
    }

    #[test]
    fn an_unknown_dataset_names_the_dataset_field() {
        let err = parse_spec(r#"{"dataset": {"name": "imagenet"}, "chain": []}"#).unwrap_err();
        assert_eq!(err.field, "dataset.name");
    }

    #[test]
    fn malformed_json_is_an_error_not_a_panic() {
        let err = parse_spec("{\"chain\": [").unwrap_err();
        assert!(err.message.contains("EOF"), "{err}");
    }
}
