//! Starting points for the composer: the Fashion-MNIST recipes of `examples/recipes/` (the
//! same files `scripts/recipes.sh` runs, so the composer and the recipe table cannot differ),
//! and quick experiments of the methods no recipe covers.

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

/// The recipes, in the order of the README's table.
const RECIPES: [(&str, &str, &str); 8] = [
    (
        "Recipe: KD",
        "Hinton's KD from a cnn-m teacher of all the data into cnn-s with 4,000 labels, 5 seeds (about half an hour)",
        include_str!("../../../examples/recipes/fmnist-kd.json"),
    ),
    (
        "Recipe: DKD",
        "Decoupled KD, warm-up of 5 epochs",
        include_str!("../../../examples/recipes/fmnist-dkd.json"),
    ),
    (
        "Recipe: LS-KD",
        "KD with logit standardisation",
        include_str!("../../../examples/recipes/fmnist-ls-kd.json"),
    ),
    (
        "Recipe: DIST",
        "Relations (Pearson) instead of exact probabilities",
        include_str!("../../../examples/recipes/fmnist-dist.json"),
    ),
    (
        "Recipe: CTKD",
        "KD with a learned, curriculum-scheduled temperature",
        include_str!("../../../examples/recipes/fmnist-ctkd.json"),
    ),
    (
        "Recipe: AT",
        "Attention transfer on the stage features (+ CE)",
        include_str!("../../../examples/recipes/fmnist-at.json"),
    ),
    (
        "Recipe: TAKD",
        "A 238k-parameter CNN assistant between the teacher and the student",
        include_str!("../../../examples/recipes/fmnist-takd.json"),
    ),
    (
        "Recipe: curriculum",
        "KD with easy-to-hard sample pacing",
        include_str!("../../../examples/recipes/fmnist-curriculum.json"),
    ),
];

/// A quick Fashion-MNIST teacher → student experiment with a baseline (minutes on a CPU).
fn quick(name: &str, terms: Value) -> Value {
    json!({
        "name": name,
        "dataset": {"name": "fashion-mnist", "train_subset": 10000, "test_subset": 2000},
        "budget": {"epochs": 3, "batch_size": 128},
        "baseline": true,
        "chain": [
            {"name": "teacher", "architecture": {"kind": "preset", "name": "cnn-m"}},
            {"name": "student", "architecture": {"kind": "preset", "name": "cnn-xs"},
             "link": {"terms": terms}}
        ]
    })
}

/// Every template: a quick KD experiment (where the composer starts), the recipes, and quick
/// experiments of the feature methods no recipe covers.
pub fn templates() -> Vec<Template> {
    let quick_template =
        |(name, description, spec): (&'static str, &'static str, Value)| Template {
            name,
            description,
            spec: serde_json::from_value(spec).expect("templates are valid specs"),
        };
    let recipes = RECIPES
        .into_iter()
        .map(|(name, description, text)| Template {
            name,
            description,
            spec: serde_json::from_str(text).expect("a recipe is a valid spec"),
        });
    let first = quick_template((
        "Quick KD",
        "Hinton's KD from a CNN into a smaller CNN, 3 epochs on 10,000 images (minutes)",
        quick("KD: cnn-m → cnn-xs", json!([{"method": "kd"}])),
    ));
    let features = [
        (
            "MGD",
            "Masked generative distillation on the last features (quick)",
            quick("MGD: cnn-m → cnn-xs", json!([{"method": "mgd"}])),
        ),
        (
            "FitNet",
            "FitNets hints through a conv regressor (quick)",
            quick("FitNet: cnn-m → cnn-xs", json!([{"method": "fitnet"}])),
        ),
    ]
    .into_iter()
    .map(quick_template);
    std::iter::once(first)
        .chain(recipes)
        .chain(features)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_recipe_is_a_template_with_seeds_a_baseline_and_a_teacher_of_more_data() {
        let all = templates();
        assert_eq!(all.len(), 11);
        assert_eq!(all[0].name, "Quick KD", "where the composer starts");
        let methods: Vec<_> = all[1..]
            .iter()
            .map(|t| t.spec.chain.last().unwrap().link.terms[0].method())
            .collect();
        assert_eq!(
            methods,
            ["kd", "dkd", "kd", "dist", "kd", "at", "kd", "kd", "mgd", "fitnet"]
        );
        for recipe in &all[1..9] {
            assert!(
                recipe.spec.baseline && recipe.spec.seeds.len() >= 3,
                "{}",
                recipe.name
            );
            assert_eq!(recipe.spec.budget.samples, Some(4000), "{}", recipe.name);
            let teacher = recipe.spec.chain[0].budget.as_ref().unwrap();
            assert_eq!(
                teacher.samples, None,
                "{}: the teacher learns from every image",
                recipe.name
            );
        }
    }

    #[test]
    fn every_template_reaches_the_server_as_written_through_the_composer() {
        for template in templates() {
            let sent = crate::composer::Draft::from_spec(&template.spec).to_json();
            let sent: ExperimentSpec = serde_json::from_value(sent).expect("a valid spec");
            assert_eq!(sent.budget, template.spec.budget, "{}", template.name);
            assert_eq!(sent.chain, template.spec.chain, "{}", template.name);
            assert_eq!(sent.dataset, template.spec.dataset, "{}", template.name);
        }
    }
}
