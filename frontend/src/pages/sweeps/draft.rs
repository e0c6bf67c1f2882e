//! A sweep drafted from an experiment ("Sweep this"): its last stage's numeric loss parameters
//! and CE weight as dimensions, each range around the current value and inside the bounds the
//! method catalogue gives (the server checks the ends again), 16 random trials with successive
//! halving, and the experiment's seeds (or five) for the confirmation.

use api::{ExperimentSpec, MethodInfo, ParamInfo, ParamKind};
use serde_json::{json, Map, Value};

/// The sweep JSON a user starts from to tune `spec`'s last stage.
pub fn draft_sweep(spec: &ExperimentSpec, methods: &[MethodInfo]) -> Value {
    let last = spec.chain.len().saturating_sub(1);
    let stage = &spec.chain[last];
    let mut space = Map::new();
    let link = serde_json::to_value(&stage.link).unwrap_or(Value::Null);
    let terms = link["terms"].as_array().cloned().unwrap_or_default();
    for (i, term) in terms.iter().enumerate() {
        let Some(method) = methods
            .iter()
            .find(|m| Some(m.name.as_str()) == term["method"].as_str())
        else {
            continue;
        };
        for param in &method.params {
            let current = term[&param.name].as_f64();
            if let Some(range) = current.and_then(|v| range_around(param, v)) {
                space.insert(
                    format!("chain[{last}].link.terms[{i}].{}", param.name),
                    range,
                );
            }
        }
    }
    if link["ce_weight"].is_number() {
        space.insert(
            format!("chain[{last}].link.ce_weight"),
            json!({ "uniform": [0.05, 1.0] }),
        );
    }
    let epochs = stage.budget.as_ref().unwrap_or(&spec.budget).epochs;
    let mut base = spec.clone();
    base.name = None;
    base.seeds = vec![spec.seeds.first().copied().unwrap_or(0)];
    base.baseline = false;
    let confirm = match spec.seeds.len() >= 2 {
        true => spec.seeds.clone(),
        false => vec![0, 1, 2, 3, 4],
    };
    let mut sweep = json!({
        "name": format!("{} · sweep", spec.name.as_deref().unwrap_or("experiment")),
        "base": base,
        "space": space,
        "strategy": { "kind": "random", "trials": 16, "seed": 0 },
        "confirm": { "seeds": confirm },
    });
    let min_epochs = (epochs / 5).max(1);
    if min_epochs < epochs {
        sweep["early_stopping"] =
            json!({ "kind": "successive_halving", "min_epochs": min_epochs, "eta": 3 });
    }
    sweep
}

/// A range for a number parameter whose current value is `value`: a quarter to four times it
/// (log-uniform when that spans a decade), kept inside the parameter's bounds; the bounds
/// themselves for a parameter at 0 that has both. None for whole numbers, choices and switches.
fn range_around(param: &ParamInfo, value: f64) -> Option<Value> {
    if param.kind != ParamKind::Number {
        return None;
    }
    if value <= 0.0 {
        return match (param.minimum, param.maximum) {
            (Some(lo), Some(hi)) if lo < hi => Some(json!({ "uniform": [lo, hi] })),
            _ => None,
        };
    }
    let mut lo = value / 4.0;
    let mut hi = value * 4.0;
    if let Some(max) = param.maximum {
        hi = hi.min(if param.exclusive_maximum {
            max * 0.99
        } else {
            max
        });
    }
    if let Some(min) = param.minimum {
        lo = lo.max(if param.exclusive_minimum {
            min + (hi - min) * 0.01
        } else {
            min
        });
    }
    if lo >= hi {
        return None;
    }
    Some(match hi / lo >= 10.0 {
        true => json!({ "log_uniform": [round(lo), round(hi)] }),
        false => json!({ "uniform": [round(lo), round(hi)] }),
    })
}

/// Four significant digits, so the draft reads well.
fn round(x: f64) -> f64 {
    if x == 0.0 {
        return 0.0;
    }
    let scale = 10f64.powi(3 - x.abs().log10().floor() as i32);
    (x * scale).round() / scale
}

#[cfg(test)]
mod tests {
    use super::*;

    fn param(name: &str, minimum: Option<f64>, maximum: Option<f64>) -> ParamInfo {
        ParamInfo {
            name: name.into(),
            description: String::new(),
            kind: ParamKind::Number,
            default: None,
            minimum,
            exclusive_minimum: false,
            maximum,
            exclusive_maximum: false,
            choices: Vec::new(),
        }
    }

    #[test]
    fn a_range_spans_a_quarter_to_four_times_the_value_within_its_bounds() {
        let temperature = param("temperature", Some(0.0), None);
        assert_eq!(
            range_around(&temperature, 4.0),
            Some(json!({ "log_uniform": [1.0, 16.0] }))
        );
        let fraction = param("start", Some(0.0), Some(1.0));
        assert_eq!(
            range_around(&fraction, 0.3),
            Some(json!({ "uniform": [0.075, 1.0] }))
        );
        assert_eq!(
            range_around(&fraction, 0.0),
            Some(json!({ "uniform": [0.0, 1.0] }))
        );
        assert_eq!(range_around(&param("w", Some(0.0), None), 0.0), None);
    }

    #[test]
    fn rounding_keeps_four_significant_digits() {
        assert_eq!(round(0.123456), 0.1235);
        assert_eq!(round(7e-5 / 4.0), 1.75e-5);
    }
}
