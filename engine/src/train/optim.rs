//! Optimisers (Adam, SGD with momentum) with PyTorch's conventions, and learning-rate
//! schedules evaluated once per epoch.

use api::{LrSchedule, OptimizerSpec};
use burn::optim::decay::WeightDecayConfig;
use burn::optim::momentum::MomentumConfig;
use burn::optim::{ModuleOptimizer, SgdConfig};

use crate::kernels::{AdamSettings, FusedAdam};

/// burn's optimiser for a whole module, built from a spec.
pub struct Optimizer;

impl Optimizer {
    /// Adam with PyTorch's β = (0.9, 0.999) and ε = 1e-8 (burn's default ε is 1e-5), its update
    /// one pass on the CPU ([`FusedAdam`]); or SGD with undampened momentum (PyTorch's; burn's
    /// default dampening is 0.1).
    pub fn build(spec: &OptimizerSpec) -> ModuleOptimizer {
        let penalty = |penalty: f64| (penalty > 0.0).then_some(penalty as f32);
        let decay = |weight_decay: f64| penalty(weight_decay).map(WeightDecayConfig::new);
        match spec {
            OptimizerSpec::Adam { weight_decay, .. } => {
                ModuleOptimizer::from(FusedAdam::new(AdamSettings {
                    beta_1: 0.9,
                    beta_2: 0.999,
                    epsilon: 1e-8,
                    weight_decay: penalty(*weight_decay),
                }))
            }
            OptimizerSpec::Sgd {
                momentum,
                weight_decay,
                nesterov,
                ..
            } => SgdConfig::new()
                .with_momentum((*momentum > 0.0).then_some(MomentumConfig {
                    momentum: *momentum,
                    dampening: 0.0,
                    nesterov: *nesterov,
                }))
                .with_weight_decay(decay(*weight_decay))
                .init(),
        }
    }
}

/// The learning rate of a 1-based `epoch` out of `epochs`.
pub fn learning_rate(base: f64, schedule: &LrSchedule, epoch: usize, epochs: usize) -> f64 {
    match schedule {
        LrSchedule::Constant => base,
        LrSchedule::Step { milestones, gamma } => {
            let drops = milestones.iter().filter(|&&m| epoch > m).count();
            base * gamma.powi(drops as i32)
        }
        LrSchedule::Cosine { min_lr } => {
            let progress = (epoch.saturating_sub(1)) as f64 / epochs.max(1) as f64;
            min_lr + (base - min_lr) * (1.0 + (std::f64::consts::PI * progress).cos()) / 2.0
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn step_schedule_drops_after_each_milestone() {
        let s = LrSchedule::Step {
            milestones: vec![2, 4],
            gamma: 0.1,
        };
        assert_eq!(learning_rate(1.0, &s, 1, 6), 1.0);
        assert_eq!(learning_rate(1.0, &s, 2, 6), 1.0);
        assert!((learning_rate(1.0, &s, 3, 6) - 0.1).abs() < 1e-12);
        assert!((learning_rate(1.0, &s, 5, 6) - 0.01).abs() < 1e-12);
    }

    #[test]
    fn cosine_schedule_starts_at_the_base_rate_and_decreases() {
        let s = LrSchedule::Cosine { min_lr: 0.0 };
        assert_eq!(learning_rate(0.1, &s, 1, 10), 0.1);
        let rates: Vec<f64> = (1..=10).map(|e| learning_rate(0.1, &s, e, 10)).collect();
        assert!(rates.windows(2).all(|w| w[1] < w[0]), "{rates:?}");
    }
}
