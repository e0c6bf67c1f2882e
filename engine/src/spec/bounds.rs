//! The numeric bounds of a spec's fields, in one place: validation checks values against them,
//! `/api/methods` serves them, and the server writes them into its OpenAPI document, so the
//! three cannot drift apart.

use crate::checks::Bound;

/// Training epochs of a budget.
pub const EPOCHS: Bound = Bound::whole(1, 100_000);
/// Samples per optimisation step.
pub const BATCH_SIZE: Bound = Bound::whole(1, 65_536);
/// A learning rate.
pub const LEARNING_RATE: Bound = Bound::above(0.0);
/// An L2 weight decay.
pub const WEIGHT_DECAY: Bound = Bound::at_least(0.0);
/// SGD momentum.
pub const MOMENTUM: Bound = Bound::at_least(0.0).below(1.0);
/// The factor of a step schedule's drops.
pub const GAMMA: Bound = Bound::above(0.0);
/// The final rate of a cosine schedule.
pub const MIN_LR: Bound = Bound::at_least(0.0);
/// A subset size or a count of validation samples.
pub const SAMPLES: Bound = Bound::whole_at_least(1);
/// Seeds of an experiment (items).
pub const MAX_SEEDS: usize = 100;
/// The largest seed: 2^53 − 1, so that every JSON client reads a seed exactly (and the store's
/// signed 64-bit column holds it).
pub const MAX_SEED: usize = (1 << 53) - 1;
/// A seed.
pub const SEED: Bound = Bound::whole(0, MAX_SEED);
/// Trials of a random sweep (a grid is capped at the same number).
pub const TRIALS: Bound = Bound::whole(1, crate::sweep::MAX_TRIALS);
/// Successive halving's reduction factor.
pub const ETA: Bound = Bound::whole(2, 100);
/// Stages of a chain.
pub const MAX_STAGES: usize = 16;
/// Largest layer width or channel count.
pub const MAX_WIDTH: usize = 16_384;
/// Most layers of an MLP or CNN.
pub const MAX_LAYERS: usize = 32;
/// A layer width or channel count.
pub const WIDTH: Bound = Bound::whole(1, MAX_WIDTH);
/// A ResNet's width multiplier.
pub const RESNET_WIDTH: Bound = Bound::above(0.0).up_to(16.0);
/// The ResNet depths the zoo builds: `6n + 2`, at most 110.
pub fn resnet_depths() -> Vec<usize> {
    (1..=18).map(|n| 6 * n + 2).collect()
}

/// The widening factor of a Wide ResNet.
pub const WRN_WIDEN: Bound = Bound::whole(1, 16);

/// The depths a Wide ResNet may have: `6n + 4`, n from 1 to 16.
pub fn wrn_depths() -> Vec<usize> {
    (1..=16).map(|n| 6 * n + 4).collect()
}

/// A MobileNetV2's expansion factor.
pub const MOBILENET_EXPANSION: Bound = Bound::whole(1, 16);

/// The depths of torchvision's ResNet the zoo builds (see `models::blocks_per_stage`).
pub fn imagenet_resnet_depths() -> Vec<usize> {
    vec![10, 18, 34]
}

/// The sizes of ShuffleNetV2 the zoo builds (mdistiller's `net_size`s).
pub fn shufflenet_sizes() -> Vec<f64> {
    crate::models::SHUFFLENET_SIZES
        .iter()
        .map(|(size, ..)| *size)
        .collect()
}

/// A rule of a property, as JSON Schema can state it.
#[derive(Debug, Clone, PartialEq)]
pub enum Rule {
    /// A number (for arrays: every item) inside a bound.
    Range(Bound),
    /// An array's length, and whether its items must differ.
    Count {
        /// Fewest items.
        min: usize,
        /// Most items.
        max: usize,
        /// Items must be distinct.
        unique: bool,
    },
    /// One of these whole numbers.
    OneOf(Vec<usize>),
    /// One of these numbers.
    OneOfNumbers(Vec<f64>),
}

/// Where a rule applies in the OpenAPI document: a property of a named schema, or of the
/// branch `Schema.variant` of a tagged enum.
#[derive(Debug, Clone, PartialEq)]
pub struct SchemaRule {
    /// The component schema (the Rust type's name, as utoipa names it).
    pub schema: &'static str,
    /// The property.
    pub property: String,
    /// What it must satisfy.
    pub rule: Rule,
}

