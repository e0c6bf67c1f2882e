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

/// What a recipe's first stage says instead of a run id: "the run of the teacher recipe".
/// The composer asks for that run (see the first stage's model source).
pub const TEACHER_RECIPE: &str = "fmnist-teacher";

/// The recipes, in the order of the README's table.
const RECIPES: [(&str, &str, &str); 9] = [
    ("Recipe: teacher", "The recipes' teacher: cnn-m on all 60,000 training images; train it first", include_str!("../../../examples/recipes/fmnist-teacher.json")),
    ("Recipe: KD", "Hinton's KD from the full-data teacher into cnn-xs on 4,000 labelled images, 5 seeds", include_str!("../../../examples/recipes/fmnist-kd.json")),
    ("Recipe: DKD", "Decoupled KD, warm-up of 5 epochs", include_str!("../../../examples/recipes/fmnist-dkd.json")),
    ("Recipe: LS-KD", "KD with logit standardisation", include_str!("../../../examples/recipes/fmnist-ls-kd.json")),
    ("Recipe: DIST", "Relations (Pearson) instead of exact probabilities", include_str!("../../../examples/recipes/fmnist-dist.json")),
    ("Recipe: CTKD", "KD with a learned, curriculum-scheduled temperature", include_str!("../../../examples/recipes/fmnist-ctkd.json")),
    ("Recipe: AT", "Attention transfer on the stage features (+ CE)", include_str!("../../../examples/recipes/fmnist-at.json")),
    ("Recipe: TAKD", "A cnn-s teaching assistant between the teacher and the student", include_str!("../../../examples/recipes/fmnist-takd.json")),
    ("Recipe: curriculum", "KD with easy-to-hard sample pacing", include_str!("../../../examples/recipes/fmnist-curriculum.json")),
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

/// The recipe whose run the other recipes' first stage is taken from.
pub fn teacher_recipe() -> ExperimentSpec {
    serde_json::from_str(RECIPES[0].2).expect("a recipe is a valid spec")
}

/// Every template: a quick KD experiment (where the composer starts), the recipes, and quick
/// experiments of the feature methods no recipe covers.
pub fn templates() -> Vec<Template> {
    let quick_template = |(name, description, spec): (&'static str, &'static str, Value)| Template {
        name,
        description,
        spec: serde_json::from_value(spec).expect("templates are valid specs"),
    };
    let recipes = RECIPES.into_iter().map(|(name, description, text)| Template {
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
        ("MGD", "Masked generative distillation on the last features (quick)", quick("MGD: cnn-m → cnn-xs", json!([{"method": "mgd"}]))),
        ("FitNet", "FitNets hints through a conv regressor (quick)", quick("FitNet: cnn-m → cnn-xs", json!([{"method": "fitnet"}]))),
    ]
    .into_iter()
    .map(quick_template);
    std::iter::once(first).chain(recipes).chain(features).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_recipe_is_a_template_and_every_student_recipe_asks_for_the_teacher_run() {
        let all = templates();
        assert_eq!(all.len(), 12);
        assert_eq!(all[0].name, "Quick KD", "where the composer starts");
        assert!(all[1].spec.chain[0].from_run.is_none(), "the recipes' teacher is trained");
        assert_eq!(all[1].spec, teacher_recipe());
        let methods: Vec<_> = all[2..]
            .iter()
            .map(|t| t.spec.chain.last().unwrap().link.terms[0].method())
            .collect();
        assert_eq!(
            methods,
            ["kd", "dkd", "kd", "dist", "kd", "at", "kd", "kd", "mgd", "fitnet"]
        );
        for recipe in &all[2..10] {
            assert_eq!(recipe.spec.chain[0].from_run.as_deref(), Some(TEACHER_RECIPE), "{}", recipe.name);
            assert!(recipe.spec.baseline && recipe.spec.seeds.len() >= 3);
        }
    }
}
