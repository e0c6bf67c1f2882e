//! JSON → [`api::ExperimentSpec`], with the path of the first bad field in the error.

use api::ExperimentSpec;

use super::SpecError;

/// Parses a spec; unknown fields, methods, architectures and datasets are errors naming the
/// field.
pub fn parse_spec(json: &str) -> Result<ExperimentSpec, SpecError> {
    let deserializer = &mut serde_json::Deserializer::from_str(json);
    serde_path_to_error::deserialize(deserializer).map_err(|err| {
        let path = err.path().to_string();
        let field = if path == "." {
            "spec".to_string()
        } else {
            path
        };
        SpecError::new(field, err.into_inner().to_string())
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
    fn an_unknown_dataset_names_the_dataset_field() {
        let err = parse_spec(r#"{"dataset": {"name": "imagenet"}, "chain": []}"#).unwrap_err();
        assert_eq!(err.field, "dataset.name");
    }

    #[test]
    fn malformed_json_is_an_error_not_a_panic() {
        assert!(parse_spec("{\"chain\": [").is_err());
    }
}
