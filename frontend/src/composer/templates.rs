//! Starting points for the composer: one experiment per method family, each a valid spec on
//! Fashion-MNIST that trains in minutes on a CPU.

use api::ExperimentSpec;
use serde_json::{json, Value};

/// A named starting point.
#[derive(Debug, Clone)]
pub struct Template {
    /// Short name on its button.
    pub name: &'static str,
    /// What it demonstrates.
    pub description: &'static str,
    /// The experiment.
    pub spec: ExperimentSpec,
}

/// A Fashion-MNIST experiment with a baseline, sized to train in minutes on a CPU.
fn experiment(name: &str, chain: Value) -> Value {
    json!({
        "name": name,
        "dataset": {"name": "fashion-mnist", "train_subset": 10000, "test_subset": 2000},
        "budget": {"epochs": 3, "batch_size": 128},
        "baseline": true,
        "chain": chain
    })
}

/// A teacher and a student taught with `terms`.
fn pair(name: &str, terms: Value) -> Value {
    experiment(
        name,
        json!([
            {"name": "teacher", "architecture": {"kind": "preset", "name": "cnn-m"}},
            {"name": "student", "architecture": {"kind": "preset", "name": "cnn-xs"},
             "link": {"terms": terms}}
        ]),
    )
}

/// Every template, KD first.
pub fn templates() -> Vec<Template> {
    let takd = experiment(
        "TAKD: teacher → assistant → student",
        json!([
            {"name": "teacher", "architecture": {"kind": "preset", "name": "cnn-l"}},
            {"name": "ta", "architecture": {"kind": "preset", "name": "cnn-s"},
             "link": {"terms": [{"method": "kd"}]}},
            {"name": "student", "architecture": {"kind": "preset", "name": "mlp-s"},
             "link": {"terms": [{"method": "kd"}]}}
        ]),
    );
    let entries = [
        (
            "KD",
            "Hinton's KD: a CNN teaches a smaller CNN",
            pair("KD: cnn-m → cnn-xs", json!([{"method": "kd"}])),
        ),
        (
            "DKD",
            "Decoupled KD with a one-epoch warm-up",
            pair(
                "DKD: cnn-m → cnn-xs",
                json!([{"method": "dkd", "warmup_epochs": 1}]),
            ),
        ),
        (
            "TAKD chain",
            "A teaching assistant bridges the gap to an MLP",
            takd,
        ),
        (
            "CTKD",
            "KD with a learned, curriculum-scheduled temperature",
            pair(
                "CTKD: cnn-m → cnn-xs",
                json!([{"method": "kd", "ctkd": {"schedule_epochs": 2}}]),
            ),
        ),
        (
            "AT",
            "Attention transfer on every stage's features",
            pair("AT: cnn-m → cnn-xs", json!([{"method": "at"}])),
        ),
        (
            "MGD",
            "Masked generative distillation on the last features",
            pair("MGD: cnn-m → cnn-xs", json!([{"method": "mgd"}])),
        ),
    ];
    entries
        .into_iter()
        .map(|(name, description, spec)| Template {
            name,
            description,
            spec: serde_json::from_value(spec).expect("templates are valid specs"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_template_parses_and_names_distinct_methods() {
        let all = templates();
        assert_eq!(all.len(), 6);
        let methods: Vec<_> = all
            .iter()
            .map(|t| t.spec.chain.last().unwrap().link.terms[0].method())
            .collect();
        assert_eq!(methods, ["kd", "dkd", "kd", "kd", "at", "mgd"]);
        assert!(all.iter().all(|t| t.spec.baseline));
    }
}
