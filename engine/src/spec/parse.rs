//! JSON → [`api::ExperimentSpec`], with the path of the first bad field in the error — also
//! inside tagged terms and architectures, whose fields serde reports only at the enum.

use api::{CnnSpec, ExperimentSpec, MethodPlacement, MlpSpec, ResnetSpec};
use serde_json::{Map, Value};
use serde_path_to_error::Segment;

use super::SpecError;
use crate::checks::{first_field_error, FieldError};
use crate::distill::method_named;

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

/// The error inside a loss term (`method`, its type from the method's catalog entry) or an
/// architecture (`kind`) at `at`, by reading the object as its variant's parameters. `None`
/// for an unknown tag: serde's own message (which lists the known ones) stands.
fn inside_tagged(object: &Map<String, Value>, at: &str) -> Option<SpecError> {
    let tag = |name: &str| object.get(name).and_then(Value::as_str);
    let mut rest = object.clone();
    let found = if let Some(method) = tag("method") {
        rest.remove("method");
        let entry = method_named(method).filter(|m| m.placement == MethodPlacement::Term)?;
        entry.wire.first_error(rest)
    } else if let Some(kind) = tag("kind") {
        rest.remove("kind");
        match kind {
            "mlp" => first_field_error::<MlpSpec>(rest),
            "cnn" => first_field_error::<CnnSpec>(rest),
            "resnet" => first_field_error::<ResnetSpec>(rest),
            _ => None,
        }
    } else {
        None
    };
    found.map(|FieldError { path, message }| {
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
    fn a_mistyped_parameter_of_every_term_method_is_named_inside_the_term() {
        let terms = crate::distill::catalog()
            .into_iter()
            .filter(|m| m.placement == MethodPlacement::Term);
        for method in terms {
            let param = method.params[0].name;
            let err = parse_spec(&format!(
                r#"{{"chain": [{{"architecture": {{"kind": "preset", "name": "cnn-m"}}}},
                              {{"architecture": {{"kind": "preset", "name": "cnn-s"}},
                               "link": {{"terms": [{{"method": "{}", "{param}": "big"}}]}}}}]}}"#,
                method.name
            ))
            .unwrap_err();
            assert_eq!(
                err.field,
                format!("chain[1].link.terms[0].{param}"),
                "{err}"
            );
        }
    }

    #[test]
    fn an_unknown_field_of_an_architecture_is_named_inside_it() {
        let err = parse_spec(r#"{"chain": [{"architecture": {"kind": "mlp", "hiden": [4]}}]}"#)
            .unwrap_err();
        assert!(err.field.starts_with("chain[0].architecture"), "{err}");
        assert!(err.message.contains("hiden"), "{err}");
    }

    #[test]
    fn a_malformed_dataset_name_names_the_dataset_field() {
        let err = parse_spec(r#"{"dataset": {"name": "Image Net"}, "chain": []}"#).unwrap_err();
        assert_eq!(err.field, "dataset.name");
        assert!(err.message.contains("lowercase"), "{err}");
        // A well-formed name may be a registered dataset: validation looks it up.
        assert!(parse_spec(r#"{"dataset": {"name": "imagenet"}, "chain": []}"#).is_ok());
    }

    #[test]
    fn malformed_json_is_an_error_not_a_panic() {
        let err = parse_spec("{\"chain\": [").unwrap_err();
        assert!(err.message.contains("EOF"), "{err}");
    }
}
