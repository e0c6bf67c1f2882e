//! Optimisers (Adam, SGD with momentum) with PyTorch's conventions, the pair of SGD optimisers
//! of the distillation-oriented trainer, and learning-rate schedules evaluated once per epoch.

use api::{DotParams, LrSchedule, OptimizerSpec};
use burn::optim::decay::WeightDecayConfig;
use burn::optim::momentum::MomentumConfig;
use burn::optim::{GradientsParams, ModuleOptimizer, SgdConfig};
use burn::prelude::*;

use crate::distill::dot_momenta;
use crate::kernels::{AdamSettings, FusedAdam};

/// burn's optimiser for a whole module, built from a spec.
pub struct Optimizer;

impl Optimizer {
    /// Adam with PyTorch's β = (0.9, 0.999) and ε = 1e-8 (burn's default ε is 1e-5), its update
    /// one pass on the CPU ([`FusedAdam`]); or SGD with undampened momentum (PyTorch's; burn's
    /// default dampening is 0.1).
    pub fn build(spec: &OptimizerSpec) -> ModuleOptimizer {
        let penalty = |penalty: f64| (penalty > 0.0).then_some(penalty as f32);
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
            } => sgd(*momentum, *weight_decay, *nesterov),
        }
    }
}

/// SGD with undampened momentum (none at 0) and L2 weight decay (none at 0).
fn sgd(momentum: f64, weight_decay: f64, nesterov: bool) -> ModuleOptimizer {
    SgdConfig::new()
        .with_momentum((momentum > 0.0).then_some(MomentumConfig {
            momentum,
            dampening: 0.0,
            nesterov,
        }))
        .with_weight_decay(
            (weight_decay > 0.0).then(|| WeightDecayConfig::new(weight_decay as f32)),
        )
        .init()
}

/// The optimisers of a run: the stage's own, or with DOT (Zhao et al. 2023) two SGDs that
/// keep a momentum buffer each — one for the cross-entropy's gradient, one for the
/// distillation terms'.
pub struct Optimizers {
    /// Steps on the whole loss' gradient; with DOT, on the cross-entropy's (momentum `m − Δ`,
    /// with the stage's weight decay).
    pub task: ModuleOptimizer,
    /// With DOT, steps on the distillation terms' gradient (momentum `m + Δ`, no decay).
    pub distillation: Option<ModuleOptimizer>,
}

impl Optimizers {
    /// The stage's optimiser, split in two when the link trains with `dot` (validation has
    /// made sure `spec` is then SGD).
    pub fn build(spec: &OptimizerSpec, dot: Option<&DotParams>) -> Optimizers {
        match (dot, spec) {
            (
                Some(dot),
                OptimizerSpec::Sgd {
                    momentum,
                    weight_decay,
                    ..
                },
            ) => {
                let (task, distillation) = dot_momenta(*momentum, dot.delta);
                Optimizers {
                    task: sgd(task, *weight_decay, false),
                    distillation: Some(sgd(distillation, 0.0, false)),
                }
            }
            _ => Optimizers {
                task: Optimizer::build(spec),
                distillation: None,
            },
        }
    }

    /// Whether the gradients must be split: the task's and the distillation's.
    pub fn splits_gradients(&self) -> bool {
        self.distillation.is_some()
    }

    /// Updates `module` with the task's gradient, then with the distillation's (DOT only), both
    /// taken at the same weights.
    ///
    /// # Panics
    /// When DOT's gradients and optimisers do not come together.
    pub fn step<M: Module>(
        &mut self,
        lr: f64,
        module: M,
        task: GradientsParams,
        distillation: Option<GradientsParams>,
    ) -> M {
        let module = self.task.step(lr, module, task);
        match (&mut self.distillation, distillation) {
            (Some(optimizer), Some(grads)) => optimizer.step(lr, module, grads),
            (None, None) => module,
            _ => panic!("DOT steps on two gradients, every other run on one"),
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
