//! The distillation methods as a form needs them: every parameter with its type, default and
//! valid range. Defaults come from `api::defaults`; the ranges are the ones `validate` enforces
//! (a test below holds the two together).

use api::{defaults, MethodInfo, MethodPlacement, ParamInfo, ParamKind};

use super::Bound;

/// A number parameter with an inclusive or exclusive lower bound.
fn number(
    name: &str,
    description: &str,
    default: Option<f64>,
    min: f64,
    exclusive: bool,
) -> ParamInfo {
    ParamInfo {
        name: name.into(),
        description: description.into(),
        kind: ParamKind::Number,
        default: default.map(|d| d.to_string()),
        minimum: Some(min),
        exclusive_minimum: exclusive,
        maximum: None,
        exclusive_maximum: false,
        choices: Vec::new(),
    }
}

fn integer(name: &str, description: &str, default: Option<usize>, min: f64) -> ParamInfo {
    ParamInfo {
        kind: ParamKind::Integer,
        default: default.map(|d| d.to_string()),
        ..number(name, description, None, min, false)
    }
}

fn choice(name: &str, description: &str, choices: &[&str]) -> ParamInfo {
    ParamInfo {
        name: name.into(),
        description: description.into(),
        kind: ParamKind::Choice,
        default: Some(format!("\"{}\"", choices[0])),
        minimum: None,
        exclusive_minimum: false,
        maximum: None,
        exclusive_maximum: false,
        choices: choices.iter().map(|c| c.to_string()).collect(),
    }
}

#[allow(clippy::too_many_arguments)]
fn method(
    name: &str,
    title: &str,
    description: &str,
    placement: MethodPlacement,
    needs_feature_maps: bool,
    reference: &str,
    params: Vec<ParamInfo>,
) -> MethodInfo {
    MethodInfo {
        name: name.into(),
        title: title.into(),
        description: description.into(),
        placement,
        needs_feature_maps,
        reference: reference.into(),
        params,
    }
}

/// The OpenAPI schema that holds a method's parameters.
pub(super) fn params_schema(method: &str) -> &'static str {
    match method {
        "ce" => "LinkSpec",
        "kd" => "KdParams",
        "dkd" => "DkdParams",
        "ctkd" => "CtkdParams",
        "curriculum" => "CurriculumParams",
        "at" => "AtParams",
        "mgd" => "MgdParams",
        "fitnet" => "FitnetParams",
        other => panic!("no schema for method {other}"),
    }
}

/// A parameter's range as a [`Bound`], for numbers.
pub(super) fn bound_of(param: &ParamInfo) -> Option<Bound> {
    if param.kind == ParamKind::Choice || (param.minimum.is_none() && param.maximum.is_none()) {
        return None;
    }
    Some(Bound {
        min: param.minimum,
        exclusive_min: param.exclusive_minimum,
        max: param.maximum,
        exclusive_max: param.exclusive_maximum,
        integer: param.kind == ParamKind::Integer,
    })
}

const TEMPERATURE: &str = "Softmax temperature T (logit losses are multiplied by T²)";

