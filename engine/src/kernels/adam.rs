//! Adam's update of an `f32` Flex parameter in one pass. burn's Adam runs about a dozen tensor
//! ops per parameter (two moment blends, a square, a square root, a division, scalings and the
//! subtraction), each a pass of its own that allocates its output; for a small model such as an
//! MLP they were a fifth of a training step. Here each value of the parameter, its two moments
//! and its gradient is read once and the three are written back in place (copy-on-write: a
//! buffer someone else still holds is copied first). The arithmetic is burn's, operation for
//! operation in `f32`, so both give the same values; the state is burn's [`AdamState`], so
//! optimiser checkpoints are unchanged. Any other parameter (wgpu, another float type,
//! AMSGrad's extra moment) takes burn's Adam.

use burn::backend::flex::FlexTensor;
use burn::backend::Flex;
use burn::optim::decay::WeightDecayConfig;
use burn::optim::{Adam, AdamConfig, AdamState, AdaptiveMomentumState, LearningRate, Optimizer};
use burn::prelude::*;
use burn::tensor::DType;
use rayon::prelude::*;

use super::simd::vectorized;

/// Values each rayon task updates: a parameter below it is updated by the calling thread.
const PIECE: usize = 1 << 15;

/// Adam's hyperparameters, with L2 weight decay added to the gradient (PyTorch's `Adam`, not
/// `AdamW`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AdamSettings {
    pub beta_1: f32,
    pub beta_2: f32,
    pub epsilon: f32,
    /// The L2 penalty, when there is one.
    pub weight_decay: Option<f32>,
}

/// Adam whose update of an `f32` Flex parameter is ours, and burn's [`Adam`] for any other.
/// Wrap it in a `ModuleOptimizer` (`ModuleOptimizer::from`) to optimise a whole module.
#[derive(Clone)]
pub struct FusedAdam {
    settings: AdamSettings,
    stock: Adam,
}

impl FusedAdam {
    /// The optimiser for `settings`, with burn's Adam of the same settings as its fallback.
    pub fn new(settings: AdamSettings) -> FusedAdam {
        let stock = AdamConfig::new()
            .with_beta_1(settings.beta_1)
            .with_beta_2(settings.beta_2)
            .with_epsilon(settings.epsilon)
            .with_weight_decay(settings.weight_decay.map(WeightDecayConfig::new))
            .build();
        FusedAdam { settings, stock }
    }
}

impl Optimizer for FusedAdam {
    type State<const D: usize> = AdamState<D>;

    fn step<const D: usize>(
        &self,
        lr: LearningRate,
        tensor: Tensor<D>,
        grad: Tensor<D>,
        state: Option<AdamState<D>>,
    ) -> (Tensor<D>, Option<AdamState<D>>) {
        match FlexStep::take(tensor, grad, state) {
            Ok(step) => step.run(&self.settings, lr),
            Err(declined) => {
                let (tensor, grad, state) = *declined;
                self.stock.step(lr, tensor, grad, state)
            }
        }
    }

    fn to_device<const D: usize>(state: AdamState<D>, device: &Device) -> AdamState<D> {
        Adam::to_device(state, device)
    }
}

/// One parameter's update on Flex: the parameter, its gradient, and its moments with the
/// number of steps they have seen (none before the first step).
struct FlexStep {
    param: FlexTensor,
    grad: FlexTensor,
    moments: Option<(usize, FlexTensor, FlexTensor)>,
}

/// What [`FlexStep::take`] hands back when our update does not apply (boxed: tensors are
/// large values, and this is the rare path).
type Declined<const D: usize> = Box<(Tensor<D>, Tensor<D>, Option<AdamState<D>>)>;

impl FlexStep {
    /// The Flex primitives of an `f32` parameter, its gradient and its moments, or all three
    /// back untouched when any of them is not one (or the state has AMSGrad's moment). The
    /// originals are dropped once converted, so each buffer keeps a single owner and can be
    /// updated in place.
    fn take<const D: usize>(
        tensor: Tensor<D>,
        grad: Tensor<D>,
        state: Option<AdamState<D>>,
    ) -> Result<FlexStep, Declined<D>> {
        let flex = |t: &Tensor<D>| {
            (t.dtype() == DType::F32)
                .then(|| t.clone().try_into_primitive::<Flex>().ok())
                .flatten()
        };
        let moments = match &state {
            None => Some(None),
            Some(AdamState { momentum }) if momentum.max_moment_2.is_none() => {
                match (flex(&momentum.moment_1), flex(&momentum.moment_2)) {
                    (Some(m), Some(v)) => Some(Some((momentum.time, m, v))),
                    _ => None,
                }
            }
            Some(_) => None,
        };
        let same_shape = |t: &FlexTensor| t.layout().shape().dims::<D>() == tensor.dims();
        let moments_fit = moments.as_ref().is_some_and(|m| {
            m.as_ref()
                .is_none_or(|(_, m, v)| same_shape(m) && same_shape(v))
        });
        match (flex(&tensor), flex(&grad), moments) {
            (Some(param), Some(g), Some(moments)) if same_shape(&g) && moments_fit => {
                Ok(FlexStep {
                    param,
                    grad: g,
                    moments,
                })
            }
            _ => Err(Box::new((tensor, grad, state))),
        }
    }