/// Every rule of a spec's fields that validation enforces on one field alone: the fixed ones
/// below and every method parameter's range. (Rules across fields — a student's stages, a
/// model's parameter count — are the validator's alone and are described in the document.)
pub fn schema_rules() -> Vec<SchemaRule> {
    let at = |schema, property: &str, rule| SchemaRule {
        schema,
        property: property.to_string(),
        rule,
    };
    let count = |min, max, unique| Rule::Count { min, max, unique };
    let mut rules = vec![
        at("Budget", "epochs", Rule::Range(EPOCHS)),
        at("Budget", "batch_size", Rule::Range(BATCH_SIZE)),
        at("Budget", "samples", Rule::Range(SAMPLES)),
        at("OptimizerSpec.adam", "lr", Rule::Range(LEARNING_RATE)),
        at(
            "OptimizerSpec.adam",
            "weight_decay",
            Rule::Range(WEIGHT_DECAY),
        ),
        at("OptimizerSpec.sgd", "lr", Rule::Range(LEARNING_RATE)),
        at(
            "OptimizerSpec.sgd",
            "weight_decay",
            Rule::Range(WEIGHT_DECAY),
        ),
        at("OptimizerSpec.sgd", "momentum", Rule::Range(MOMENTUM)),
        at("LrSchedule.step", "gamma", Rule::Range(GAMMA)),
        at("LrSchedule.cosine", "min_lr", Rule::Range(MIN_LR)),
        at("DatasetSpec", "train_subset", Rule::Range(SAMPLES)),
        at("DatasetSpec", "test_subset", Rule::Range(SAMPLES)),
        at("ExperimentSpec", "seeds", count(1, MAX_SEEDS, true)),
        at("ExperimentSpec", "seeds", Rule::Range(SEED)),
        at("ExperimentSpec", "chain", count(1, MAX_STAGES, false)),
        at("MlpSpec", "hidden", Rule::Range(WIDTH)),
        at("MlpSpec", "hidden", count(0, MAX_LAYERS, false)),
        at("CnnSpec", "channels", Rule::Range(WIDTH)),
        at("CnnSpec", "channels", count(1, MAX_LAYERS, false)),
        at("CnnSpec", "fc", Rule::Range(WIDTH)),
        at("ResnetSpec", "depth", Rule::OneOf(resnet_depths())),
        at("ResnetSpec", "width", Rule::Range(RESNET_WIDTH)),
        at("ResnetSpec", "stem", Rule::Range(WIDTH)),
        at("WrnSpec", "depth", Rule::OneOf(wrn_depths())),
        at("WrnSpec", "widen", Rule::Range(WRN_WIDEN)),
        at("VggSpec", "blocks", count(5, 5, false)),
        at(
            "ImagenetResnetSpec",
            "depth",
            Rule::OneOf(imagenet_resnet_depths()),
        ),
        at("ImagenetResnetSpec", "width", Rule::Range(RESNET_WIDTH)),
        at(
            "MobilenetV2Spec",
            "expansion",
            Rule::Range(MOBILENET_EXPANSION),
        ),
        at("MobilenetV2Spec", "width", Rule::Range(RESNET_WIDTH)),
        at(
            "ShufflenetV2Spec",
            "size",
            Rule::OneOfNumbers(shufflenet_sizes()),
        ),
        at("Strategy.random", "trials", Rule::Range(TRIALS)),
        at("Strategy.random", "seed", Rule::Range(SEED)),
        at(
            "EarlyStopping.successive_halving",
            "min_epochs",
            Rule::Range(EPOCHS),
        ),
        at("EarlyStopping.successive_halving", "eta", Rule::Range(ETA)),
        at("Confirm", "seeds", count(0, MAX_SEEDS, true)),
        at("Confirm", "seeds", Rule::Range(SEED)),
    ];
    for method in crate::distill::catalog() {
        for param in &method.params {
            if let Some(bound) = param.bound {
                rules.push(at(method.wire.schema, param.name, Rule::Range(bound)));
            }
        }
    }
    rules
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_half_open_bound_keeps_its_lower_end_and_drops_its_upper_end() {
        assert!(MOMENTUM.contains(0.0));
        assert!(MOMENTUM.contains(0.99));
        assert!(!MOMENTUM.contains(1.0));
        assert!(!MOMENTUM.contains(-0.1));
    }

    #[test]
    fn an_open_lower_end_rejects_the_end_itself_and_everything_rejects_nan() {
        assert!(!LEARNING_RATE.contains(0.0));
        assert!(LEARNING_RATE.contains(1e-9));
        assert!(!LEARNING_RATE.contains(f64::NAN));
        assert!(!Bound::finite().contains(f64::INFINITY));
    }

    #[test]
    fn an_error_names_the_field_and_says_what_would_be_right() {
        let err = EPOCHS.check(0.0, "budget.epochs").unwrap_err();
        assert_eq!(err.field, "budget.epochs");
        assert_eq!(
            err.message,
            "must be a whole number from 1 to 100000, got 0"
        );
        let err = MOMENTUM.check(1.0, "m").unwrap_err();
        assert_eq!(err.message, "must be a finite number ≥ 0 and < 1, got 1");
    }

    #[test]
    fn resnet_depths_are_six_n_plus_two_up_to_110() {
        let depths = resnet_depths();
        assert_eq!(depths.first(), Some(&8));
        assert_eq!(depths.last(), Some(&110));
        assert!(depths.iter().all(|d| (d - 2) % 6 == 0));
    }
}
