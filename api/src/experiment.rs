//! An experiment: a dataset, a chain `teacher → TA… → student`, a training budget and seeds.

use serde::{Deserialize, Serialize};

use crate::{Architecture, DatasetSpec, LinkSpec};

/// Everything needed to run an experiment. Missing fields take their defaults; validation in
/// the engine resolves presets and defaults so the stored spec says exactly what ran.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ExperimentSpec {
    /// A human name for listings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The data.
    #[serde(default)]
    pub dataset: DatasetSpec,
    /// The chain, teacher first, student last. Each stage is taught by the one before (TAKD).
    pub chain: Vec<StageSpec>,
    /// The budget every stage trains with, unless the stage has its own.
    #[serde(default)]
    pub budget: Budget,
    /// One run of every stage per seed.
    #[serde(default = "default_seeds")]
    pub seeds: Vec<u64>,
    /// Also train the last stage with cross-entropy only, same budget and seeds, as a control.
    #[serde(default)]
    pub baseline: bool,
}

fn default_seeds() -> Vec<u64> {
    vec![0]
}

/// One model of the chain and how its teacher (the previous stage) teaches it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct StageSpec {
    /// A label such as `teacher`, `ta` or `student`; derived from the position when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The model. Required, except on a first stage taken `from_run` (whose architecture is
    /// the run's); validation fills it in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub architecture: Option<Architecture>,
    /// How the previous stage teaches this one. Must be absent (or have no terms) on the first
    /// stage, which learns from the labels alone.
    #[serde(default)]
    pub link: LinkSpec,
    /// This stage's own budget (a teacher trained longer than its student); the experiment's
    /// when absent. Validation fills it in, so a stored spec says what each stage ran with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub budget: Option<Budget>,
    /// First stage only: the id of an earlier succeeded run (same dataset) whose trained model
    /// is this stage, re-evaluated on this experiment's data instead of trained again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from_run: Option<String>,
}

/// How long and how each stage trains.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Budget {
    /// Passes over the training data.
    #[serde(default = "default_epochs")]
    pub epochs: usize,
    /// Samples per optimisation step.
    #[serde(default = "default_batch_size")]
    pub batch_size: usize,
    /// The optimiser.
    #[serde(default)]
    pub optimizer: OptimizerSpec,
    /// How the learning rate changes over epochs.
    #[serde(default)]
    pub schedule: LrSchedule,
    /// Train on only the first N training samples (after the validation split is held out);
    /// all of them when absent. A stage's own budget can give a teacher more labelled data
    /// than its student.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub samples: Option<usize>,
}

fn default_epochs() -> usize {
    2
}
fn default_batch_size() -> usize {
    128
}

impl Default for Budget {
    fn default() -> Self {
        Budget {
            epochs: default_epochs(),
            batch_size: default_batch_size(),
            optimizer: OptimizerSpec::default(),
            schedule: LrSchedule::default(),
            samples: None,
        }
    }
}

/// Optimisers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum OptimizerSpec {
    /// Adam (ε = 1e-8, as in PyTorch).
    Adam {
        /// Learning rate.
        #[serde(default = "default_adam_lr")]
        lr: f64,
        /// L2 weight decay.
        #[serde(default)]
        weight_decay: f64,
    },
    /// SGD with momentum.
    Sgd {
        /// Learning rate.
        #[serde(default = "default_sgd_lr")]
        lr: f64,
        /// Momentum.
        #[serde(default = "default_momentum")]
        momentum: f64,
        /// L2 weight decay.
        #[serde(default = "default_sgd_decay")]
        weight_decay: f64,
        /// Nesterov momentum.
        #[serde(default)]
        nesterov: bool,
    },
}

impl OptimizerSpec {
    /// The base learning rate.
    pub fn lr(&self) -> f64 {
        match self {
            OptimizerSpec::Adam { lr, .. } | OptimizerSpec::Sgd { lr, .. } => *lr,
        }
    }
}

fn default_adam_lr() -> f64 {
    1e-3
}
fn default_sgd_lr() -> f64 {
    0.05
}
fn default_momentum() -> f64 {
    0.9
}
fn default_sgd_decay() -> f64 {
    5e-4
}

impl Default for OptimizerSpec {
    fn default() -> Self {
        OptimizerSpec::Adam {
            lr: default_adam_lr(),
            weight_decay: 0.0,
        }
    }
}

/// Learning-rate schedules, evaluated once per epoch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum LrSchedule {
    /// The base rate throughout.
    #[default]
    Constant,
    /// Multiply by `gamma` at each listed epoch (mdistiller's CIFAR recipe: 150, 180, 210).
    Step {
        /// Epochs (0-based) at which the rate drops.
        milestones: Vec<usize>,
        /// Factor of each drop.
        #[serde(default = "default_gamma")]
        gamma: f64,
    },
    /// Cosine annealing from the base rate to `min_lr` over the budget.
    Cosine {
        /// The final rate.
        #[serde(default)]
        min_lr: f64,
    },
}

fn default_gamma() -> f64 {
    0.1
}

/// Where training runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Backend {
    /// CUDA when an NVIDIA driver, NVRTC and a device are found, else wgpu on a hardware GPU,
    /// else the CPU.
    #[default]
    Auto,
    /// burn's CUDA backend (NVIDIA GPUs; needs the driver and NVRTC).
    Cuda,
    /// burn-wgpu (Vulkan, Metal, DX12).
    Wgpu,
    /// burn's pure-Rust CPU backend (flex).
    Cpu,
}

impl Backend {
    /// The name used on the command line and in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Backend::Auto => "auto",
            Backend::Cuda => "cuda",
            Backend::Wgpu => "wgpu",
            Backend::Cpu => "cpu",
        }
    }
}
