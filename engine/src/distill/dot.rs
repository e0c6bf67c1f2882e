//! The distillation-oriented trainer (Zhao, Song & Sun, ICCV 2023; mdistiller's
//! `engine/dot.py`): a link option that changes the optimiser, not the loss. SGD keeps two
//! momentum buffers, one for the gradient of the cross-entropy (momentum `m − Δ`) and one for
//! the gradient of the distillation terms (`m + Δ`), so the distillation direction is followed
//! more steadily than the task's; each batch updates the weights with both. Weight decay joins
//! the task's gradient only. The two gradients are taken from two forward passes of the same
//! batch (burn's tape cannot be walked twice), so batch-norm running statistics take the batch
//! twice.

use api::{DotParams, LinkSpec, MethodPlacement, OptimizerSpec};

use super::method::{MethodSpec, ParamSpec, WireType};
use crate::checks::{Bound, SpecError};

/// The catalog entry.
pub fn method() -> MethodSpec {
    MethodSpec {
        name: "dot",
        title: "Distillation-oriented trainer",
        description: "SGD with two momenta: m − Δ for the cross-entropy's gradient and m + Δ for the distillation terms', so the student follows the teacher's direction more steadily.",
        placement: MethodPlacement::Trainer,
        needs_feature_maps: false,
        reference: "Zhao et al. 2023; mdistiller engine/dot.py",
        wire: WireType::of::<DotParams>(),
        params: vec![ParamSpec::number(
            "delta",
            "Gap Δ between each momentum and the optimiser's (0.075 around 0.9 in the paper); both momenta must stay in [0, 1)",
            Bound::above(0.0).below(0.5),
        )],
        curves: &[],
        options: &[],
    }
}

/// The momenta of the task's and the distillation's buffers: `(m − Δ, m + Δ)`.
pub fn momenta(momentum: f64, delta: f64) -> (f64, f64) {
    (momentum - delta, momentum + delta)
}

/// DOT's rules for the link at `at` trained with `optimizer`: SGD whose momentum leaves room
/// for Δ on both sides, and at least one distillation term to give the second gradient.
pub(crate) fn validate(
    dot: &DotParams,
    link: &LinkSpec,
    optimizer: &OptimizerSpec,
    at: &str,
) -> Result<(), SpecError> {
    let field = format!("{at}.link.dot");
    let OptimizerSpec::Sgd {
        momentum, nesterov, ..
    } = optimizer
    else {
        return Err(SpecError::new(
            field,
            "DOT splits SGD's momentum in two: set this stage's budget.optimizer to {\"kind\": \"sgd\"}",
        ));
    };
    if *nesterov {
        return Err(SpecError::new(
            field,
            "DOT uses plain momentum: turn budget.optimizer.nesterov off",
        ));
    }
    let (task, distillation) = momenta(*momentum, dot.delta);
    if task < 0.0 || distillation >= 1.0 {
        return Err(SpecError::new(
            format!("{field}.delta"),
            format!(
                "with momentum {momentum}, Δ {} gives momenta {task} and {distillation}; both must lie in [0, 1)",
                dot.delta
            ),
        ));
    }
    if link.terms.is_empty() {
        return Err(SpecError::new(
            field,
            "DOT needs a distillation term: its second momentum follows their gradient",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sgd(momentum: f64, nesterov: bool) -> OptimizerSpec {
        OptimizerSpec::Sgd {
            lr: 0.05,
            momentum,
            weight_decay: 5e-4,
            nesterov,
        }
    }

    fn kd_link() -> LinkSpec {
        serde_json::from_str(r#"{"terms": [{"method": "kd"}]}"#).unwrap()
    }

    fn refusal(delta: f64, link: &LinkSpec, optimizer: &OptimizerSpec) -> SpecError {
        validate(&DotParams { delta }, link, optimizer, "chain[1]").unwrap_err()
    }

    #[test]
    fn dot_splits_sgd_momentum_around_the_optimisers() {
        let (task, distillation) = momenta(0.9, 0.075);
        assert!((task - 0.825).abs() < 1e-12 && (distillation - 0.975).abs() < 1e-12);
        let accepted = validate(
            &DotParams { delta: 0.075 },
            &kd_link(),
            &sgd(0.9, false),
            "chain[1]",
        );
        assert_eq!(accepted, Ok(()));
    }

    #[test]
    fn dot_with_adam_or_nesterov_is_refused_at_the_option() {
        let adam = OptimizerSpec::Adam {
            lr: 1e-3,
            weight_decay: 0.0,
        };
        let error = refusal(0.075, &kd_link(), &adam);
        assert_eq!(error.field, "chain[1].link.dot");
        assert!(error.message.contains("sgd"), "{}", error.message);
        assert_eq!(
            refusal(0.075, &kd_link(), &sgd(0.9, true)).field,
            "chain[1].link.dot"
        );
    }

    #[test]
    fn a_delta_that_pushes_a_momentum_out_of_range_is_refused_with_both_momenta() {
        let error = refusal(0.15, &kd_link(), &sgd(0.9, false));
        assert_eq!(error.field, "chain[1].link.dot.delta");
        assert!(error.message.contains("1.05"), "{}", error.message);
        assert_eq!(
            refusal(0.2, &kd_link(), &sgd(0.1, false)).field,
            "chain[1].link.dot.delta"
        );
    }

    #[test]
    fn dot_without_a_distillation_term_is_refused() {
        let error = refusal(0.075, &LinkSpec::default(), &sgd(0.9, false));
        assert_eq!(error.field, "chain[1].link.dot");
        assert!(
            error.message.contains("distillation term"),
            "{}",
            error.message
        );
    }
}
