//! The distillation methods as a form needs them: every parameter with its type, default and
//! valid range, read from each method's catalog entry in [`crate::distill`] — the same entries
//! validation checks against (a test below holds the two together through `validate`).

use api::MethodInfo;

/// Every method a link can use, with its parameters.
pub fn methods() -> Vec<MethodInfo> {
    crate::distill::catalog().iter().map(|m| m.info()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::DataDirs;
    use crate::spec::{parse_spec, validate};
    use api::{MethodPlacement, ParamInfo, ParamKind};

    /// A teacher → student spec whose link is `link` (JSON), trained with SGD at momentum 0.5
    /// (so that DOT's Δ has room on both sides).
    fn spec_with_link(link: &str) -> String {
        format!(
            r#"{{"dataset": {{"name": "synthetic"}},
                "budget": {{"optimizer": {{"kind": "sgd", "momentum": 0.5}}}},
                "chain": [{{"architecture": {{"kind": "preset", "name": "cnn-s"}}}},
                          {{"architecture": {{"kind": "preset", "name": "cnn-xs"}}, "link": {link}}}]}}"#
        )
    }

    fn link_for(method: &MethodInfo, param: &str, value: &str) -> String {
        match method.placement {
            MethodPlacement::Link => format!(r#"{{"{param}": {value}}}"#),
            MethodPlacement::Term => {
                format!(
                    r#"{{"terms": [{{"method": "{}", "{param}": {value}}}]}}"#,
                    method.name
                )
            }
            MethodPlacement::TermOption => {
                format!(r#"{{"terms": [{{"method": "kd", "ctkd": {{"{param}": {value}}}}}]}}"#)
            }
            MethodPlacement::Curriculum => {
                format!(
                    r#"{{"terms": [{{"method": "kd"}}], "curriculum": {{"{param}": {value}}}}}"#
                )
            }
            MethodPlacement::Trainer => {
                format!(r#"{{"terms": [{{"method": "kd"}}], "dot": {{"{param}": {value}}}}}"#)
            }
        }
    }

    fn check(method: &MethodInfo, param: &ParamInfo, value: f64) -> Result<(), String> {
        let value = match param.kind {
            ParamKind::Integer => format!("{}", value as i64),
            _ => format!("{value}"),
        };
        let json = spec_with_link(&link_for(method, &param.name, &value));
        let spec = parse_spec(&json).map_err(|e| e.to_string())?;
        validate(spec, None, &DataDirs::default())
            .map(|_| ())
            .map_err(|e| e.to_string())
    }

    #[test]
    fn every_advertised_bound_is_the_one_validation_enforces() {
        for method in methods() {
            for param in method
                .params
                .iter()
                .filter(|p| matches!(p.kind, ParamKind::Number | ParamKind::Integer))
            {
                let at = format!("{}.{}", method.name, param.name);
                if let Some(min) = param.minimum {
                    let outside = if param.exclusive_minimum {
                        min
                    } else {
                        min - 1.0
                    };
                    assert!(
                        check(&method, param, outside).is_err(),
                        "{at} = {outside} accepted"
                    );
                    let inside = if param.exclusive_minimum {
                        param.maximum.map_or(min + 0.5, |max| (min + max) / 2.0)
                    } else {
                        min
                    };
                    assert_eq!(
                        check(&method, param, inside),
                        Ok(()),
                        "{at} = {inside} rejected"
                    );
                }
                if let Some(max) = param.maximum {
                    let outside = match (param.exclusive_maximum, param.kind) {
                        (true, _) => max,
                        // `check` writes a whole-number parameter truncated.
                        (false, ParamKind::Integer) => max + 1.0,
                        (false, _) => max + 0.5,
                    };
                    assert!(
                        check(&method, param, outside).is_err(),
                        "{at} = {outside} accepted"
                    );
                }
            }
        }
    }

    #[test]
    fn every_advertised_default_is_the_one_a_spec_gets() {
        for method in methods()
            .iter()
            .filter(|m| m.placement == MethodPlacement::Term)
        {
            let json = spec_with_link(&format!(
                r#"{{"terms": [{{"method": "{}"}}]}}"#,
                method.name
            ));
            let spec = validate(parse_spec(&json).unwrap(), None, &DataDirs::default())
                .unwrap()
                .spec;
            let term = serde_json::to_value(&spec.chain[1].link.terms[0]).unwrap();
            for param in method.params.iter().filter(|p| p.default.is_some()) {
                let default: serde_json::Value =
                    serde_json::from_str(param.default.as_deref().unwrap()).unwrap();
                let actual = &term[&param.name];
                // Numbers as numbers (a spec's `4.0` is the advertised `4`), the rest as they are.
                match (actual.as_f64(), default.as_f64()) {
                    (Some(a), Some(d)) => assert_eq!(a, d, "{}.{}", method.name, param.name),
                    _ => assert_eq!(actual, &default, "{}.{}", method.name, param.name),
                }
            }
        }
    }
}
