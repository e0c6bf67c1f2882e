//! Distillation losses, one file per method (as in mdistiller), plus the link that sums a
//! stage's named terms. Every loss is a pure function of tensors, checked against the
//! reference PyTorch values in `shared/golden`.

mod at;
mod ce;
mod curriculum;
mod dkd;
mod features;
mod fitnet;
mod kd;
mod link;
mod mgd;
mod temperature;

pub use at::{at_loss, attention_map};
pub use ce::cross_entropy;
pub use curriculum::{curriculum_fraction, rank_by_difficulty};
pub use dkd::{dkd_parts, dkd_warmup_factor, DkdParts};
pub use features::pool_to_smaller;
pub use fitnet::FitnetRegressor;
pub use kd::kd_loss;
pub use link::{fitnet_stages, link_loss, BatchInputs, LinkModules, LossBreakdown, TermLoss};
pub use mgd::{mgd_mask, MgdGenerator};
pub use temperature::{ctkd_lambda, reverse_gradient, LearnedTemperature, Temperature};
