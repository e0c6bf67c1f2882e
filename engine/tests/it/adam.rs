//! Our one-pass Adam against burn's Adam of the same settings: the same parameters after every
//! step (with and without weight decay, a parameter large enough to be split over threads
//! included), an optimiser state either of them can resume from the other's checkpoint, and
//! burn's own update for parameters our kernel does not take.

use burn::module::Param;
use burn::optim::decay::WeightDecayConfig;
use burn::optim::{AdamConfig, GradientsParams, ModuleOptimizer};
use burn::prelude::*;
use burn::tensor::DType;
use engine::kernels::{AdamSettings, FusedAdam};
use engine::rng::Rng;

/// Parameters of ranks 1, 2 and 4; `weight` has more values than one thread updates.
#[derive(Module, Debug)]
struct Params {
    bias: Param<Tensor<1>>,
    weight: Param<Tensor<2>>,
    kernel: Param<Tensor<4>>,
}

const WEIGHT: [usize; 2] = [301, 229];
const KERNEL: [usize; 4] = [5, 3, 3, 3];

fn random<const D: usize>(rng: &mut Rng, shape: [usize; D], dtype: DType) -> Tensor<D> {
    let n = shape.iter().product();
    let values: Vec<f32> = (0..n).map(|_| rng.range_f32(-1.5, 1.5)).collect();
    Tensor::<D>::from_data(TensorData::new(values, shape), &Device::flex()).cast(dtype)
}

fn trainable<const D: usize>(tensor: Tensor<D>) -> Param<Tensor<D>> {
    Param::from_tensor(tensor.autodiff().require_grad())
}

impl Params {
    /// Random parameters on the training device (autodiff over Flex), as a run has them.
    fn random(rng: &mut Rng, dtype: DType) -> Params {
        Params {
            bias: trainable(random(rng, [7], dtype)),
            weight: trainable(random(rng, WEIGHT, dtype)),
            kernel: trainable(random(rng, KERNEL, dtype)),
        }
    }

    /// Random gradients for these parameters, drawn from `rng` (so two draws from equal
    /// generators are equal).
    fn random_grads(&self, rng: &mut Rng, dtype: DType) -> GradientsParams {
        let mut grads = GradientsParams::new();
        grads.register(self.bias.id, random(rng, [7], dtype));
        grads.register(self.weight.id, random(rng, WEIGHT, dtype));
        grads.register(self.kernel.id, random(rng, KERNEL, dtype));
        grads
    }

    fn values(&self) -> Vec<f64> {
        let all = [
            self.bias.val().into_data(),
            self.weight.val().into_data(),
            self.kernel.val().into_data(),
        ];
        all.into_iter()
            .flat_map(|d| {
                d.convert::<f64>()
                    .try_to_vec::<f64>()
                    .expect("float values")
            })
            .collect()
    }
}

fn ours(weight_decay: Option<f32>) -> ModuleOptimizer {
    ModuleOptimizer::from(FusedAdam::new(AdamSettings {
        beta_1: 0.9,
        beta_2: 0.999,
        epsilon: 1e-8,
        weight_decay,
    }))
}

fn burns(weight_decay: Option<f32>) -> ModuleOptimizer {
    AdamConfig::new()
        .with_epsilon(1e-8)
        .with_weight_decay(weight_decay.map(WeightDecayConfig::new))
        .init()
}

/// The first position where two parameter lists differ, if any.
fn first_difference(got: &[f64], want: &[f64]) -> Option<String> {
    assert_eq!(got.len(), want.len());
    let i = got.iter().zip(want).position(|(g, w)| g != w)?;
    Some(format!("value {i}: ours {}, burn's {}", got[i], want[i]))
}

/// Trains two copies of the same parameters for `steps` steps on the same random gradients,
/// one with each optimiser, and reports the first step where they part.
fn run_side_by_side(
    mut a: (Params, ModuleOptimizer),
    mut b: (Params, ModuleOptimizer),
    steps: usize,
    dtype: DType,
    seed: u64,
) -> Result<(Params, Params), String> {
    let (mut rng_a, mut rng_b) = (Rng::derive(seed, &[]), Rng::derive(seed, &[]));
    for step in 1..=steps {
        let lr = 1e-2 / step as f64;
        let grads_a = a.0.random_grads(&mut rng_a, dtype);
        let grads_b = b.0.random_grads(&mut rng_b, dtype);
        a.0 = a.1.step(lr, a.0, grads_a);
        b.0 = b.1.step(lr, b.0, grads_b);
        if let Some(diff) = first_difference(&a.0.values(), &b.0.values()) {
            return Err(format!("step {step}: {diff}"));
        }
    }
    Ok((a.0, b.0))
}

#[test]
fn our_adam_gives_burns_parameters_at_every_step_with_and_without_weight_decay() {
    for weight_decay in [None, Some(5e-4)] {
        // The twin shares the parameters' buffers: our in-place update must leave them be.
        let params = Params::random(&mut Rng::derive(1, &[]), DType::F32);
        let twin = params.clone();
        let result = run_side_by_side(
            (params, ours(weight_decay)),
            (twin, burns(weight_decay)),
            6,
            DType::F32,
            2,
        );
        if let Err(e) = result {
            panic!("weight decay {weight_decay:?}: {e}");
        }
    }
}

#[test]
fn either_adam_resumes_from_the_others_checkpoint_as_if_it_had_trained_all_along() {
    let dir = tempfile::tempdir().unwrap();
    for (first, second) in [("ours", "burn's"), ("burn's", "ours")] {
        let build = |which: &str| {
            if which == "ours" {
                ours(None)
            } else {
                burns(None)
            }
        };
        let mut rng = Rng::derive(3, &[]);
        let mut params = Params::random(&mut Rng::derive(4, &[]), DType::F32);
        let mut optimizer = build(first);
        for _ in 0..3 {
            let grads = params.random_grads(&mut rng, DType::F32);
            params = optimizer.step(1e-2, params, grads);
        }
        let path = dir.path().join(format!("{first}.bin"));
        optimizer.save(&path).unwrap();
        let resumed = build(second).load(&path).unwrap();
        let twin = params.clone();

        let result = run_side_by_side((params, optimizer), (twin, resumed), 3, DType::F32, 5);
        if let Err(e) = result {
            panic!("{second} resumed from {first}: {e}");
        }
    }
}

#[test]
fn parameters_other_than_f32_take_burns_update() {
    let params = Params::random(&mut Rng::derive(6, &[]), DType::F64);
    assert_eq!(params.weight.val().dtype(), DType::F64);
    let twin = params.clone();
    let result = run_side_by_side(
        (params, ours(Some(1e-3))),
        (twin, burns(Some(1e-3))),
        3,
        DType::F64,
        7,
    );
    if let Err(e) = result {
        panic!("f64 parameters: {e}");
    }
}
