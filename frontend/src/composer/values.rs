//! The typed text of form fields and the JSON the server reads: numbers where the text is a
//! number, the text itself where not (so the server names the bad field), lists from commas,
//! and the catalog's defaults and ranges.

use api::{ParamInfo, ParamKind};
use serde_json::{Map, Value};

use super::ParamValue;

/// The catalog's defaults as typed values (empty where a parameter has no default).
pub fn default_values(params: &[ParamInfo]) -> Vec<ParamValue> {
    params
        .iter()
        .map(|p| ParamValue {
            name: p.name.clone(),
            text: p
                .default
                .as_deref()
                .map(|d| d.trim_matches('"').to_string())
                .unwrap_or_default(),
        })
        .collect()
}

/// Checks a typed value against its parameter's kind and range, as the server will; `None`
/// when it is acceptable (empty means the default).
pub fn check_param(info: &ParamInfo, text: &str) -> Option<String> {
    let text = text.trim();
    if text.is_empty() || matches!(info.kind, ParamKind::Choice | ParamKind::Boolean) {
        return None;
    }
    let Ok(x) = text.parse::<f64>() else {
        return Some("not a number".into());
    };
    if info.kind == ParamKind::Integer && (x.fract() != 0.0 || x < 0.0) {
        return Some("a whole number is needed".into());
    }
    if let Some(min) = info.minimum {
        if x < min || (info.exclusive_minimum && x == min) {
            let op = if info.exclusive_minimum { ">" } else { "≥" };
            return Some(format!("must be {op} {min}"));
        }
    }
    if let Some(max) = info.maximum {
        if x > max || (info.exclusive_maximum && x == max) {
            let op = if info.exclusive_maximum { "<" } else { "≤" };
            return Some(format!("must be {op} {max}"));
        }
    }
    None
}

pub(super) fn params_object(values: &[ParamValue]) -> Map<String, Value> {
    values
        .iter()
        .filter(|p| !p.text.trim().is_empty())
        .map(|p| (p.name.clone(), param_value(&p.text)))
        .collect()
}

/// A parameter's value: `true`/`false` for a switch, else as [`number_value`].
fn param_value(text: &str) -> Value {
    match text.trim() {
        "true" => Value::Bool(true),
        "false" => Value::Bool(false),
        other => number_value(other),
    }
}

pub(super) fn object_without(object: &Value, skip: &[&str]) -> Map<String, Value> {
    let mut map = object.as_object().cloned().unwrap_or_default();
    map.retain(|k, _| !skip.contains(&k.as_str()));
    map
}

pub(super) fn object_values(object: &Value, skip: &[&str]) -> Vec<ParamValue> {
    object
        .as_object()
        .into_iter()
        .flatten()
        .filter(|(k, _)| !skip.contains(&k.as_str()))
        .map(|(k, v)| ParamValue {
            name: k.clone(),
            text: value_text(v),
        })
        .collect()
}

/// A number when `text` is one, else the trimmed text as a string.
pub(super) fn number_value(text: &str) -> Value {
    let text = text.trim();
    if let Ok(n) = text.parse::<u64>() {
        return Value::from(n);
    }
    match text
        .parse::<f64>()
        .ok()
        .and_then(serde_json::Number::from_f64)
    {
        Some(n) => Value::Number(n),
        None => Value::String(text.to_string()),
    }
}

/// Comma-separated numbers as a JSON array.
pub(super) fn list_value(text: &str) -> Value {
    Value::Array(
        text.split(',')
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(number_value)
            .collect(),
    )
}

/// The text a user would type for a JSON value (lists comma separated).
pub(super) fn value_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Array(items) => items.iter().map(value_text).collect::<Vec<_>>().join(", "),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_parameters_are_checked_against_the_catalog_ranges() {
        let info = |kind, min, exclusive, max| ParamInfo {
            name: "x".into(),
            description: String::new(),
            kind,
            default: None,
            minimum: min,
            exclusive_minimum: exclusive,
            maximum: max,
            exclusive_maximum: false,
            choices: Vec::new(),
        };
        let temperature = info(ParamKind::Number, Some(0.0), true, None);
        assert_eq!(check_param(&temperature, "4"), None);
        assert_eq!(check_param(&temperature, ""), None);
        assert_eq!(
            check_param(&temperature, "0").as_deref(),
            Some("must be > 0")
        );
        assert_eq!(
            check_param(&temperature, "warm").as_deref(),
            Some("not a number")
        );
        let fraction = info(ParamKind::Number, Some(0.0), true, Some(1.0));
        assert_eq!(
            check_param(&fraction, "1.5").as_deref(),
            Some("must be ≤ 1")
        );
        let epochs = info(ParamKind::Integer, Some(0.0), false, None);
        assert_eq!(
            check_param(&epochs, "2.5").as_deref(),
            Some("a whole number is needed")
        );
    }
}