    /// Applies the update and returns the new parameter and state.
    fn run<const D: usize>(
        self,
        settings: &AdamSettings,
        lr: LearningRate,
    ) -> (Tensor<D>, Option<AdamState<D>>) {
        let shape = self.param.layout().shape().clone();
        let mut param = sole_contiguous(self.param);
        let grad = self.grad.to_contiguous();
        let (time, mut m, mut v) = match self.moments {
            Some((time, m, v)) => (time + 1, sole_contiguous(m), sole_contiguous(v)),
            None => {
                let zeros = || FlexTensor::zeros(shape.clone(), DType::F32);
                (1, zeros(), zeros())
            }
        };
        let factors = StepFactors::new(settings, time, lr);
        update(
            param.storage_mut::<f32>(),
            grad.storage::<f32>(),
            m.storage_mut::<f32>(),
            v.storage_mut::<f32>(),
            &factors,
        );
        let tensor = |t: FlexTensor| Tensor::<D>::from_primitive::<Flex>(t);
        let momentum = AdaptiveMomentumState::new(time, tensor(m), tensor(v));
        (tensor(param), Some(AdamState::new(momentum)))
    }
}

/// `tensor` made contiguous over its whole buffer, with this handle its buffer's only owner
/// when nobody else holds it (so that `storage_mut` writes in place instead of copying).
fn sole_contiguous(tensor: FlexTensor) -> FlexTensor {
    let contiguous = tensor.to_contiguous();
    drop(tensor);
    contiguous
}

/// The scalars of one step, computed as burn's Adam computes them.
struct StepFactors {
    beta_1: f32,
    beta_2: f32,
    /// `1 − β₁` and `1 − β₂`.
    blend_1: f32,
    blend_2: f32,
    /// `√(1 − β₂ᵗ) / (1 − β₁ᵗ)`.
    combined: f32,
    /// `ε · √(1 − β₂ᵗ)`.
    epsilon: f32,
    lr: f32,
    weight_decay: Option<f32>,
}

impl StepFactors {
    fn new(s: &AdamSettings, time: usize, lr: LearningRate) -> StepFactors {
        let t = time as i32;
        let bias_correction_2 = (1.0 - s.beta_2.powi(t)).sqrt();
        StepFactors {
            beta_1: s.beta_1,
            beta_2: s.beta_2,
            blend_1: 1.0 - s.beta_1,
            blend_2: 1.0 - s.beta_2,
            combined: bias_correction_2 / (1.0 - s.beta_1.powi(t)),
            epsilon: s.epsilon * bias_correction_2,
            lr: lr as f32,
            weight_decay: s.weight_decay,
        }
    }
}

/// The update of every value, in pieces of [`PIECE`] values over the rayon pool.
fn update(param: &mut [f32], grad: &[f32], m: &mut [f32], v: &mut [f32], f: &StepFactors) {
    if param.len() <= PIECE {
        return update_piece(param, grad, m, v, f);
    }
    param
        .par_chunks_mut(PIECE)
        .zip(grad.par_chunks(PIECE))
        .zip(m.par_chunks_mut(PIECE))
        .zip(v.par_chunks_mut(PIECE))
        .for_each(|(((p, g), m), v)| update_piece(p, g, m, v, f));
}

vectorized! {
    /// One piece's update, in burn's order of operations:
    /// `g ← p·λ + g` (with weight decay), `m ← m·β₁ + g·(1−β₁)`, `v ← v·β₂ + g²·(1−β₂)`,
    /// `p ← p − (m·c) / (√v + ε') · lr`.
    fn update_piece(param: &mut [f32], grad: &[f32], m: &mut [f32], v: &mut [f32], f: &StepFactors) {
        let values = param.iter_mut().zip(grad).zip(m.iter_mut().zip(v.iter_mut()));
        for ((p, &g), (m, v)) in values {
            let g = match f.weight_decay {
                Some(penalty) => *p * penalty + g,
                None => g,
            };
            *m = *m * f.beta_1 + g * f.blend_1;
            *v = *v * f.beta_2 + (g * g) * f.blend_2;
            let step = (*m * f.combined) / (v.sqrt() + f.epsilon);
            *p -= step * f.lr;
        }
    }
}