/// Every method a link can use, with its parameters.
pub fn methods() -> Vec<MethodInfo> {
    use MethodPlacement::*;
    vec![
        method("ce", "Cross-entropy", "The hard-label loss every link has; alone it is the no-KD baseline.",
            Link, false, "—", vec![number("ce_weight",
                "Weight of cross-entropy (default 0.1 with kd, else 1)", None, 0.0, false)]),
        method("kd", "Knowledge distillation", "T²·KL(softmax(zt/T) ‖ softmax(zs/T)), batch mean.",
            Term, false, "Hinton et al. 2015; mdistiller KD.py", vec![
                number("temperature", TEMPERATURE, Some(defaults::temperature()), 0.0, true),
                number("weight", "Weight of the KD term", Some(defaults::kd_weight()), 0.0, false),
            ]),
        method("dkd", "Decoupled KD", "Target-class (TCKD) and non-target-class (NCKD) parts, weighted separately, ramped up over a warm-up.",
            Term, false, "Zhao et al. 2022; mdistiller DKD.py", vec![
                number("alpha", "Weight of TCKD", Some(defaults::dkd_alpha()), 0.0, false),
                number("beta", "Weight of NCKD", Some(defaults::dkd_beta()), 0.0, false),
                number("temperature", TEMPERATURE, Some(defaults::temperature()), 0.0, true),
                integer("warmup_epochs", "Epochs over which the loss ramps up linearly", Some(defaults::dkd_warmup()), 0.0),
            ]),
        method("ctkd", "Curriculum temperature", "Learns T = t_min + t_range·sigmoid(θ) adversarially through gradient reversal, λ on a cosine schedule; an option of a kd or dkd term.",
            TermOption, false, "Li et al. 2023; zhengli97/CTKD", vec![
                number("t_min", "Lowest temperature", Some(defaults::ctkd_t_min()), 0.0, true),
                number("t_range", "Span of temperatures above t_min", Some(defaults::ctkd_t_range()), 0.0, true),
                number("lambda_min", "Gradient-reversal strength λ at the start", Some(0.0), 0.0, false),
                number("lambda_max", "λ at the end (at least lambda_min)", Some(1.0), 0.0, false),
                integer("schedule_epochs", "Epochs over which λ grows", Some(defaults::ctkd_epochs()), 0.0),
                ParamInfo { minimum: None, ..number("theta_init", "Initial θ", Some(1.0), 0.0, false) },
            ]),
        method("curriculum", "Sample curriculum", "Trains on the easiest fraction of the data first (ranked by the teacher) and grows to all of it.",
            Curriculum, false, "Bengio et al. 2009 (pacing by teacher difficulty)", vec![
                ParamInfo { maximum: Some(1.0), ..number("start", "Fraction of the data in the first epoch", Some(defaults::curriculum_start()), 0.0, true) },
                choice("pacing", "How the fraction grows", &["linear", "root"]),
                integer("full_at_epoch", "Epoch by which all data is used (half the budget when absent)", None, 1.0),
                choice("difficulty", "How the teacher ranks difficulty", &["teacher_ce", "confidence"]),
            ]),
        method("at", "Attention transfer", "Matches normalised spatial attention maps mean_c(|f|^p) at every stage.",
            Term, true, "Zagoruyko & Komodakis 2017; mdistiller AT.py", vec![
                number("p", "Exponent of the attention map", Some(defaults::at_p()), 0.0, true),
                number("weight", "Weight of the term", Some(defaults::at_weight()), 0.0, false),
            ]),
        method("mgd", "Masked generative distillation", "Masks the student's last feature map and trains a generator to produce the teacher's from it.",
            Term, true, "Yang et al. 2022; yzd-v/MGD", vec![
                number("alpha", "Weight α of the term", Some(defaults::mgd_alpha()), 0.0, false),
                ParamInfo { maximum: Some(1.0), exclusive_maximum: true, ..number("lambda", "Masking ratio λ", Some(defaults::mgd_lambda()), 0.0, false) },
                choice("mask", "Mask whole channels or spatial positions", &["channel", "spatial"]),
            ]),
        method("fitnet", "FitNets hints", "A conv regressor maps a student stage onto the teacher's; MSE between them.",
            Term, true, "Romero et al. 2015; mdistiller FitNet.py", vec![
                number("weight", "Weight of the hint term", Some(defaults::fitnet_weight()), 0.0, false),
                integer("hint_stage", "Student stage used as the hint, 0-based (the middle one when absent)", None, 0.0),
            ]),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::{parse_spec, validate};

    /// A teacher → student spec whose link is `link` (JSON).
    fn spec_with_link(link: &str) -> String {
        format!(
            r#"{{"dataset": {{"name": "synthetic"}},
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
        }
    }

    fn check(method: &MethodInfo, param: &ParamInfo, value: f64) -> Result<(), String> {
        let value = match param.kind {
            ParamKind::Integer => format!("{}", value as i64),
            _ => format!("{value}"),
        };
        let json = spec_with_link(&link_for(method, &param.name, &value));
        let spec = parse_spec(&json).map_err(|e| e.to_string())?;
        validate(spec).map(|_| ()).map_err(|e| e.to_string())
    }

    #[test]
    fn every_advertised_bound_is_the_one_validation_enforces() {
        for method in methods() {
            for param in method.params.iter().filter(|p| p.kind != ParamKind::Choice) {
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
                        min + 0.5
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
                    let outside = if param.exclusive_maximum {
                        max
                    } else {
                        max + 0.5
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
            let spec = validate(parse_spec(&json).unwrap()).unwrap().spec;
            let term = serde_json::to_value(&spec.chain[1].link.terms[0]).unwrap();
            for param in method.params.iter().filter(|p| p.default.is_some()) {
                let default: serde_json::Value =
                    serde_json::from_str(param.default.as_deref().unwrap()).unwrap();
                assert_eq!(
                    term[&param.name].as_f64().or(None),
                    default.as_f64(),
                    "{}.{}",
                    method.name,
                    param.name
                );
                if default.is_string() {
                    assert_eq!(term[&param.name], default, "{}.{}", method.name, param.name);
                }
            }
        }
    }
}
